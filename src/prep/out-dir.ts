// src/prep/out-dir.ts — prep's output folder: checked before any model loads (a writable folder, empty
// unless --overwrite, which may replace only what a previous run recorded), made with the run's staging
// folder in it, and at the run's end the manifest written and the staged output moved into place with it; a full
// disk stops the run, leaving nothing of it behind.
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isDiskFullError } from '../disk-full.js';
import { ToonloraError } from '../errors.js';
import { errorCodeInWords } from '../fs-error-words.js';
import { checkOutputFolder, entriesInWords, makeFolders, namesInBrief } from '../output-folder.js';
import type { Manifest } from '../schemas/manifest.js';
import { prepDiskFullError } from './disk-full.js';
import { MANIFEST_FILE, readManifest, writeManifest } from './manifest.js';
import {
  checkNoRunningPrep,
  commitStaging,
  isDesktopFile,
  isPrepWorkFolder,
  overwriteBlockers,
  planReplacement,
  type ReplacePlan,
  releaseStaging,
  STAGES_DIR,
  startStaging,
} from './output-swap.js';
import { recoverInterruptedSwap } from './swap-commit.js';

/** The fix, as data: the CLI names -o, the web app the server's data folder (src/error-fix.ts). */
const OUT_DIR_FIX = { kind: 'writable-output', folder: 'dataset' } as const;

export function outDirError(outDir: string, why: string, cause?: unknown): ToonloraError {
  return new ToonloraError('TL_ERR_USAGE', `${outDir}: ${why}.`, {
    cause,
    details: { file: outDir },
    fix: OUT_DIR_FIX,
  });
}

/** Entries of an existing output folder; @throws TL_ERR_USAGE when it cannot be listed. */
function listOutDir(outDir: string): string[] {
  try {
    return readdirSync(outDir);
  } catch (error) {
    throw outDirError(outDir, `the output folder cannot be read (${errorCodeInWords(error)})`, error);
  }
}

/**
 * Checks the output folder before any model loads: it (or the folder it would be made in) must be a
 * writable folder; a dataset swap a killed run left half done is undone first (the previous dataset put back,
 * said through `onMessage`); an existing folder must be empty (a killed run's staging folder aside) unless
 * `overwrite`, which may replace only what a previous run recorded, and not captions the user edited since
 * unless `discardEdits`. Returns what the run replaces.
 * @throws ToonloraError TL_ERR_USAGE (no path, a file, or not writable) or TL_ERR_OUTPUT_EXISTS (not
 *   empty; with `overwrite`, holding files no previous run recorded or hand-edited captions)
 */
export function checkOutDir(
  outDir: string,
  datasetDir: string,
  overwrite: boolean,
  discardEdits = false,
  onMessage: (line: string) => void = () => {},
): ReplacePlan {
  checkOutputFolder(outDir, OUT_DIR_FIX);
  if (existsSync(outDir)) {
    checkNoRunningPrep(outDir);
    const recovered = recoverInterruptedSwap(outDir);
    if (recovered) onMessage(recovered);
  }
  const entries = existsSync(outDir)
    ? listOutDir(outDir).filter((name) => !isPrepWorkFolder(name) && !isDesktopFile(name))
    : [];
  if (entries.length === 0) return { files: [], folders: [] };
  if (!overwrite) throw notEmptyError(outDir, entries, blockersOf(outDir, datasetDir));
  return planReplacement(outDir, datasetDir, discardEdits);
}

/** The entries a previous prep run's readable manifest.json says are its own (none without one). */
function previousPrepEntries(outDir: string): Set<string> {
  try {
    const previous = readManifest(join(outDir, MANIFEST_FILE));
    return new Set([MANIFEST_FILE, previous.datasetDir, STAGES_DIR]);
  } catch {
    return new Set();
  }
}

/** The entries that would stop --overwrite too (output-swap.ts); none when they cannot be told (a folder that
 * cannot be listed: --overwrite then says so itself). */
function blockersOf(outDir: string, datasetDir: string): string[] {
  try {
    return overwriteBlockers(outDir, datasetDir);
  } catch {
    return [];
  }
}

/**
 * Why --overwrite would refuse the folder too, for the `blockers` it names: `its manifest.json is not a prep
 * manifest`, `prep writes its own stages there and it holds files no prep run recorded`.
 */
function blockersInWords(blockers: readonly string[]): string {
  const folders = blockers.filter((name) => name !== MANIFEST_FILE);
  return [
    ...(blockers.includes(MANIFEST_FILE) ? [`its ${MANIFEST_FILE} is not a prep manifest`] : []),
    ...(folders.length > 0
      ? [
          `prep writes its own ${namesInBrief(folders)} there and ${folders.length === 1 ? 'it holds' : 'they hold'} files no prep run recorded`,
        ]
      : []),
  ].join(', and ');
}

