// src/jobs/training-copy.ts — a train job's training copy of its dataset version (`jobs/<id>/train-data`, kohya
// layout): written whole into a hidden sibling (`jobs/<id>/.train-data.partial`) and renamed into place once
// complete, so `train-data` is always a finished copy. Before, it was written in place: a server killed (or a copy
// that failed) midway left a partial `train-data`, which a resume after its version was deleted trained on without
// a word. A partial folder a killed server left is removed at the next write, and by the next start.
import { existsSync, readdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { jobRelDir } from './data-layout.js';
import { type RemovalFailure, removeFolders } from './deleted-folders.js';
import { type KeyedExportItem, writeKohyaFolder } from './kohya-export.js';

/** `train-data`: the training copy's folder name in the job folder. */
export const TRAINING_COPY_DIR = 'train-data';

/** `.train-data.partial`: where the copy is written before it is renamed into place (hidden: never listed). */
export const PARTIAL_TRAINING_COPY_DIR = `.${TRAINING_COPY_DIR}.partial`;

/** `jobs/<jobId>/train-data`: job `jobId`'s training copy, relative to the data folder. */
export function trainingCopyRel(jobId: string): string {
  return `${jobRelDir(jobId)}/${TRAINING_COPY_DIR}`;
}

/**
 * Writes dataset `datasetId`'s export (`items`) as the training copy at `copyDir` (absolute): into the partial
 * folder beside it (a leftover one removed first), then, once complete, in place of the copy there was. A failed
 * write leaves the previous copy as it was, and no partial folder.
 * @throws what writeKohyaFolder throws (TL_ERR_NOT_FOUND for a missing image, before anything is written)
 */
export async function writeTrainingCopy(
  dataDir: string,
  datasetId: string,
  items: readonly KeyedExportItem[],
  copyDir: string,
): Promise<void> {
  const partial = join(dirname(copyDir), PARTIAL_TRAINING_COPY_DIR);
  await rm(partial, { recursive: true, force: true });
  try {
    await writeKohyaFolder(dataDir, datasetId, items, partial);
    await rm(copyDir, { recursive: true, force: true });
    await rename(partial, copyDir);
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

/** What the start did with the partial training copies killed servers left (absolute paths). */
export interface PartialCopiesSweep {
  removed: string[];
  failed: RemovalFailure[];
}

/** At start (no job runs yet): removes every `jobs/<id>/.train-data.partial` under `dataDir`. */
export function removePartialTrainingCopies(dataDir: string): PartialCopiesSweep {
  let ids: string[];
  try {
    ids = readdirSync(join(dataDir, 'jobs'));
  } catch {
    return { removed: [], failed: [] }; // no jobs/ folder yet
  }
  const partials = ids
    .map((id) => join(dataDir, jobRelDir(id), PARTIAL_TRAINING_COPY_DIR))
    .filter((path) => existsSync(path));
  const failed = removeFolders(partials);
  const removed = partials.filter((path) => !failed.some((failure) => failure.path === path));
  return { removed, failed };
}

/** The start's lines about that sweep (none when it found nothing). */
export function describePartialCopiesSweep(
  sweep: PartialCopiesSweep,
): Array<{ level: 'info' | 'warn'; line: string }> {
  const lines: Array<{ level: 'info' | 'warn'; line: string }> = [];
  if (sweep.removed.length > 0) {
    lines.push({
      level: 'info',
      line: `removed the half-written training copies a stopped server left (train jobs write them again): ${sweep.removed.join(', ')}`,
    });
  }
  for (const { path, reason } of sweep.failed) {
    lines.push({
      level: 'warn',
      line: `could not remove ${path}, a half-written training copy a stopped server left (${reason}); no job trains on it, the next start tries again, or remove the folder yourself`,
    });
  }
  return lines;
}
