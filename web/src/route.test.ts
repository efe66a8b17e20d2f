// web/src/route.test.ts — hash routes: a tab name the app does not have is the not-found view (it showed an empty
// page titled "<name>: bogus"), so is a top-level page it does not have (#/zzz showed the characters list), a
// character without a tab opens Screenshots.
import { describe, expect, it } from 'vitest';
import { hashParts, parseRoute } from './route.js';

describe('parseRoute', () => {
  it('names the view of each hash', () => {
    const route = (hash: string) => parseRoute(hashParts(hash));
    expect(route('')).toEqual({ view: 'characters' });
    expect(route('#/')).toEqual({ view: 'characters' });
    expect(route('#/models')).toEqual({ view: 'models' });
    expect(route('#/c')).toEqual({ view: 'characters' });
    expect(route('#/c/abc')).toEqual({ view: 'character', characterId: 'abc', tab: 'upload' });
    expect(route('#/c/abc/')).toEqual({ view: 'character', characterId: 'abc', tab: 'upload' });
    for (const tab of ['upload', 'dataset', 'train', 'lora', 'generate'])
      expect(route(`#/c/abc/${tab}`)).toEqual({ view: 'character', characterId: 'abc', tab });
  });

  it('is the not-found view for a tab the app does not have', () => {
    for (const tab of ['bogus', 'Upload', 'toString', 'constructor', '__proto__'])
      expect(parseRoute(['c', 'abc', tab])).toEqual({ view: 'no-such-tab', characterId: 'abc', tab });
  });

  it('is the not-found view for a top-level page the app does not have (not the characters list)', () => {
    const route = (hash: string) => parseRoute(hashParts(hash));
    expect(route('#/zzz')).toEqual({ view: 'no-such-page', path: 'zzz' });
    expect(route('#/Models')).toEqual({ view: 'no-such-page', path: 'Models' });
    expect(route('#/characters/x')).toEqual({ view: 'no-such-page', path: 'characters/x' });
  });
});