/**
 * The refusal of a non-empty output folder without --overwrite, naming what in it is a previous prep output and
 * what is not (--overwrite replaces only the former and leaves the user's files as they are), and the entries that
 * would make --overwrite refuse it too (`blockers`: a folder of the user's named `stages`, a manifest.json not prep's).
 */
function notEmptyError(
  outDir: string,
  entries: readonly string[],
  blockers: readonly string[],
): ToonloraError {
  const ours = previousPrepEntries(outDir);
  const prepOutput = entries.filter((name) => ours.has(name));
  const others = entries.filter((name) => !ours.has(name));
  const notPrep = `${entriesInWords(others.length)} that ${others.length === 1 ? 'is' : 'are'} not a prep output (${namesInBrief(others)})`;
  const what =
    others.length === 0
      ? `holds a previous prep output (${namesInBrief(prepOutput)})`
      : prepOutput.length === 0
        ? `the output folder holds ${notPrep}`
        : `holds a previous prep output (${namesInBrief(prepOutput)}) and ${notPrep}`;
  const why =
    blockers.length > 0
      ? `${what}. Choose an empty or new -o folder; --overwrite would refuse it too, as ${blockersInWords(blockers)} (move ${namesInBrief(blockers)} out of the folder to use it with --overwrite)`
      : others.length === 0
        ? `${what}. Pass --overwrite to replace it, or choose an empty or new -o folder`
        : prepOutput.length === 0
          ? `${what}. Choose an empty or new -o folder (with --overwrite, prep writes its output beside them and leaves them as they are)`
          : `${what}. Pass --overwrite to replace the prep output (your files are left as they are), or choose an empty or new -o folder`;
  return new ToonloraError('TL_ERR_OUTPUT_EXISTS', `${outDir}: ${why}.`, {
    details: {
      file: outDir,
      entries: others,
      ...(blockers.length > 0 ? { overwriteBlockers: [...blockers] } : {}),
    },
  });
}

/** Makes the output folder and the run's staging folder in it; returns the staging folder. An earlier run's kept
 * output that the staging folder replaces is said through `onMessage` (output-swap-claim.ts).
 * @throws ToonloraError TL_ERR_OUTPUT_WRITE when the disk is full (nothing left behind: the staging folder, and
 *   the output folder when this call made it, are removed), TL_ERR_USAGE when a folder cannot be made otherwise,
 *   TL_ERR_CONFLICT when another prep run started writing the folder meanwhile */
export async function prepareOutDir(
  outDir: string,
  onMessage: (line: string) => void = () => {},
): Promise<string> {
  const existed = existsSync(outDir);
  const failed = await makeFolders(outDir);
  if (failed) {
    const { folder, error } = failed;
    if (isDiskFullError(error)) throw prepDiskFullError(outDir, error);
    const where = folder === outDir ? 'the output folder' : `its folder ${folder}`;
    throw outDirError(
      outDir,
      `${where} cannot be made in ${dirname(folder)} (${error.code === 'ENOENT' ? 'ENOENT: that filesystem does not allow new folders' : errorCodeInWords(error)})`,
      error,
    );
  }
  try {
    return await startStaging(outDir, onMessage);
  } catch (error) {
    if (error instanceof ToonloraError) throw error; // another prep run started meanwhile
    // (startStaging removed its own claim folder; the staging folder may be another run's)
    if (!existed) {
      try {
        rmdirSync(outDir); // only when empty
      } catch {}
    }
    if (isDiskFullError(error)) throw prepDiskFullError(outDir, error);
    throw outDirError(outDir, `the output folder cannot be made (${errorCodeInWords(error)})`, error);
  }
}

/**
 * Removes a run's staging folder, and `outDir` too when `madeOutDir` (the run made it) and it is left empty: a run
 * stopped by a full disk leaves nothing that would refuse the same command run again. Best effort.
 */
export async function discardStaging(outDir: string, staging: string, madeOutDir: boolean): Promise<void> {
  releaseStaging(staging);
  await rm(staging, { recursive: true, force: true }).catch(() => {});
  if (!madeOutDir) return;
  try {
    rmdirSync(outDir); // only when empty
  } catch {}
}

/**
 * Writes the run's manifest into its staging folder, then moves the staged output and the manifest into place:
 * a manifest that cannot be written (a full disk) leaves the previous output as it was, nothing half-replaced.
 * Returns the manifest's path in `outDir`.
 */
export async function finishOutDir(
  outDir: string,
  staging: string,
  plan: ReplacePlan,
  datasetDir: string,
  manifest: Manifest,
): Promise<string> {
  await writeManifest(staging, manifest);
  await commitStaging(outDir, staging, plan, datasetDir);
  return join(outDir, MANIFEST_FILE);
}
