// web/src/components/dataset-review.ts — the Dataset page's text rules (pure): a caption as typed (one line,
// Enter separates tags) and as saved (no dangling separator), and a skipped file's reason without the
// file name the page already shows; an item's name (a strip panel's crop names its panel); the warning for a caption that does not start with the trigger word; which
// items a "Show" choice keeps (a 200-crop review: only the warned or excluded ones, not 200 rows to scroll).
import { CAPTION_MAX_LENGTH, type DatasetItem } from '../../../src/schemas/api.js';
import { visibleText } from '../../../src/visible-text.js';
import { captionLengthWarning, captionShortWarning } from './caption-tokens.js';

/** The longest caption the API takes (the textarea's maxLength). */
export const CAPTION_MAX = CAPTION_MAX_LENGTH;

/**
 * A warning when a caption (as it would be saved) does not start with the character's trigger word, compared in
 * any case (CLIP lower-cases: `Mina_TL` is `mina_tl`). Without the trigger, kohya trains that image without it.
 * With the trigger as a later tag's word, this app's training (shuffled captions) puts it first anyway, but a
 * kohya export keeps the order (keep_tokens=1 holds the first tag in place): that is said instead. Empty is fine
 * (it trains as `<trigger> <class>`).
 */
export function captionTriggerWarning(caption: string, trigger: string): string | null {
  const text = captionToSave(caption);
  const word = trigger.trim();
  if (!text || !word) return null;
  const wanted = word.toLowerCase();
  const tags = text.split(',').map((tag) => tag.trim().toLowerCase().split(/\s+/));
  if (tags[0]?.[0] === wanted) return null;
  if (tags.some((words) => words.includes(wanted))) {
    return `The trigger word ${word} is not the first tag: training here puts it first, but a kohya export keeps this order. Put "${word}, " first.`;
  }
  return `This caption does not start with the trigger word ${word}: the image trains without it. Put "${word}, " first.`;
}

/** A row's exclude button: what a click does, or while its request is on its way, what it is doing. */
export function excludeButtonText(excluded: boolean, pending: boolean): string {
  if (pending) return excluded ? 'Re-including…' : 'Excluding…';
  return excluded ? 'Re-include' : 'Exclude';
}

/** The caption as the textarea keeps it: Enter (a line break) becomes the tag separator ", ". */
export function captionFromInput(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ', ');
}

/** The caption to save: trimmed, without leading or trailing separators (a last Enter leaves ", "). Empty
 * means the folder's `<trigger> <class>`. */
export function captionToSave(text: string): string {
  return text.replace(/^[\s,]+|[\s,]+$/g, '');
}

/** `reason` without a leading "<file name>: " (datasets made before the prep job named the uploads in its reasons
 * kept prep's name for its stored copy, e.g. `001-white.png` for the upload `white.png`; the list shows the name
 * beside the reason), control and bidi characters in it shown as escapes. */
export function skippedReasonText(source: string, reason: string): string {
  const name = source.split('/').pop() ?? source;
  const match = /^([^:]+): /.exec(reason);
  const prefixName = match?.[1]?.split('/').pop() ?? '';
  return visibleText(match && prefixName.endsWith(name) ? reason.slice(match[0].length) : reason);
}

/** A skipped file's name as its row shows it: the upload's name, a right-to-left override in it shown as `\u202E`. */
export function skippedFileName(source: string): string {
  return visibleText(source.split('/').pop() ?? source);
}

/** How an item is named on its row and to screen readers: its file name, and for a crop from a webtoon strip the
 * panel it came from ("webtoon-ep1.png, panel 3"; a strip's crops all came from the one file). Control and bidi
 * characters are shown as escapes (a U+202E in `photo\u202Egnp.exe` showed the name reversed). */
export function itemDisplayName(item: Pick<DatasetItem, 'source' | 'panel'>): string {
  const fileName = visibleText(item.source.split('/').pop() ?? item.source);
  return item.panel ? `${fileName}, panel ${item.panel.index}` : fileName;
}

/**
 * What a screen reader names an item's images and buttons by: each with the item's file name, since every
 * item has the same four stages and the same buttons ("Save caption" alone does not say which item).
 */
export function itemAccessibleNames(
  fileName: string,
  excluded: boolean,
): {
  stage: (label: string) => string;
  save: string;
  exclude: string;
  keepMine: string;
  useOther: string;
  pick: string;
} {
  return {
    pick: `Select ${fileName}`,
    stage: (label) => `${fileName}: ${label}`,
    save: `Save caption for ${fileName}`,
    keepMine: `Keep my caption text for ${fileName}`,
    useOther: `Use the other caption text for ${fileName}`,
    exclude: `${excluded ? 'Re-include' : 'Exclude'} ${fileName}`,
  };
}

/** The character words a caption is checked against. */
export interface CaptionWords {
  trigger: string;
  classWord: string;
}

/** Every warning a caption (as typed) gets: no leading trigger word, longer than CLIP reads, too short. */
export function captionWarnings(caption: string, words: CaptionWords): string[] {
  const text = captionToSave(caption);
  const length = captionLengthWarning(text) ?? captionShortWarning(text, words.trigger, words.classWord);
  return [captionTriggerWarning(text, words.trigger), length].filter((w): w is string => w !== null);
}

/** The page's "Show" choices, in order, with their labels. */
export const ITEM_FILTERS = [
  ['all', 'All images'],
  ['quality', 'Quality warnings'],
  ['caption', 'Caption warnings'],
  ['excluded', 'Excluded'],
] as const;
export type ItemFilter = (typeof ITEM_FILTERS)[number][0];

/**
 * The "Show" choice's status line: `1 of 3 shown`; rows changed on the page that no longer match (a row
 * re-included under "Excluded", one row or in bulk) stay until the choice changes, and are counted after it:
 * `1 of 3 shown, and 1 changed here (until "Show" changes)`, so it adds up to the rows on screen.
 * @param matching items that match the choice now; `stayed`: shown rows that no longer match; `all`: items
 */
export function filterCountText(matching: number, stayed: number, all: number): string {
  const text = `${matching} of ${all} shown`;
  return stayed > 0 ? `${text}, and ${stayed} changed here (until "Show" changes)` : text;
}

/** Whether `item` (its saved caption) shows under `filter`. */
export function itemMatches(item: DatasetItem, filter: ItemFilter, words: CaptionWords): boolean {
  switch (filter) {
    case 'all':
      return true;
    case 'quality':
      return item.warnings.length > 0;
    case 'caption':
      return captionWarnings(item.caption, words).length > 0;
    case 'excluded':
      return item.excluded;
  }
}

/** How many items each "Show" choice keeps. */
export function filterCounts(items: readonly DatasetItem[], words: CaptionWords): Record<ItemFilter, number> {
  const counts = { all: 0, quality: 0, caption: 0, excluded: 0 };
  for (const [filter] of ITEM_FILTERS) {
    counts[filter] = items.filter((item) => itemMatches(item, filter, words)).length;
  }
  return counts;
}
