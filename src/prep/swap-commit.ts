// src/prep/swap-commit.ts — the end of a prep run, recoverable at every step. The previous run's recorded files
// are moved (renamed, never deleted) into a backup folder inside the output folder, with a journal naming what
// moves; the new output is renamed in; only when all of it is in place is the backup renamed to its "done" name and
// deleted. A failure at any step moves back what was moved (the previous dataset as it was, the new output back in
// the staging folder) and says in one line what failed, in words. A run killed midway leaves the backup folder:
// the next run's check (recoverInterruptedSwap) puts the previous dataset back, or names the folder when it
// cannot — it never deletes it.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { mkdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { ToonloraError } from '../errors.js';
import { fsCodeWords, fsErrorCode, fsErrorWords } from '../fs-error-words.js';

/** The previous dataset's files while a run swaps the new one in (hidden: listings and walks pass it by). */
export const BACKUP_DIR = '.toonlora-prep-backup';
/** The backup's name once the new output is all in place: only deletion is left (a kill then loses nothing). */
export const BACKUP_DONE_DIR = '.toonlora-prep-backup-done';
/** In the backup folder: what the swap moves. */
const JOURNAL_FILE = 'swap.json';
/** In the backup folder: the previous files, at their paths relative to the output folder. */
const OLD_DIR = 'old';

const journalSchema = z.object({
  /** The staging folder's name in the output folder. */
  staging: z.string().min(1),
  /** Previous files (relative to the output folder) moved into the backup. */
  oldFiles: z.array(z.string().min(1)),
  /** New entries (relative to the output folder) moved in from the staging folder. */
  newEntries: z.array(z.string().min(1)),
});
type Journal = z.infer<typeof journalSchema>;

/** The file operations the swap makes; tests pass one that fails at a chosen call. */
export interface SwapFs {
  rename(from: string, to: string): Promise<void>;
  mkdir(path: string, options: { recursive: boolean }): Promise<unknown>;
  rmdir(path: string): Promise<void>;
  rm(path: string, options: { recursive: boolean; force: boolean }): Promise<void>;
  writeFile(path: string, data: string): Promise<void>;
}

export const realSwapFs: SwapFs = { rename, mkdir, rmdir, rm, writeFile };

/** What the swap replaces and brings in, relative to the output folder. */
export interface SwapPlan {
  /** The previous run's files (its manifest and what it records) still there. */
  readonly oldFiles: readonly string[];
  /** Folders removed when they are left empty once the old files are out. */
  readonly folders: readonly string[];
  /** New entries in the staging folder (dataset folder, stages/, manifest.json), moved in in this order. */
  readonly newEntries: readonly string[];
}

/**
 * A file-system error's reason in words, with its code: the shared words (src/fs-error-words.ts), with what a
 * code means during a swap where it says more (a refused write: the folder is not writable; ENOENT, ENOTEMPTY:
 * something else moved or wrote files there meanwhile).
 */
export function fsReason(error: unknown, path?: string): string {
  const code = fsErrorCode(error);
  const folder = path ? `its folder ${dirname(path)}` : 'the folder';
  const inSwap: Record<string, string> = {
    EACCES: `${fsCodeWords('EACCES')}: ${folder} is not writable`,
    EPERM: `${fsCodeWords('EPERM')}: ${folder} is not writable`,
    ENOTEMPTY: 'something was written there during the run',
    EEXIST: 'something was written there during the run',
    ENOENT: 'it is no longer there',
  };
  const words = code === undefined ? undefined : (inSwap[code] ?? fsCodeWords(code));
  return words === undefined ? fsErrorWords(error) : `${words}, ${code}`;
}

/** One step of the swap that failed: what it was doing, the path, the error. */
class StepError extends Error {
  constructor(
    readonly what: string,
    readonly path: string,
    readonly error: unknown,
  ) {
    super(`${what} ${path}: ${fsReason(error, path)}`);
  }
}

async function step<T>(what: string, path: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new StepError(what, path, error);
  }
}

/** Removes `folder` (relative to `root`) and its subfolders, deepest first, where they are empty. */
async function removeEmptyFolders(fs: SwapFs, root: string, folder: string): Promise<void> {
  const full = join(root, folder);
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(full, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.isDirectory()) await removeEmptyFolders(fs, root, join(folder, entry.name));
  }
  if (readdirSync(full).length === 0) await step('removing the empty folder', full, () => fs.rmdir(full));
}

/**
 * Moves the previous files aside, the new entries in, then deletes the backup. On a failure, rolls back and
 * throws TL_ERR_OUTPUT_WRITE in one line: what failed (the path and the reason in words), that the previous
 * dataset is as it was (or, when moving it back failed too, where its files are), and where the new output is kept.
 */
