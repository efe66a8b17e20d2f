import { describe, expect, it } from 'vitest';
import { captionFromInput, captionToSave, skippedReasonText } from './dataset-review.js';

describe('dataset review text', () => {
  it('turns Enter into a separator and saves no dangling one', () => {
    expect(captionFromInput('sks, girl\n')).toBe('sks, girl, ');
    expect(captionToSave(captionFromInput('sks, girl\n'))).toBe('sks, girl');
    expect(captionToSave(' , sks, red scarf ,, ')).toBe('sks, red scarf');
    expect(captionToSave(' , ')).toBe('');
  });

  it("drops the file name prep put in front of a skipped file's reason", () => {
    expect(skippedReasonText('uploads/001-white.png', '001-white.png: no character found')).toBe(
      'no character found',
    );
    expect(skippedReasonText('a/b.png', 'a/b.png: cannot read image')).toBe('cannot read image');
    expect(skippedReasonText('white.png', '001-white.png: no character found')).toBe('no character found');
    expect(skippedReasonText('b.png', 'no character found: too small')).toBe('no character found: too small');
  });
});
