// web/src/components/quality-warnings.ts — the Dataset page's text for prep's crop quality warnings (pure):
// the header line counting the items that have any, and the line shown on each such item.
import type { DatasetItem } from '../../../src/schemas/api.js';

/** How many items carry at least one quality warning. */
export function itemsWithWarnings(items: readonly Pick<DatasetItem, 'warnings'>[]): number {
  return items.filter((item) => item.warnings.length > 0).length;
}

/** The header line over the items, or null when no item has a warning. */
export function warningsHeaderText(items: readonly Pick<DatasetItem, 'warnings'>[]): string | null {
  const warned = itemsWithWarnings(items);
  if (warned === 0) return null;
  const which = warned === 1 ? '1 image has' : `${warned} images have`;
  return `${which} a quality warning (of ${items.length}): check ${warned === 1 ? 'it' : 'them'} below and exclude what looks wrong before training.`;
}

/** One item's warning line: `Quality warning: <prep's text>` (prep's own "quality warning: " prefix dropped). */
export function itemWarningText(warning: string): string {
  return `Quality warning: ${warning.replace(/^quality warning:\s*/i, '')}`;
}
