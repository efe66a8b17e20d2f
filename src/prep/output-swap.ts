// src/prep/output-swap.ts — how a prep run replaces what is in its output folder. The run claims the folder
// atomically (its staging folder, renamed into place with its owner file already in it: one of two runs started
// together wins, the other is refused with TL_ERR_CONFLICT; a killed run's staging folder is taken over), writes into
// that hidden staging folder and moves its dataset folder, `stages/` and manifest into place only when it ends
// (swap-commit.ts: the previous files moved aside into a backup, never deleted before the new ones are all in; any
// failure rolls back), so a run that fails or is killed leaves the previous dataset as it was. `--overwrite`
// replaces exactly the files the previous run's manifest records (and the desktop's .DS_Store files); a file there
// that prep did not write (a hand-added image, notes) stops the run before any model loads, named, instead of being
// replaced, and so does a caption or a crop image the user edited since prep wrote it (unless --discard-edits).
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join, sep } from 'node:path';
import { ToonloraError } from '../errors.js';
import type { Manifest } from '../schemas/manifest.js';
import { MANIFEST_FILE, readManifest } from './manifest.js';
import { BACKUP_DIR, realSwapFs, type SwapFs, swapIn } from './swap-commit.js';

/** The run's staging folder inside the output folder (hidden, so walks and listings pass it by). */
export const STAGING_DIR = '.toonlora-prep-staging';
/** In the staging folder: the process id of the run writing it, so a second run into `-o` can tell a live run
 * from a killed one's leftovers. */
const STAGING_OWNER_FILE = 'owner.pid';
/** Files the desktop writes into any folder it shows (Finder, Explorer): neither the user's work nor prep's. */
const DESKTOP_FILES: ReadonlySet<string> = new Set(['.DS_Store', 'Thumbs.db', 'desktop.ini']);

/** True for a file name the desktop writes by itself (`.DS_Store`, `Thumbs.db`, `desktop.ini`). */
export function isDesktopFile(name: string): boolean {
  return DESKTOP_FILES.has(name);
}
/** The folder of stage images a run writes with --save-stages. */
export const STAGES_DIR = 'stages';

/** What the run replaces when it ends: the previous run's recorded files and the folders they sat in. */
export interface ReplacePlan {
  /** Files to delete, relative to the output folder (the previous manifest and everything it records). */
  readonly files: readonly string[];
  /** Folders, relative to the output folder, removed when they are left empty. */
  readonly folders: readonly string[];
}

const NOTHING: ReplacePlan = { files: [], folders: [] };

/** Every file a manifest records, relative to its output folder: crops, captions, stage images. Pure. */
export function manifestRecordedFiles(manifest: Manifest): string[] {
  const files: string[] = [];
  for (const file of manifest.files) {
    for (const crop of file.crops) {
      files.push(crop.image, crop.captionFile);
      if (crop.stageCrop) files.push(crop.stageCrop);
    }
    const stages = file.stages;
    if (stages) {
      for (const path of [
        stages.textMask,
        stages.textRemoved,
        stages.characterMask,
        ...(stages.crop ?? []),
      ]) {
        if (path) files.push(path);
      }
    }
  }
  return [...new Set(files.map((f) => f.split('/').join(sep)))];
}

