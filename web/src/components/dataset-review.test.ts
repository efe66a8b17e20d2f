import { describe, expect, it } from 'vitest';
import {
  CAPTION_MAX,
  captionFromInput,
  captionToSave,
  captionTriggerWarning,
  itemAccessibleNames,
  skippedReasonText,
} from './dataset-review.js';

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

describe('captionTriggerWarning', () => {
  it('warns when a caption does not start with the trigger word; empty or leading trigger is fine', () => {
    expect(captionTriggerWarning('aoi_girl, 1girl, smile', 'aoi_girl')).toBe(null);
    expect(captionTriggerWarning('aoi_girl girl', 'aoi_girl')).toBe(null);
    expect(captionTriggerWarning('', 'aoi_girl')).toBe(null);
    expect(captionTriggerWarning(' , ', 'aoi_girl')).toBe(null);
    expect(captionTriggerWarning('line one, line two', 'aoi_girl')).toBe(
      'This caption does not start with the trigger word aoi_girl: the image trains without it. Put "aoi_girl, " first.',
    );
    expect(captionTriggerWarning('1girl, aoi_girl', 'aoi_girl')).not.toBe(null);
    expect(captionTriggerWarning('aoi_girlfriend, smile', 'aoi_girl')).not.toBe(null);
  });
  it("takes the API's caption length limit", () => {
    expect(CAPTION_MAX).toBe(2000);
  });
});

describe('itemAccessibleNames', () => {
  it("names an item's images and buttons with its file name (every item read 'Save caption', 'original')", () => {
    const names = itemAccessibleNames('panel-01.png', false);
    expect(names.stage('text removed')).toBe('panel-01.png: text removed');
    expect(names.save).toBe('Save caption for panel-01.png');
    expect(names.exclude).toBe('Exclude panel-01.png');
    expect(itemAccessibleNames('panel-01.png', true).exclude).toBe('Re-include panel-01.png');
  });
});
