// web/src/components/quality-warnings.test.ts — the Dataset page's header count and item line for prep's
// crop quality warnings.
import { describe, expect, it } from 'vitest';
import { itemsWithWarnings, itemWarningText, warningsHeaderText } from './quality-warnings.js';

const WARNING = 'quality warning: text removal erased 12 % of the character (40x40 at 0,0)';

describe('crop quality warnings on the Dataset page', () => {
  it('counts the items that have any warning in the header, and says nothing when none has', () => {
    const items = [{ warnings: [WARNING] }, { warnings: [] }, { warnings: [WARNING, 'quality warning: x'] }];
    expect(itemsWithWarnings(items)).toBe(2);
    expect(warningsHeaderText(items)).toBe(
      '2 images have a quality warning (of 3): check them below and exclude what looks wrong before training.',
    );
    expect(warningsHeaderText(items.slice(0, 2))).toBe(
      '1 image has a quality warning (of 2): check it below and exclude what looks wrong before training.',
    );
    expect(warningsHeaderText([{ warnings: [] }])).toBe(null);
  });

  it("words an item's warning once, whether or not prep's text starts with the label", () => {
    expect(itemWarningText(WARNING)).toBe(
      'Quality warning: text removal erased 12 % of the character (40x40 at 0,0)',
    );
    expect(itemWarningText('a sound effect over the face')).toBe(
      'Quality warning: a sound effect over the face',
    );
  });
});