/** Files under `dir` (relative to `root`), recursively; none when it does not exist. */
function filesUnder(root: string, dir: string): string[] {
  const full = join(root, dir);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [dir];
  return readdirSync(full, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(root, join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** Hand-edited captions named in a refusal before "and N more". */
const EDITED_NAMED = 3;

/** A caption file's text as prep compares it: trailing white space (an editor's final newline) aside. */
function captionText(text: string): string {
  return text.replace(/\s+$/u, '');
}

/**
 * The caption files of `manifest` in `outDir` whose text is no longer the caption the manifest records (the
 * user edited them by hand), relative to `outDir`. A missing or unreadable file is not an edit.
 */
export function editedCaptionFiles(outDir: string, manifest: Manifest): string[] {
  const edited: string[] = [];
  for (const file of manifest.files) {
    for (const crop of file.crops) {
      const rel = crop.captionFile.split('/').join(sep);
      if (!isInside(rel)) continue;
      let text: string;
      try {
        text = readFileSync(join(outDir, rel), 'utf8');
      } catch {
        continue;
      }
      if (captionText(text) !== captionText(crop.caption)) edited.push(rel);
    }
  }
  return [...new Set(edited)];
}

/**
 * The crop images of `manifest` in `outDir` whose content is no longer what prep wrote (the user retouched or
 * replaced them), relative to `outDir`, by the sha256 the manifest records. Crops of manifests written before
 * that field, and missing or unreadable files, are not edits.
 */
export function editedCropImages(outDir: string, manifest: Manifest): string[] {
  const edited: string[] = [];
  for (const file of manifest.files) {
    for (const crop of file.crops) {
      const rel = crop.image.split('/').join(sep);
      if (crop.sha256 === undefined || !isInside(rel)) continue;
      let bytes: Buffer;
      try {
        bytes = readFileSync(join(outDir, rel));
      } catch {
        continue;
      }
      if (createHash('sha256').update(bytes).digest('hex') !== crop.sha256) edited.push(rel);
    }
  }
  return [...new Set(edited)];
}

function counted(n: number, one: string, many: string): string {
  return n === 1 ? one : `${n} ${many}`;
}

/** The refusal for captions and crop images the user edited: named (three, then a count), with the ways on. */
function editedFilesError(
  outDir: string,
  captions: readonly string[],
  images: readonly string[],
): ToonloraError {
  const edited = [...images, ...captions];
  const named =
    edited.slice(0, EDITED_NAMED).join(', ') +
    (edited.length > EDITED_NAMED ? `, and ${edited.length - EDITED_NAMED} more` : '');
  const what = [
    ...(images.length > 0 ? [counted(images.length, 'a crop image', 'crop images')] : []),
    ...(captions.length > 0 ? [counted(captions.length, 'a caption', 'captions')] : []),
  ].join(' and ');
  const them = edited.length === 1 ? 'it' : 'them';
  const yours = images.length > 0 ? 'files' : 'captions';
  return new ToonloraError(
    'TL_ERR_OUTPUT_EXISTS',
    `${outDir}: you edited ${what} there since prep wrote ${them} (${named}); --overwrite would replace ${them} with ${images.length === 0 ? 'new captions' : edited.length === 1 ? 'a new one' : 'new ones'}, so nothing was changed. Copy your ${yours} out of the folder (or choose a new -o folder), or pass --discard-edits to replace ${them}.`,
    { details: { file: outDir, editedCaptions: [...captions], editedImages: [...images] } },
  );
}

function refuse(outDir: string, why: string): ToonloraError {
  return new ToonloraError(
    'TL_ERR_OUTPUT_EXISTS',
    `${outDir}: ${why}. --overwrite replaces only what a previous prep run wrote there (its manifest.json records it); move those files out of the folder, or choose a new -o folder.`,
    { details: { file: outDir } },
  );
}

/** A relative path that stays inside the output folder (a manifest is a file the user can edit). */
function isInside(rel: string): boolean {
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep) && !rel.split(sep).includes('..');
}

/**
 * What `--overwrite` may replace in `outDir` for a run writing `datasetDir`. Checked before any model
 * loads. Entries outside the folders a run writes (the dataset folder, `stages/`, `manifest.json`) are
 * left alone.
 * @throws ToonloraError TL_ERR_OUTPUT_EXISTS when `manifest.json` is not a prep manifest, those
 *   folders hold files the previous run did not record (named, at most five), or (unless `discardEdits`)
 *   captions the user edited since the previous run wrote them (`details.editedCaptions`)
 */
export function planReplacement(outDir: string, datasetDir: string, discardEdits = false): ReplacePlan {
  if (!existsSync(outDir)) return NOTHING;
  const manifestPath = join(outDir, MANIFEST_FILE);
  let previous: Manifest | null = null;
  if (existsSync(manifestPath)) {
    try {
      previous = readManifest(manifestPath);
    } catch (error) {
      throw refuse(outDir, `its ${MANIFEST_FILE} is not a prep manifest (${(error as Error).message})`);
    }
  }
  const recorded = new Set(previous ? manifestRecordedFiles(previous).filter(isInside) : []);
  const folders = [...new Set([datasetDir, ...(previous ? [previous.datasetDir] : []), STAGES_DIR])].filter(
    isInside,
  );
  const present = folders.flatMap((folder) => filesUnder(outDir, folder));
  // .DS_Store and the like go with the folders they sit in (the folders could not be replaced otherwise)
  const desktop = present.filter((file) => isDesktopFile(basename(file)));
  const unknown = present.filter((file) => !recorded.has(file) && !isDesktopFile(basename(file)));
  if (unknown.length > 0) {
    const named =
      unknown.slice(0, 5).join(', ') + (unknown.length > 5 ? `, and ${unknown.length - 5} more` : '');
    throw refuse(outDir, `it holds files no previous prep run recorded: ${named}`);
  }
  const captions = previous && !discardEdits ? editedCaptionFiles(outDir, previous) : [];
  const images = previous && !discardEdits ? editedCropImages(outDir, previous) : [];
  if (captions.length + images.length > 0) throw editedFilesError(outDir, captions, images);
  const files = [...[...recorded].filter((file) => existsSync(join(outDir, file))), ...desktop];
  return { files: previous ? [...files, MANIFEST_FILE] : files, folders };
}

/** Claim tokens of the staging folders this process holds, by staging path (a second run in this process, the
 * server's, must be refused too while the first writes). */
const heldClaims = new Map<string, string>();

/** The owner recorded in a staging folder: `<pid> <claim token>` (older runs wrote only the pid). */
function readOwner(staging: string): { pid: number; token: string | undefined } | null {
  let text: string;
  try {
    text = readFileSync(join(staging, STAGING_OWNER_FILE), 'utf8');
  } catch {
    return null; // no staging folder, or a killed run's from before it wrote its id
  }
  const [pidText, token] = text.trim().split(/\s+/u);
  const pid = Number(pidText);
  return Number.isInteger(pid) && pid > 0 ? { pid, token } : null;
}

/** The process id recorded in `staging` when that run is still going, else null. */
function liveOwner(staging: string): number | null {
  const owner = readOwner(staging);
  if (!owner) return null;
  const { pid, token } = owner;
  if (pid === process.pid)
    return token !== undefined && [...heldClaims.values()].includes(token) ? pid : null;
  return isLivePrepProcess(pid) ? pid : null;
}

/** Whether process `pid` (not this one) is running and could be a prep run. */
function isLivePrepProcess(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false; // EPERM: alive, another user's
  }
  return isNodeProcess(pid);
}

/** Removes the claim folders (`<staging>.<pid>-…`) that killed runs of other processes left in `outDir`. */
async function removeDeadClaims(outDir: string): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(outDir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^\.toonlora-prep-staging\.(\d+)-/u.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isLivePrepProcess(pid)) continue;
    await rm(join(outDir, name), { recursive: true, force: true }).catch(() => {});
  }
}

