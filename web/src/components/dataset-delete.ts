// web/src/components/dataset-delete.ts — the Dataset page's "Delete this version" (pure): the question asked first,
// naming the version as its picker does (number, time, images), what goes and what stays (DELETE /api/datasets/:id),
// and the version shown after it: the newest left, or none (the page's empty state).
import type { Dataset } from '../../../src/schemas/api.js';
import { newestDatasetId } from './dataset-versions.js';

/** The confirm's text for `datasets[index]`; `time` formats its ISO creation time as the picker does. */
export function deleteVersionQuestion(
  datasets: readonly Dataset[],
  index: number,
  time: (iso: string) => string,
): string {
  const d = datasets[index];
  if (!d) return '';
  const images = `${d.itemCount} image${d.itemCount === 1 ? '' : 's'}`;
  const later = index < datasets.length - 1 ? ' The versions after it move up a number.' : '';
  return (
    `Delete dataset v${index + 1} (${time(d.createdAt)}, ${images})? Its crops and captions, with your edits, are ` +
    'deleted from the server; this cannot be undone. Download the zip first to keep a copy. The LoRAs trained on ' +
    `it and the job that built it stay.${later}`
  );
}

/** The version to show once one is deleted: the newest left (`list` as the API sends it), else null. */
export function versionAfterDelete(list: readonly Dataset[]): string | null {
  return newestDatasetId(list) || null;
}
