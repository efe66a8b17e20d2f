// web/src/components/dataset-selection.ts — the Dataset page's long-list rules (pure): which rows show (a page
// of the "Show" choice's items, "Show 50 more" adding the next; rows with a caption edit kept across the token
// prompt always), the rows picked for a bulk exclude / re-include (a click, a shift-click range in the shown
// order, "select all shown"), which of them a bulk action changes, and the words the page says about it.
import type { DatasetItem } from '../../../src/schemas/api.js';

/** Rows a long dataset shows at first, and how many more each "Show more" adds. */
export const LIST_PAGE_SIZE = 50;

/**
 * The keys of the rows to show, in the dataset's order: the first `limit` items `matches` keeps, and every
 * item in `pinned` that it keeps (a row with a kept caption edit shows wherever it is in the list).
 */
export function shownItemKeys(
  items: readonly DatasetItem[],
  matches: (item: DatasetItem) => boolean,
  limit: number,
  pinned: ReadonlySet<string> = new Set(),
): { keys: string[]; matching: number } {
  const keys: string[] = [];
  let matching = 0;
  for (const item of items) {
    if (!matches(item)) continue;
    matching += 1;
    if (matching <= limit || pinned.has(item.key)) keys.push(item.key);
  }
  return { keys, matching };
}

/**
 * The picked keys after a row's checkbox went to `checked`. With `range` (shift held) and an anchor (the row
 * clicked before) among the shown rows, every shown row from the anchor to this one goes to `checked`.
 */
export function pickRow(
  picked: ReadonlySet<string>,
  shown: readonly string[],
  anchor: string | null,
  key: string,
  checked: boolean,
  range: boolean,
): Set<string> {
  const next = new Set(picked);
  const from = anchor === null ? -1 : shown.indexOf(anchor);
  const to = shown.indexOf(key);
  const keys =
    range && from >= 0 && to >= 0 ? shown.slice(Math.min(from, to), Math.max(from, to) + 1) : [key];
  for (const k of keys) {
    if (checked) next.add(k);
    else next.delete(k);
  }
  return next;
}

/** "Select all shown": every shown row picked, or (all already were) none of them. Picks of hidden rows go. */
export function pickAllShown(picked: ReadonlySet<string>, shown: readonly string[]): Set<string> {
  const all = shown.length > 0 && shown.every((key) => picked.has(key));
  return all ? new Set() : new Set(shown);
}

/** The picked keys still shown (a "Show" choice that hides a picked row drops it: no action on unseen rows). */
export function pickedShown(picked: ReadonlySet<string>, shown: readonly string[]): string[] {
  return shown.filter((key) => picked.has(key));
}

/** The picked items a bulk exclude (`excluded` true) or re-include would change: the others already are so. */
export function bulkChangeKeys(
  items: readonly DatasetItem[],
  picked: readonly string[],
  excluded: boolean,
): string[] {
  const wanted = new Set(picked);
  return items.filter((item) => wanted.has(item.key) && item.excluded !== excluded).map((item) => item.key);
}

const images = (n: number) => `${n} image${n === 1 ? '' : 's'}`;

/** The selection's count beside the bulk buttons. */
export function pickedText(n: number): string {
  return n === 0 ? 'None selected' : `${n} selected`;
}

/** Said (role=status) once a bulk action is saved. */
export function bulkDoneText(n: number, excluded: boolean): string {
  return excluded ? `Excluded ${images(n)}: left out of training and the zip.` : `Re-included ${images(n)}.`;
}

/** The "Show more" button's words, or null when every matching row shows. */
export function showMoreText(shown: number, matching: number): string | null {
  const left = matching - shown;
  if (left <= 0) return null;
  return `Show ${Math.min(LIST_PAGE_SIZE, left)} more (${left} not shown)`;
}