/** The process id recorded in `outDir`'s staging folder when that process is still running, else null. */
function liveStagingOwner(outDir: string): number | null {
  return liveOwner(join(outDir, STAGING_DIR));
}

/**
 * Whether process `pid` runs Node (prep runs in the CLI or the server, both Node): after a reboot its id
 * may belong to another program. Where /proc cannot tell (macOS), any live process counts.
 */
function isNodeProcess(pid: number): boolean {
  try {
    return /node/i.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true;
  }
}

function conflict(outDir: string, pid: number): ToonloraError {
  return new ToonloraError(
    'TL_ERR_CONFLICT',
    `${outDir}: another prep run (process ${pid}) is writing into this folder. Wait for it to end or stop it, or choose another -o folder. (If no prep is running, remove ${join(outDir, STAGING_DIR)}.)`,
    { details: { file: outDir, pid } },
  );
}

/**
 * Refuses an output folder another prep run is writing into (its staging folder names a live process):
 * taking it over would delete that run's work. A killed run's staging folder passes (it is cleared).
 * @throws ToonloraError TL_ERR_CONFLICT naming the folder and the process id
 */
export function checkNoRunningPrep(outDir: string): void {
  const pid = liveStagingOwner(outDir);
  if (pid !== null) throw conflict(outDir, pid);
}

