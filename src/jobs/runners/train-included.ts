// src/jobs/runners/train-included.ts — a train job needs at least one included item of its dataset version when it
// starts, not only when it is submitted (POST /api/jobs refuses a version with none): items excluded on the Dataset
// page while the job waited in the queue would leave it an empty training copy, and the worker failed on that copy
// with a server path and the CLI's advice. It fails first, in the submit check's words and what to do on the pages.
import { ToonloraError } from '../../errors.js';

/**
 * @throws ToonloraError TL_ERR_USAGE when every item of dataset version `datasetId` is excluded: naming the version,
 *   and to re-include some on the Dataset page, then start the training again
 */
export function checkSomeItemIncluded(datasetId: string, items: readonly { excluded: boolean }[]): void {
  if (items.some((item) => !item.excluded)) return;
  throw new ToonloraError(
    'TL_ERR_USAGE',
    `dataset version ${datasetId} has no included images (all were excluded after this job was queued); ` +
      're-include some on the Dataset page and start the training again.',
    { details: { datasetId } },
  );
}
