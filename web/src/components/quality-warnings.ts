// web/src/components/quality-warnings.ts — the Dataset page's text for prep's crop quality warnings (pure):
// the header line counting the items that have any (with a button that sets "Show" to them: the line said "check
// it below", one item in 200 to find by scrolling), and the line shown on each such item.
import type { DatasetItem } from '../../../src/schemas/api.js';

/** How many items carry at least one quality warning. */
export function itemsWithWarnings(items: readonly Pick<DatasetItem, 'warnings'>[]): number {
  return items.filter((item) => item.warnings.length > 0).length;
}

/**
 * The header line over the items, or null when no item has a warning; `showingWarned`: "Show" is already on the
 * items with quality warnings (the others are hidden).
 */
export function warningsHeaderText(
  items: readonly Pick<DatasetItem, 'warnings'>[],
  showingWarned = false,
): string | null {
  const warned = itemsWithWarnings(items);
  if (warned === 0) return null;
  const which = warned === 1 ? '1 image has' : `${warned} images have`;
  const shown = showingWarned ? ', shown below' : '';
  return `${which} a quality warning (of ${items.length})${shown}: check ${warned === 1 ? 'it' : 'them'} and exclude what looks wrong before training.`;
}

/** The header button's label that sets "Show" to the warned items, or null (none warned, or shown already). */
export function showWarnedLabel(
  items: readonly Pick<DatasetItem, 'warnings'>[],
  showingWarned: boolean,
): string | null {
  const warned = itemsWithWarnings(items);
  if (warned === 0 || showingWarned) return null;
  return warned === 1 ? 'Show only the warned image' : `Show only the ${warned} warned images`;
}

/** One item's warning line: `Quality warning: <prep's text>` (prep's own "quality warning: " prefix dropped). */
export function itemWarningText(warning: string): string {
  return `Quality warning: ${warning.replace(/^quality warning:\s*/i, '')}`;
}
