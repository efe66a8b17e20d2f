// src/jobs/training-copy.ts — a train job's training copy of its dataset version (`jobs/<id>/train-data`, kohya
// layout): written whole into a hidden sibling (`jobs/<id>/.train-data.partial`); once complete, the previous copy
// is renamed aside (`.train-data.old`), the new one renamed into place, and only then the previous one removed, so
// `train-data` is always a finished copy. Before, it was written in place: a server killed (or a copy that failed)
// midway left a partial `train-data`, which a resume after its version was deleted trained on without a word; and
// the previous copy was removed before the rename, so a removal cut short left a half-emptied `train-data`, and a
// rename that failed left no copy at all. A rename that fails puts the previous copy back. What a killed server
// left is settled by the next write and by the next start: a partial folder removed, a copy moved aside put back
// where `train-data` is missing (a server killed between the two renames), else removed.
import { existsSync, readdirSync, renameSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { jobRelDir } from './data-layout.js';
import { type RemovalFailure, removeFolders } from './deleted-folders.js';
import { errorCodeInWords } from '../fs-error-words.js';
import { type KeyedExportItem, writeKohyaFolder } from './kohya-export.js';

/** `train-data`: the training copy's folder name in the job folder. */
export const TRAINING_COPY_DIR = 'train-data';

/** `.train-data.partial`: where the copy is written before it is renamed into place (hidden: never listed). */
export const PARTIAL_TRAINING_COPY_DIR = `.${TRAINING_COPY_DIR}.partial`;

/** `jobs/<jobId>/train-data`: job `jobId`'s training copy, relative to the data folder. */
export function trainingCopyRel(jobId: string): string {
  return `${jobRelDir(jobId)}/${TRAINING_COPY_DIR}`;
}

/** `.train-data.old`: where the previous copy waits while the new one is renamed into place (hidden: never listed). */
export const OLD_TRAINING_COPY_DIR = `.${TRAINING_COPY_DIR}.old`;

/**
 * Writes dataset `datasetId`'s export (`items`) as the training copy at `copyDir` (absolute): into the partial
 * folder beside it (a leftover one removed first), then, once complete, in place of the copy there was (moved aside
 * first, removed last). A failed write or rename leaves the previous copy as it was, and no partial folder. The
 * previous copy's removal may fail (a file the system will not unlink): the new copy is in place all the same, and
 * the next write or start removes what is left of the old one.
 * @throws what writeKohyaFolder throws (TL_ERR_NOT_FOUND for a missing image, before anything is written); the
 *   file system's error of a rename that failed (the previous copy put back)
 */
export async function writeTrainingCopy(
  dataDir: string,
  datasetId: string,
  items: readonly KeyedExportItem[],
  copyDir: string,
): Promise<void> {
  const partial = join(dirname(copyDir), PARTIAL_TRAINING_COPY_DIR);
  const old = join(dirname(copyDir), OLD_TRAINING_COPY_DIR);
  await rm(partial, { recursive: true, force: true });
  try {
    await writeKohyaFolder(dataDir, datasetId, items, partial);
    await swapIntoPlace(partial, copyDir, old);
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  await rm(old, { recursive: true, force: true }).catch(() => undefined); // the next write or start removes it
}

/** Renames the finished copy `partial` to `copyDir`, the copy there first moved to `old` (a leftover one removed
 * first: `copyDir` is whole); the previous copy is moved back when the rename fails. */
async function swapIntoPlace(partial: string, copyDir: string, old: string): Promise<void> {
  const hadCopy = existsSync(copyDir);
  if (hadCopy) {
    await rm(old, { recursive: true, force: true });
    await rename(copyDir, old);
  }
  try {
    await rename(partial, copyDir);
  } catch (error) {
    if (hadCopy) await rename(old, copyDir); // failing too: the start puts it back (train-data missing)
    throw error;
  }
}

/** What the start did with the leftovers of the training copies killed servers were writing (absolute paths). */
export interface TrainingCopyLeftoversSweep {
  /** `.train-data.partial` folders removed. */
  removed: string[];
  /** `.train-data.old` folders removed (their `train-data` was in place). */
  removedOld: string[];
  /** `train-data` folders put back from `.train-data.old` (a server killed between the renames). */
  restored: string[];
  /** `.train-data.old` folders that could not be put back as their missing `train-data`. */
  notRestored: RemovalFailure[];
  /** Leftovers that could not be removed. */
  failed: RemovalFailure[];
}

/** At start (no job runs yet): in every `jobs/<id>` under `dataDir`, puts `.train-data.old` back as `train-data`
 * when that is missing (a server killed between the renames), else removes it, and removes `.train-data.partial`. */
export function settleTrainingCopyLeftovers(dataDir: string): TrainingCopyLeftoversSweep {
  let ids: string[];
  try {
    ids = readdirSync(join(dataDir, 'jobs'));
  } catch {
    return { removed: [], removedOld: [], restored: [], notRestored: [], failed: [] }; // no jobs/ folder yet
  }
  const jobDirs = ids.map((id) => join(dataDir, jobRelDir(id)));
  const { restored, notRestored } = putBackMovedAsideCopies(jobDirs);
  const failed: RemovalFailure[] = [];
  const remove = (name: string) => {
    const paths = jobDirs
      .map((jobDir) => join(jobDir, name))
      .filter((path) => existsSync(path) && !notRestored.some((failure) => failure.path === path));
    const notRemoved = removeFolders(paths);
    failed.push(...notRemoved);
    return paths.filter((path) => !notRemoved.some((failure) => failure.path === path));
  };
  const removed = remove(PARTIAL_TRAINING_COPY_DIR);
  return { removed, removedOld: remove(OLD_TRAINING_COPY_DIR), restored, notRestored, failed };
}

/** Renames `.train-data.old` back to `train-data` in each of `jobDirs` that has the one and not the other. */
function putBackMovedAsideCopies(jobDirs: readonly string[]): {
  restored: string[];
  notRestored: RemovalFailure[];
} {
  const restored: string[] = [];
  const notRestored: RemovalFailure[] = [];
  for (const jobDir of jobDirs) {
    const old = join(jobDir, OLD_TRAINING_COPY_DIR);
    const copy = join(jobDir, TRAINING_COPY_DIR);
    if (!existsSync(old) || existsSync(copy)) continue;
    try {
      renameSync(old, copy);
      restored.push(copy);
    } catch (error) {
      notRestored.push({ path: old, reason: errorCodeInWords(error) });
    }
  }
  return { restored, notRestored };
}

/** The start's warning about leftover `path` it could not remove (`reason`). */
function removalFailureLine(path: string, reason: string): string {
  if (basename(path) === PARTIAL_TRAINING_COPY_DIR) {
    return `could not remove ${path}, a half-written training copy a stopped server left (${reason}); no job trains on it, the next start tries again, or remove the folder yourself`;
  }
  return `could not remove ${path}, a training copy a stopped server had replaced (${reason}); no job trains on it, the next start tries again, or remove the folder yourself`;
}

/** The start's lines about that sweep (none when it found nothing). */
export function describeTrainingCopyLeftovers(
  sweep: TrainingCopyLeftoversSweep,
): Array<{ level: 'info' | 'warn'; line: string }> {
  const lines: Array<{ level: 'info' | 'warn'; line: string }> = [];
  if (sweep.removed.length > 0) {
    lines.push({
      level: 'info',
      line: `removed the half-written training copies a stopped server left (train jobs write them again): ${sweep.removed.join(', ')}`,
    });
  }
  if (sweep.restored.length > 0) {
    lines.push({
      level: 'info',
      line: `put back the training copies a stopped server had moved aside to replace them, stopped before the new copy took their place: ${sweep.restored.join(', ')}`,
    });
  }
  if (sweep.removedOld.length > 0) {
    lines.push({
      level: 'info',
      line: `removed the training copies a stopped server had replaced (the new copy is in place): ${sweep.removedOld.join(', ')}`,
    });
  }
  for (const { path, reason } of sweep.notRestored) {
    const copy = join(dirname(path), TRAINING_COPY_DIR);
    lines.push({
      level: 'warn',
      line: `could not put ${path} back as ${copy}, the training copy a stopped server had moved aside to replace it (${reason}); until it is back the job has no training copy: rename the folder to ${TRAINING_COPY_DIR} yourself, or the next start tries again`,
    });
  }
  for (const { path, reason } of sweep.failed)
    lines.push({ level: 'warn', line: removalFailureLine(path, reason) });
  return lines;
}
