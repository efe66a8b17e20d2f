// src/prep/file-notes.test.ts — a rejected crop's note in a file's reason names the strip panel it was found in.
import { describe, expect, it } from 'vitest';
import { cliReason } from '../stage-reason.js';
import { fileReason, framesNote, noCharacterReason, rejectedCropNote } from './file-notes.js';

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

describe('noCharacterReason', () => {
  it('asks about a blank first page for a multi-page TIFF (before: "frame"), a first frame for an animation', () => {
    const facts = { segmenter: 'isnet-anime', bubbleLikeParts: 0 };
    expect(
      cliReason(noCharacterReason('scan.tif', { ...facts, format: 'tiff' }, framesNote(3, 'tiff'))),
    ).toBe(
      'scan.tif: no character found (a multi-page TIFF: only page 1 of 3 was read, and its isnet-anime mask is empty: a blank first page?)',
    );
    expect(cliReason(noCharacterReason('anim.gif', { ...facts, format: 'gif' }, framesNote(3, 'gif')))).toBe(
      'anim.gif: no character found (an animated file: only frame 1 of 3 was read, and its isnet-anime mask is empty: a blank first frame?)',
    );
  });
});

describe('fileReason', () => {
  it('keeps the parts of a box-shaped no-character reason (the segmenter to use, its model to pull) as data', () => {
    const parts = noCharacterReason('p.png', { segmenter: 'classic', bubbleLikeParts: 0, panelLikeParts: 2 });
    expect(fileReason(parts)).toEqual({
      reason:
        'p.png: no character found (the largest shapes look like a panel or box, not a character: crop the panel, or use --segmenter isnet-anime after `toonlora models pull isnet-anime`)',
      reasonParts: [
        'p.png: no character found (the largest shapes look like a panel or box, not a character: crop the panel, or use ',
        { kind: 'prep-option', option: 'segmenter', value: 'isnet-anime' },
        ' after ',
        { kind: 'pull-model', id: 'isnet-anime' },
        ')',
      ],
    });
    // a reason in plain text only has no parts
    expect(fileReason(noCharacterReason('e.png', { segmenter: 'classic', bubbleLikeParts: 0 }))).toEqual({
      reason: 'e.png: no character found (the classic mask is empty: a blank or background-only page?)',
    });
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
