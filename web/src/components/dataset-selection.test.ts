// web/src/components/dataset-selection.test.ts — the Dataset page's paging and bulk selection rules.
import { describe, expect, it } from 'vitest';
import type { DatasetItem } from '../../../src/schemas/api.js';
import {
  bulkChangeKeys,
  bulkDoneText,
  LIST_PAGE_SIZE,
  pickAllShown,
  pickedShown,
  pickedText,
  pickRow,
  showMoreText,
  shownItemKeys,
} from './dataset-selection.js';

const item = (key: string, excluded = false): DatasetItem => ({
  key,
  source: `${key}.png`,
  panel: null,
  caption: '',
  captionVersion: 'v',
  excluded,
  stages: { original: null, textRemoved: null, mask: null, crop: null },
  warnings: [],
});
const items = Array.from({ length: 120 }, (_, i) => item(`k${String(i).padStart(3, '0')}`, i % 3 === 0));

describe('shownItemKeys', () => {
  it('shows a page of the matching items, and a pinned one past it', () => {
    const all = shownItemKeys(items, () => true, LIST_PAGE_SIZE);
    expect(all.matching).toBe(120);
    expect(all.keys).toHaveLength(50);
    expect(all.keys[49]).toBe('k049');
    const pinned = shownItemKeys(items, () => true, 50, new Set(['k100']));
    expect(pinned.keys).toHaveLength(51);
    expect(pinned.keys.at(-1)).toBe('k100');
    const excluded = shownItemKeys(items, (i) => i.excluded, 10, new Set(['k001']));
    expect(excluded.matching).toBe(40);
    expect(excluded.keys).toEqual([
      'k000',
      'k003',
      'k006',
      'k009',
      'k012',
      'k015',
      'k018',
      'k021',
      'k024',
      'k027',
    ]);
  });
});

describe('picking rows', () => {
  const shown = ['a', 'b', 'c', 'd', 'e'];
  it('toggles one row; shift picks or unpicks the shown range from the anchor, either direction', () => {
    let picked = pickRow(new Set(), shown, null, 'b', true, false);
    expect([...picked]).toEqual(['b']);
    picked = pickRow(picked, shown, 'b', 'd', true, true);
    expect([...picked].sort()).toEqual(['b', 'c', 'd']);
    picked = pickRow(picked, shown, 'd', 'c', false, true);
    expect([...picked].sort()).toEqual(['b']);
    picked = pickRow(picked, shown, 'e', 'a', true, true);
    expect([...picked].sort()).toEqual(shown);
    // an anchor no longer shown: a plain toggle
    expect([...pickRow(new Set(), shown, 'zz', 'c', true, true)]).toEqual(['c']);
  });

  it('selects all shown, then none; keeps only the shown picks for an action', () => {
    expect([...pickAllShown(new Set(['zz', 'a']), shown)]).toEqual(shown);
    expect([...pickAllShown(new Set(shown), shown)]).toEqual([]);
    expect(pickedShown(new Set(['e', 'zz', 'a']), shown)).toEqual(['a', 'e']);
  });

  it('changes only the picked items not already so', () => {
    const some = [item('a', true), item('b'), item('c')];
    expect(bulkChangeKeys(some, ['a', 'b'], true)).toEqual(['b']);
    expect(bulkChangeKeys(some, ['a', 'b'], false)).toEqual(['a']);
  });
});

describe('words', () => {
  it('counts the selection, says what a bulk action did and what is not shown', () => {
    expect(pickedText(0)).toBe('None selected');
    expect(pickedText(12)).toBe('12 selected');
    expect(bulkDoneText(1, true)).toBe('Excluded 1 image: left out of training and the zip.');
    expect(bulkDoneText(3, false)).toBe('Re-included 3 images.');
    expect(showMoreText(50, 200)).toBe('Show 50 more (150 not shown)');
    expect(showMoreText(150, 170)).toBe('Show 20 more (20 not shown)');
    expect(showMoreText(50, 50)).toBeNull();
  });
});
