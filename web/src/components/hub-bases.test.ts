// web/src/components/hub-bases.test.ts — the bases a Hub repo's card names: a repo pulled only at a tag is the base
// owner/name@tag (its card said "base owner/name", which the server then refused as not pulled).
import { describe, expect, it } from 'vitest';
import { hubBaseNames, hubOnlyAt, hubPullCommand } from './hub-bases.js';

describe('hubBaseNames', () => {
  it('names main as owner/name and every other ref as owner/name@REV, main first', () => {
    expect(hubBaseNames({ id: 'a/b' })).toEqual(['a/b']);
    expect(hubBaseNames({ id: 'a/b', revisions: ['dev', 'main', 'v1.0'] })).toEqual([
      'a/b',
      'a/b@dev',
      'a/b@v1.0',
    ]);
  });
  it('names a repo pulled only at a revision by that revision', () => {
    expect(hubBaseNames({ id: 'a/b', revisions: ['v1.0'] })).toEqual(['a/b@v1.0']);
    expect(hubPullCommand('a/b@v1.0')).toBe('toonlora models pull a/b --revision v1.0');
    expect(hubPullCommand('a/b')).toBe('toonlora models pull a/b');
  });
});

describe('hubOnlyAt', () => {
  it('gives the refs of a Hub repo pulled only at tags, nothing when main is pulled or for a registry model', () => {
    expect(hubOnlyAt({ origin: 'hub', revisions: ['v2'] })).toEqual(['v2']);
    expect(hubOnlyAt({ origin: 'hub', revisions: ['main', 'v2'] })).toBeUndefined();
    expect(hubOnlyAt({ origin: 'hub' })).toBeUndefined();
    expect(hubOnlyAt({ origin: 'registry', revisions: ['v2'] })).toBeUndefined();
  });
});
