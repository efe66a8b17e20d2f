// src/models/download-http.test.ts — a Hub 404 while listing a revision other than main names that revision
// ("revision v9.9 of owner/name is not on the Hub"); before, it read "the file or revision is not on the Hub".
import { describe, expect, it } from 'vitest';
import { httpReason } from './download-http.js';

const hub = { repo: 'someone/toon-sd15', page: 'http://127.0.0.1:9/someone/toon-sd15' };
const none = new Headers();

describe('httpReason at a revision', () => {
  it('names the revision of the repo on a 404 without a code or with RevisionNotFound', () => {
    const expected =
      'HTTP 404 Not Found: revision v9.9 of someone/toon-sd15 is not on the Hub (http://127.0.0.1:9/someone/toon-sd15; check HF_ENDPOINT if it is a mirror)';
    expect(httpReason(404, 'Not Found', none, { ...hub, revision: 'v9.9' })).toBe(expected);
    const coded = new Headers({ 'x-error-code': 'RevisionNotFound' });
    expect(httpReason(404, 'Not Found', coded, { ...hub, revision: 'v9.9' })).toBe(expected);
  });

  it('keeps the other words: main, a missing repo, no revision', () => {
    expect(httpReason(404, 'Not Found', none, { ...hub, revision: 'main' })).toContain(
      'the file or revision is not on the Hub',
    );
    const repo = new Headers({ 'x-error-code': 'RepoNotFound' });
    expect(httpReason(404, 'Not Found', repo, { ...hub, revision: 'v9.9' })).toContain(
      'the repo is not on the Hub',
    );
    expect(httpReason(404, 'Not Found', none, hub)).toContain('the file or revision is not on the Hub');
  });
});
