import { describe, expect, it } from 'vitest';
import {
  CAPTION_MAX,
  captionFromInput,
  captionToSave,
  captionTriggerWarning,
  captionWarnings,
  excludeButtonText,
  filterCounts,
  filterCountText,
  itemAccessibleNames,
  itemDisplayName,
  itemMatches,
  skippedFileName,
  skippedReasonText,
} from './dataset-review.js';
import type { DatasetItem } from '../../../src/schemas/api.js';

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

  it('shows a right-to-left override or a control character in a name as an escape (it showed the name reversed)', () => {
    expect(skippedFileName('uploads/photo\u202egnp.exe')).toBe('photo\\u202Egnp.exe');
    expect(skippedReasonText('x.png', 'near-duplicate of photo\u202egnp.exe')).toBe(
      'near-duplicate of photo\\u202Egnp.exe',
    );
    expect(itemDisplayName({ source: 'new\nline\u202e.png', panel: null })).toBe('new\\nline\\u202E.png');
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
  it('compares in any case (CLIP lower-cases); a trigger present but not first is said as such', () => {
    expect(captionTriggerWarning('Mina_TL, Girl', 'mina_tl')).toBe(null);
    expect(captionTriggerWarning('MINA_TL girl, smile', 'mina_tl')).toBe(null);
    const notFirst =
      'The trigger word mina_tl is not the first tag: training here puts it first, but a kohya export keeps this order. Put "mina_tl, " first.';
    expect(captionTriggerWarning('girl, mina_tl', 'mina_tl')).toBe(notFirst);
    expect(captionTriggerWarning('girl, Mina_TL smiling', 'mina_tl')).toBe(notFirst);
    // inside another word it is another token sequence: not the trigger
    expect(captionTriggerWarning('girl, mina_tl_x', 'mina_tl')).toMatch(/^This caption does not start/);
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
  it("names a strip panel's crop with its panel (a strip's 5 crops all read 'Select webtoon-ep1.png')", () => {
    const box = { x: 0, y: 4800, width: 800, height: 2000 };
    const name = itemDisplayName({ source: 'webtoon-ep1.png', panel: { index: 3, box } });
    expect(name).toBe('webtoon-ep1.png, panel 3');
    const names = itemAccessibleNames(name, false);
    expect(names.pick).toBe('Select webtoon-ep1.png, panel 3');
    expect(names.stage('text removed')).toBe('webtoon-ep1.png, panel 3: text removed');
    expect(names.exclude).toBe('Exclude webtoon-ep1.png, panel 3');
    expect(itemDisplayName({ source: 'uploads/a.png', panel: null })).toBe('a.png');
  });
});

describe('the "Show" choices', () => {
  const words = { trigger: 'mina_tl', classWord: 'girl' };
  const item = (key: string, caption: string, extra: Partial<DatasetItem> = {}): DatasetItem => ({
    key,
    source: `${key}.png`,
    panel: null,
    caption,
    captionVersion: `v-${caption}`,
    excluded: false,
    warnings: [],
    stages: { original: null, textRemoved: null, mask: null, crop: `/api/x/${key}` },
    ...extra,
  });
  const items = [
    item('ok', 'mina_tl, red scarf, smile'),
    item('short', 'mina_tl'),
    item('empty', ''),
    item('no-trigger', 'red scarf, smile'),
    item('warned', 'mina_tl, red scarf, smile', { warnings: ['quality warning: mask touches the edge'] }),
    item('out', 'mina_tl, red scarf, smile', { excluded: true }),
  ];

  it('gives a caption each of its warnings: trigger, then length (too long or too short)', () => {
    expect(captionWarnings('mina_tl, red scarf', words)).toEqual([]);
    expect(captionWarnings('smile', words)).toHaveLength(2);
    expect(captionWarnings('', words)[0]).toMatch(/^An empty caption trains as "mina_tl girl" alone/);
  });

  it('keeps the items each choice names, and counts them', () => {
    const keys = (filter: Parameters<typeof itemMatches>[1]) =>
      items.filter((i) => itemMatches(i, filter, words)).map((i) => i.key);
    expect(keys('all')).toHaveLength(6);
    expect(keys('quality')).toEqual(['warned']);
    expect(keys('caption')).toEqual(['short', 'empty', 'no-trigger']);
    expect(keys('excluded')).toEqual(['out']);
    expect(filterCounts(items, words)).toEqual({ all: 6, quality: 1, caption: 3, excluded: 1 });
  });
});

describe('excludeButtonText', () => {
  it('says what a click does, or what it is doing while its request is on its way', () => {
    expect(excludeButtonText(false, false)).toBe('Exclude');
    expect(excludeButtonText(true, false)).toBe('Re-include');
    expect(excludeButtonText(false, true)).toBe('Excluding…');
    expect(excludeButtonText(true, true)).toBe('Re-including…');
  });
});

describe('filterCountText', () => {
  it('counts the rows changed here that stay under the "Show" choice, so it adds up to the rows shown', () => {
    expect(filterCountText(1, 0, 3)).toBe('1 of 3 shown');
    expect(filterCountText(0, 2, 3)).toBe('0 of 3 shown, and 2 changed here (until "Show" changes)');
  });
});
