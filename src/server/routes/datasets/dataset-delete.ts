// src/server/routes/datasets/dataset-delete.ts — the files of a deleted dataset version: its folder (the prep
// job's `jobs/<jobId>/dataset`: crops, stage images, captions, manifest) is removed once its rows are gone; the
// uploads its originals came from and the rest of the prep job's folder stay. A folder that cannot be removed is
// named in the server's log: the version is gone, so it is only disk space, freed with the prep job's delete.
import type { FastifyBaseLogger } from 'fastify';
import { resolveDataPath } from '../../../jobs/data-path.js';
import { operatorLine } from '../../plugins/errors.js';
import { type Leftover, removePaths } from '../loras/lora-files.js';

/** The absolute folder of a dataset version stored at `dir` (relative to `dataDir`), when it lies in a job's
 * folder, where prep writes it; else null (nothing outside a job's folder is removed). */
export function datasetFolderPath(dataDir: string, dir: string): string | null {
  const parts = dir.split('/');
  if (parts[0] !== 'jobs' || parts.length < 2 || parts.some((p) => p === '' || p === '.' || p === '..'))
    return null;
  return resolveDataPath(dataDir, dir);
}

/** The server log's line for a dataset folder a delete left on disk. */
export function datasetLeftoverLine(id: string, leftovers: readonly Leftover[]): string {
  const list = leftovers.map((l) => `${l.path} (${l.error})`).join(', ');
  return `dataset version ${id} was deleted, but its folder stays on disk: ${list}. Remove it by hand, or delete the prep job that made it.`;
}

/** Removes a deleted version's folder and logs what stays; never throws. */
export async function removeDatasetFolder(
  dataDir: string,
  id: string,
  dir: string,
  log: FastifyBaseLogger,
): Promise<void> {
  const folder = datasetFolderPath(dataDir, dir);
  if (!folder) return;
  const leftovers = await removePaths([folder]);
  if (leftovers.length > 0)
    operatorLine(log, 'warn', { datasetId: id, leftovers }, datasetLeftoverLine(id, leftovers));
}
