// src/prep/out-dir.ts — prep's output folder: checked before any model loads (a writable folder, empty
// unless --overwrite, which may replace only what a previous run recorded), made with the run's staging
// folder in it, and at the run's end the staged output moved into place and the manifest written.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ToonloraError } from '../errors.js';
import { checkOutputFolder, makeFolders } from '../output-folder.js';
import type { Manifest } from '../schemas/manifest.js';
import { MANIFEST_FILE, writeManifest } from './manifest.js';
import {
  checkNoRunningPrep,
  commitStaging,
  isDesktopFile,
  planReplacement,
  type ReplacePlan,
  STAGING_DIR,
  startStaging,
} from './output-swap.js';

const OUT_DIR_HINT = 'Choose a new or empty folder you can write to for -o.';

export function outDirError(outDir: string, why: string, cause?: unknown): ToonloraError {
  return new ToonloraError('TL_ERR_USAGE', `${outDir}: ${why}. ${OUT_DIR_HINT}`, {
    cause,
    details: { file: outDir },
  });
}

/** Entries of an existing output folder; @throws TL_ERR_USAGE when it cannot be listed. */
function listOutDir(outDir: string): string[] {
  try {
    return readdirSync(outDir);
  } catch (error) {
    throw outDirError(
      outDir,
      `the output folder cannot be read (${(error as NodeJS.ErrnoException).code})`,
      error,
    );
  }
}

/**
 * Checks the output folder before any model loads: it (or the folder it would be made in) must be a
 * writable folder, and an existing one must be empty (a killed run's staging folder aside) unless
 * `overwrite`, which may replace only what a previous run recorded. Returns what the run replaces.
 * @throws ToonloraError TL_ERR_USAGE (no path, a file, or not writable) or TL_ERR_OUTPUT_EXISTS (not
 *   empty; with `overwrite`, holding files no previous run recorded)
 */
export function checkOutDir(outDir: string, datasetDir: string, overwrite: boolean): ReplacePlan {
  checkOutputFolder(outDir, OUT_DIR_HINT);
  if (existsSync(outDir)) checkNoRunningPrep(outDir);
  const entries = existsSync(outDir)
    ? listOutDir(outDir).filter((name) => name !== STAGING_DIR && !isDesktopFile(name))
    : [];
  if (entries.length === 0) return { files: [], folders: [] };
  if (!overwrite) {
    throw new ToonloraError(
      'TL_ERR_OUTPUT_EXISTS',
      `${outDir}: the output folder is not empty (${entries.length} entries). Choose an empty or new -o folder, or pass --overwrite to replace a previous prep output there.`,
      { details: { file: outDir } },
    );
  }
  return planReplacement(outDir, datasetDir);
}

/** Makes the output folder and the run's staging folder in it; returns the staging folder. */
export async function prepareOutDir(outDir: string): Promise<string> {
  const failed = await makeFolders(outDir);
  if (failed) {
    const { folder, error } = failed;
    const where = folder === outDir ? 'the output folder' : `its folder ${folder}`;
    throw outDirError(
      outDir,
      `${where} cannot be made in ${dirname(folder)} (${error.code === 'ENOENT' ? 'ENOENT: that filesystem does not allow new folders' : error.code})`,
      error,
    );
  }
  try {
    return await startStaging(outDir);
  } catch (error) {
    if (error instanceof ToonloraError) throw error; // another prep run started meanwhile
    throw outDirError(
      outDir,
      `the output folder cannot be made (${(error as NodeJS.ErrnoException).code})`,
      error,
    );
  }
}

/** Moves the run's output into place and writes its manifest; a failed write is a coded error naming the file. */
export async function finishOutDir(
  outDir: string,
  staging: string,
  plan: ReplacePlan,
  datasetDir: string,
  manifest: Manifest,
): Promise<string> {
  await commitStaging(outDir, staging, plan, datasetDir);
  try {
    return await writeManifest(outDir, manifest);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ToonloraError(
      'TL_ERR_OUTPUT_WRITE',
      `${join(outDir, MANIFEST_FILE)}: cannot be written (${code === 'ENOSPC' ? 'the disk is full' : code}); the dataset folder ${join(outDir, datasetDir)} holds the crops written. Free some space and run prep again with --overwrite.`,
      { cause: error, details: { file: join(outDir, MANIFEST_FILE) } },
    );
  }
}
