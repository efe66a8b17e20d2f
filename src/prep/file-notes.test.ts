// src/prep/file-notes.test.ts — a rejected crop's note in a file's reason names the strip panel it was found in.
import { describe, expect, it } from 'vitest';
import { framesNote, rejectedCropNote } from './file-notes.js';

describe('rejectedCropNote', () => {
  it('puts a strip crop’s panel before its reason (before: the reason alone, the same for every panel)', () => {
    expect(rejectedCropNote({ panel: 3, reason: 'character too small: 8x8 px' })).toBe(
      'panel 3: character too small: 8x8 px',
    );
  });

  it('leaves the reason of a crop from a file analysed whole as it is', () => {
    expect(rejectedCropNote({ reason: 'near-duplicate of a.png (mean colour difference 1.0/255)' })).toBe(
      'near-duplicate of a.png (mean colour difference 1.0/255)',
    );
  });
});

describe('framesNote', () => {
  it('says page for a multi-page TIFF (before: "an animated file"), frame for an animation, nothing for one frame', () => {
    expect(framesNote(3, 'tiff')).toBe('a multi-page TIFF: only page 1 of 3 was read');
    expect(framesNote(3, 'gif')).toBe('an animated file: only frame 1 of 3 was read');
    expect(framesNote(1, 'tiff')).toBeUndefined();
    expect(framesNote(undefined, undefined)).toBeUndefined();
  });
});