export async function swapIn(
  outDir: string,
  staging: string,
  plan: SwapPlan,
  fs: SwapFs = realSwapFs,
): Promise<void> {
  const backup = join(outDir, BACKUP_DIR);
  const movedOld: string[] = [];
  const movedNew: string[] = [];
  try {
    if (plan.oldFiles.length > 0) {
      await step('making the backup folder', backup, () => fs.mkdir(backup, { recursive: false }));
      const journal: Journal = {
        staging: basename(staging),
        oldFiles: [...plan.oldFiles],
        newEntries: [...plan.newEntries],
      };
      await step('writing', join(backup, JOURNAL_FILE), () =>
        fs.writeFile(join(backup, JOURNAL_FILE), JSON.stringify(journal)),
      );
      for (const file of plan.oldFiles) {
        const aside = join(backup, OLD_DIR, file);
        await step('making the backup folder', dirname(aside), () =>
          fs.mkdir(dirname(aside), { recursive: true }),
        );
        await step('moving aside', join(outDir, file), () => fs.rename(join(outDir, file), aside));
        movedOld.push(file);
      }
      for (const folder of plan.folders) await removeEmptyFolders(fs, outDir, folder);
    }
    for (const entry of plan.newEntries) {
      await step('moving the new output into', join(outDir, entry), () =>
        fs.rename(join(staging, entry), join(outDir, entry)),
      );
      movedNew.push(entry);
    }
    if (plan.oldFiles.length > 0) {
      const done = join(outDir, BACKUP_DONE_DIR);
      await step('renaming the backup folder', backup, () => fs.rename(backup, done));
      // the new dataset is in place: a failure from here on only leaves the done backup, which the next run removes
      await fs.rm(done, { recursive: true, force: true }).catch(() => {});
    }
  } catch (error) {
    const failed = error instanceof StepError ? error : new StepError('replacing', outDir, error);
    const back = await rollBack(fs, outDir, staging, movedOld, movedNew);
    throw swapError(outDir, staging, failed, back);
  }
  await fs.rm(staging, { recursive: true, force: true }).catch(() => {});
}

/** Moves back what the swap moved, newest first; the first step that failed, if any. Goes on past failures. */
async function rollBack(
  fs: SwapFs,
  outDir: string,
  staging: string,
  movedOld: readonly string[],
  movedNew: readonly string[],
): Promise<StepError | undefined> {
  let failed: StepError | undefined;
  const attempt = async (what: string, path: string, run: () => Promise<unknown>): Promise<boolean> => {
    try {
      await step(what, path, run);
      return true;
    } catch (error) {
      failed ??= error as StepError;
      return false;
    }
  };
  for (const entry of [...movedNew].reverse())
    await attempt('moving the new output back from', join(outDir, entry), () =>
      fs.rename(join(outDir, entry), join(staging, entry)),
    );
  const backup = join(outDir, BACKUP_DIR);
  for (const file of [...movedOld].reverse()) {
    const target = join(outDir, file);
    await attempt('making the folder', dirname(target), () => fs.mkdir(dirname(target), { recursive: true }));
    await attempt('moving back', target, () => fs.rename(join(backup, OLD_DIR, file), target));
  }
  if (!failed) await fs.rm(backup, { recursive: true, force: true }).catch(() => {});
  return failed;
}

function swapError(
  outDir: string,
  staging: string,
  failed: StepError,
  rollBackFailed: StepError | undefined,
): ToonloraError {
  const previous = rollBackFailed
    ? `putting the previous dataset back failed too (${rollBackFailed.message}): its files not yet back are in ${join(outDir, BACKUP_DIR)}, and the next prep run into ${outDir} puts them back (or move them back by hand)`
    : 'the previous dataset is as it was';
  return new ToonloraError(
    'TL_ERR_OUTPUT_WRITE',
    `${outDir}: the new dataset could not be put in place: ${failed.message}. Nothing was replaced: ${previous}; the new output is kept in ${staging} (copy it out before the next prep run into this folder, which clears it).`,
    { cause: failed.error, details: { file: failed.path } },
  );
}

/**
 * Finishes or undoes a swap a killed run left in `outDir`, before a new run looks at the folder: a done backup
 * (the new output was all in place) is deleted; a backup mid-swap is undone (the new entries back into the staging
 * folder, the previous files back in place). Returns a line for the user when something was put back.
 * @throws ToonloraError TL_ERR_OUTPUT_EXISTS naming the backup folder when it cannot be undone (nothing deleted)
 */
export function recoverInterruptedSwap(outDir: string): string | undefined {
  rmSync(join(outDir, BACKUP_DONE_DIR), { recursive: true, force: true });
  const backup = join(outDir, BACKUP_DIR);
  if (!existsSync(backup)) return undefined;
  const cannot = (why: string): ToonloraError =>
    new ToonloraError(
      'TL_ERR_OUTPUT_EXISTS',
      `${outDir}: an earlier prep --overwrite was stopped while it replaced the dataset, and its previous files could not be put back (${why}); they are in ${backup} (${OLD_DIR}/ holds them at their places). Move them back by hand, then remove ${backup}.`,
      { details: { file: backup } },
    );
  let journal: Journal;
  try {
    journal = journalSchema.parse(JSON.parse(readFileSync(join(backup, JOURNAL_FILE), 'utf8')));
  } catch (error) {
    // killed before its journal was written: nothing was moved yet
    if (readdirSync(backup).length === 0) {
      rmSync(backup, { recursive: true, force: true });
      return undefined;
    }
    throw cannot(`its ${JOURNAL_FILE} cannot be read: ${(error as Error).message}`);
  }
  const staging = join(outDir, journal.staging);
  try {
    for (const entry of [...journal.newEntries].reverse()) {
      if (existsSync(join(outDir, entry)) && existsSync(staging) && !existsSync(join(staging, entry)))
        renameSync(join(outDir, entry), join(staging, entry));
    }
    let restored = 0;
    for (const file of journal.oldFiles) {
      const aside = join(backup, OLD_DIR, file);
      if (!existsSync(aside)) continue;
      mkdirSync(dirname(join(outDir, file)), { recursive: true });
      renameSync(aside, join(outDir, file));
      restored += 1;
    }
    rmSync(backup, { recursive: true, force: true });
    return `${outDir}: an earlier prep --overwrite was stopped while it replaced the dataset; the previous dataset is put back (${restored} files)`;
  } catch (error) {
    const path = (error as NodeJS.ErrnoException).path;
    throw cannot(`${path ?? backup}: ${fsReason(error, path)}`);
  }
}
