// web/src/components/quality-warnings.test.ts — the Dataset page's header count and item line for prep's
// crop quality warnings.
import { describe, expect, it } from 'vitest';
import {
  itemsWithWarnings,
  itemWarningText,
  showWarnedLabel,
  warningsHeaderText,
} from './quality-warnings.js';

const WARNING = 'quality warning: text removal erased 12 % of the character (40x40 at 0,0)';

describe('crop quality warnings on the Dataset page', () => {
  it('counts the items that have any warning in the header, and says nothing when none has', () => {
    const items = [{ warnings: [WARNING] }, { warnings: [] }, { warnings: [WARNING, 'quality warning: x'] }];
    expect(itemsWithWarnings(items)).toBe(2);
    expect(warningsHeaderText(items)).toBe(
      '2 images have a quality warning (of 3): check them and exclude what looks wrong before training.',
    );
    expect(warningsHeaderText(items.slice(0, 2))).toBe(
      '1 image has a quality warning (of 2): check it and exclude what looks wrong before training.',
    );
    expect(warningsHeaderText([{ warnings: [] }])).toBe(null);
  });

  it('offers a button that shows only the warned items, none once "Show" is on them (before: "check it below")', () => {
    const items = [{ warnings: [WARNING] }, { warnings: [] }, { warnings: [WARNING] }];
    expect(showWarnedLabel(items, false)).toBe('Show only the 2 warned images');
    expect(showWarnedLabel(items.slice(0, 2), false)).toBe('Show only the warned image');
    expect(showWarnedLabel(items, true)).toBe(null);
    expect(showWarnedLabel([{ warnings: [] }], false)).toBe(null);
    expect(warningsHeaderText(items, true)).toBe(
      '2 images have a quality warning (of 3), shown below: check them and exclude what looks wrong before training.',
    );
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
