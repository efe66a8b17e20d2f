// web/src/components/dataset-versions.ts — how the pages name and pick a character's dataset versions
// (pure): the Train page preselects the newest, labels each with its number, included images and time,
// refuses to start on one with no included image, and the Screenshots page warns before a rebuild
// leaves the newest version's review behind.
import type { Dataset } from '../../../src/schemas/api.js';

/** The newest version's id (the list is oldest first, as the API sends it); '' when there is none. */
export function newestDatasetId(datasets: readonly Dataset[]): string {
  return datasets[datasets.length - 1]?.id ?? '';
}

/**
 * The option text of `datasets[index]`: "v2 · 5 images · 10:41 · newest". `time` formats the ISO creation
 * time (the page passes the browser's locale clock).
 */
export function datasetVersionLabel(
  datasets: readonly Dataset[],
  index: number,
  time: (iso: string) => string,
): string {
  const d = datasets[index];
  if (!d) return '';
  const included = d.itemCount - d.excludedCount;
  const newest = index === datasets.length - 1 ? ' · newest' : '';
  return `v${index + 1} · ${included} image${included === 1 ? '' : 's'} · ${time(d.createdAt)}${newest}`;
}

/** Why a train job cannot start on `dataset` (null: it can). */
export function trainBlockReason(dataset: Dataset | undefined): string | null {
  if (!dataset) return 'Build a dataset first (Screenshots tab).';
  if (dataset.itemCount - dataset.excludedCount === 0) {
    return dataset.itemCount === 0
      ? 'This dataset version has no images: its prep found no character. Add other screenshots and build again.'
      : 'Every image of this dataset version is excluded: re-include some on the Dataset tab.';
  }
  return null;
}

/**
 * The question asked before a rebuild when the newest version was reviewed (captions edited, images
 * excluded); null when there is nothing to lose.
 */
export function rebuildWarning(datasets: readonly Dataset[]): string | null {
  const latest = datasets[datasets.length - 1];
  if (!latest || (latest.editedCount === 0 && latest.excludedCount === 0)) return null;
  const edits = [
    latest.editedCount > 0 && `${latest.editedCount} edited caption${latest.editedCount === 1 ? '' : 's'}`,
    latest.excludedCount > 0 &&
      `${latest.excludedCount} excluded image${latest.excludedCount === 1 ? '' : 's'}`,
  ].filter(Boolean);
  return (
    `Dataset v${datasets.length} has ${edits.join(' and ')}. The new version starts from fresh captions with every ` +
    `image included; v${datasets.length} keeps its edits and stays selectable on the Train page. Build anyway?`
  );
}