function isTakenError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOTEMPTY' || code === 'EEXIST';
}

/**
 * Claims `outDir` for this run, atomically: a fresh folder holding this run's owner file is renamed to the
 * staging folder's name, which succeeds for one run only (a rename onto a folder with files fails). A killed
 * run's staging folder is moved aside and removed first (checked again once moved, so a run that claimed the
 * folder meanwhile keeps it). Returns the staging folder; releaseStaging gives the claim up.
 * @throws ToonloraError TL_ERR_CONFLICT when another live prep run holds the folder
 */
export async function startStaging(outDir: string): Promise<string> {
  const staging = join(outDir, STAGING_DIR);
  const token = randomUUID();
  await removeDeadClaims(outDir);
  const fresh = `${staging}.${process.pid}-${token}`; // the pid in the name: a killed run's is told from a live one's
  await mkdir(fresh);
  const give = async (error: unknown): Promise<never> => {
    heldClaims.delete(fresh);
    await rm(fresh, { recursive: true, force: true });
    throw error;
  };
  try {
    await writeFile(join(fresh, STAGING_OWNER_FILE), `${process.pid} ${token}\n`);
  } catch (error) {
    return give(error);
  }
  heldClaims.set(fresh, token);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      await rename(fresh, staging);
      heldClaims.delete(fresh);
      heldClaims.set(staging, token);
      return staging;
    } catch (error) {
      if (!isTakenError(error)) return give(error);
    }
    const holder = liveStagingOwner(outDir);
    if (holder !== null) return give(conflict(outDir, holder));
    const aside = `${staging}.${process.pid}-${token}-stale-${attempt}`;
    try {
      await rename(staging, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // another run moved it first
      return give(error);
    }
    const claimed = liveOwner(aside); // a run that claimed it between the check and the move
    if (claimed !== null) {
      await rename(aside, staging).catch(() => {});
      return give(conflict(outDir, claimed));
    }
    await rm(aside, { recursive: true, force: true });
  }
  return give(conflict(outDir, liveStagingOwner(outDir) ?? process.pid));
}

/** Gives up this process's claim on `staging` (its folder, if left, then counts as a killed run's). */
export function releaseStaging(staging: string): void {
  heldClaims.delete(staging);
}

/** True for the names of prep's own hidden folders in the output folder (staging, claims, backups). */
export function isPrepWorkFolder(name: string): boolean {
  return name === STAGING_DIR || name.startsWith(`${STAGING_DIR}.`) || name.startsWith(BACKUP_DIR);
}

/**
 * Ends a run: moves what `plan` replaces into a backup folder, the staged `datasetDir`, `stages/` and manifest
 * (the caller writes it into the staging folder first) into `outDir`, then deletes the backup and the staging
 * folder (swap-commit.ts). A failure at any step puts everything back.
 * @throws ToonloraError TL_ERR_OUTPUT_WRITE naming what failed and why, saying the previous dataset is as it was,
 *   and where the new output is kept (the staging folder)
 */
export async function commitStaging(
  outDir: string,
  staging: string,
  plan: ReplacePlan,
  datasetDir: string,
  fs: SwapFs = realSwapFs,
): Promise<void> {
  const newEntries = [datasetDir, STAGES_DIR, MANIFEST_FILE].filter((name) =>
    existsSync(join(staging, name)),
  );
  try {
    await swapIn(outDir, staging, { oldFiles: plan.files, folders: plan.folders, newEntries }, fs);
  } finally {
    releaseStaging(staging);
  }
}
