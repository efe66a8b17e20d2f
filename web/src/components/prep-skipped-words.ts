// web/src/components/prep-skipped-words.ts — what a finished prep skipped, in words for the Upload page (pure):
// the dataset version's skipped list grouped by why (too small, blank, near-duplicate, no character), each group
// with its count and a shortened list of names, and the advice an empty version calls for.
import type { z } from 'zod';
import type { datasetSkippedSchema } from '../../../src/schemas/api.js';

export type SkippedEntry = z.infer<typeof datasetSkippedSchema>;

type Why = 'noCharacter' | 'tooSmall' | 'blank' | 'duplicate' | 'failed' | 'other';

const WHY_WORDS: Record<Why, string> = {
  noCharacter: 'no character was found',
  tooSmall: 'the characters found were too small',
  blank: 'blank (no figure in them)',
  duplicate: 'near-duplicates of crops already kept',
  failed: 'they could not be read',
  other: 'for the reasons on the Dataset page',
};

/** How many names a group lists before "and N more". */
const LISTED = 3;

/** Why one skipped entry was skipped: every kind its reason names, in a fixed order (a page's panels may differ). */
export function skippedWhy(entry: SkippedEntry): Why[] {
  if (entry.status === 'error' || entry.status === 'failed') return ['failed'];
  const reason = entry.reason.toLowerCase();
  if (reason.includes('no character found')) return ['noCharacter'];
  const found: Why[] = [];
  if (reason.includes('too small')) found.push('tooSmall');
  if (/\bblank\b/.test(reason)) found.push('blank');
  if (reason.includes('near-duplicate')) found.push('duplicate');
  return found.length > 0 ? found : ['other'];
}

function shortNames(names: readonly string[], separator: string): string {
  if (names.length <= LISTED) return names.join(separator);
  return `${names.slice(0, LISTED - 1).join(separator)} and ${names.length - (LISTED - 1)} more`;
}

/**
 * One line per group of the same unit (screenshots skipped whole, or crops of a kept screenshot left out) and the
 * same reasons: `4 screenshots skipped: the characters found were too small (page.png, page-q70.jpg and 2 more).`
 */
export function skippedLines(skipped: readonly SkippedEntry[]): string[] {
  const groups = new Map<string, { crops: boolean; why: Why[]; names: string[] }>();
  for (const entry of skipped) {
    const crops = entry.status === 'rejected crop';
    const why = skippedWhy(entry);
    const key = `${crops}:${why.join('+')}`;
    const group = groups.get(key) ?? { crops, why, names: [] };
    group.names.push(entry.source.split('/').pop() ?? entry.source);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ crops, why, names }) => {
    const n = names.length;
    const what = crops
      ? `${n} crop${n === 1 ? '' : 's'} left out`
      : `${n} screenshot${n === 1 ? '' : 's'} skipped`;
    const words = why.map((w) => WHY_WORDS[w]).join(', or ');
    // a crop's name holds a comma ("page.png, panel 3"): crops are listed with semicolons
    return `${what}: ${words} (${shortNames(names, crops ? '; ' : ', ')}).`;
  });
}

/** What to try when a version came out empty, from why its screenshots were skipped (null: nothing to suggest). */
export function emptyVersionAdvice(skipped: readonly SkippedEntry[]): string | null {
  const why = new Set(skipped.flatMap(skippedWhy));
  const advice: string[] = [];
  if (why.has('tooSmall')) {
    advice.push('use larger screenshots, or ones where the character fills more of the picture or panel');
  }
  if (why.has('noCharacter') || why.has('blank'))
    advice.push('try other screenshots or another character cut-out');
  if (advice.length === 0) return null;
  const text = advice.join('; ');
  return `${text[0]?.toUpperCase()}${text.slice(1)}.`;
}
