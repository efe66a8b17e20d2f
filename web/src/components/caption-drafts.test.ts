// web/src/components/caption-drafts.test.ts — a caption draft kept across the token prompt's reload comes back
// once; a 409's current caption is read from the API error; anything else is not taken for one.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api.js';
import { captionConflict, conflictText, keepCaptionDraft, takeCaptionDraft } from './caption-drafts.js';

const memoryStorage = () => {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    removeItem: (k: string) => void map.delete(k),
  };
};

describe('caption drafts', () => {
  it('gives a kept draft back once, for its own item only; ignores a damaged entry', () => {
    const storage = memoryStorage();
    const draft = { caption: 'mina_tl, red coat', baseCaption: 'mina_tl', baseVersion: 'v1' };
    keepCaptionDraft(storage, 'd1', 'a', draft);
    expect(takeCaptionDraft(storage, 'd1', 'b')).toBeNull();
    expect(takeCaptionDraft(storage, 'd2', 'a')).toBeNull();
    expect(takeCaptionDraft(storage, 'd1', 'a')).toEqual(draft);
    expect(takeCaptionDraft(storage, 'd1', 'a')).toBeNull();
    storage.setItem('toonlora-caption-draft:d1:a', '{not json');
    expect(takeCaptionDraft(storage, 'd1', 'a')).toBeNull();
    expect(storage.map.size).toBe(0);
  });

  it('reads the current caption from a 409 TL_ERR_CONFLICT, nothing from other errors', () => {
    const details = { caption: 'mina_tl, TAB A edit', captionVersion: 'v2', key: 'a' };
    expect(captionConflict(new ApiError(409, 'TL_ERR_CONFLICT', 'changed', details))).toEqual({
      caption: 'mina_tl, TAB A edit',
      captionVersion: 'v2',
    });
    expect(captionConflict(new ApiError(409, 'TL_ERR_OUTPUT_EXISTS', 'x', details))).toBeNull();
    expect(captionConflict(new ApiError(401, 'TL_ERR_UNAUTHORIZED', 'x'))).toBeNull();
    expect(captionConflict(new ApiError(409, 'TL_ERR_CONFLICT', 'x', {}))).toBeNull();
    expect(captionConflict(new TypeError('Failed to fetch'))).toBeNull();
    expect(conflictText({ caption: '', captionVersion: 'v' })).toContain('it now is empty');
    expect(conflictText({ caption: 'mina_tl, x', captionVersion: 'v' })).toContain(
      'it now reads "mina_tl, x"',
    );
  });
});
