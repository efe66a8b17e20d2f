// src/prep/output-swap.ts — how a prep run replaces what is in its output folder. The run writes into a
// hidden staging folder inside `-o` and moves its dataset folder, `stages/` and manifest into place only
// when it ends, so a run that fails or is killed leaves the previous dataset as it was (the next run
// removes the stale staging folder; one a live run still writes is refused). `--overwrite` then removes
// exactly the files the previous run's manifest records (and the desktop's .DS_Store files); a file there
// that prep did not write (a hand-added image, notes) stops the run before any model loads, named,
// instead of being deleted, and so does a caption the user edited since prep wrote it (unless --discard-edits).
import { existsSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join, sep } from 'node:path';
import { ToonloraError } from '../errors.js';
import type { Manifest } from '../schemas/manifest.js';
import { MANIFEST_FILE, readManifest } from './manifest.js';

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

/** The refusal for captions the user edited: named (three, then a count), with the ways on. */
function editedCaptionsError(outDir: string, edited: readonly string[]): ToonloraError {
  const named =
    edited.slice(0, EDITED_NAMED).join(', ') +
    (edited.length > EDITED_NAMED ? `, and ${edited.length - EDITED_NAMED} more` : '');
  const count = edited.length === 1 ? 'a caption' : `${edited.length} captions`;
  const them = edited.length === 1 ? 'it' : 'them';
  return new ToonloraError(
    'TL_ERR_OUTPUT_EXISTS',
    `${outDir}: you edited ${count} there since prep wrote ${them} (${named}); --overwrite would replace ${them} with new captions, so nothing was changed. Copy your captions out of the folder (or choose a new -o folder), or pass --discard-edits to replace them.`,
    { details: { file: outDir, editedCaptions: [...edited] } },
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
  const edited = previous && !discardEdits ? editedCaptionFiles(outDir, previous) : [];
  if (edited.length > 0) throw editedCaptionsError(outDir, edited);
  const files = [...[...recorded].filter((file) => existsSync(join(outDir, file))), ...desktop];
  return { files: previous ? [...files, MANIFEST_FILE] : files, folders };
}

/** The process id recorded in `outDir`'s staging folder when that process is still running, else null. */
function liveStagingOwner(outDir: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(join(outDir, STAGING_DIR, STAGING_OWNER_FILE), 'utf8').trim());
  } catch {
    return null; // no staging folder, or a killed run's from before it wrote its id
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return null; // EPERM: alive, another user's
  }
  return isNodeProcess(pid) ? pid : null;
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

/**
 * Refuses an output folder another prep run is writing into (its staging folder names a live process):
 * taking it over would delete that run's work. A killed run's staging folder passes (it is cleared).
 * @throws ToonloraError TL_ERR_CONFLICT naming the folder and the process id
 */
export function checkNoRunningPrep(outDir: string): void {
  const pid = liveStagingOwner(outDir);
  if (pid === null) return;
  throw new ToonloraError(
    'TL_ERR_CONFLICT',
    `${outDir}: another prep run (process ${pid}) is writing into this folder. Wait for it to end or stop it, or choose another -o folder. (If no prep is running, remove ${join(outDir, STAGING_DIR)}.)`,
    { details: { file: outDir, pid } },
  );
}

/** Makes a fresh staging folder in `outDir` (removing a killed run's), records this process as its owner,
 * and returns its path. */
export async function startStaging(outDir: string): Promise<string> {
  checkNoRunningPrep(outDir); // again: a run may have started while this one loaded its models
  const staging = join(outDir, STAGING_DIR);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await writeFile(join(staging, STAGING_OWNER_FILE), `${process.pid}\n`);
  return staging;
}

/** Removes `folder` and its subfolders, deepest first, where they are empty; keeps any that are not. */
function removeEmptyFolders(root: string, folder: string): void {
  const full = join(root, folder);
  if (!existsSync(full) || !statSync(full).isDirectory()) return;
  for (const entry of readdirSync(full, { withFileTypes: true })) {
    if (entry.isDirectory()) removeEmptyFolders(root, join(folder, entry.name));
  }
  if (readdirSync(full).length === 0) rmdirSync(full);
}

/**
 * Ends a run: deletes what `plan` replaces, moves the staged `datasetDir`, `stages/` and manifest (the caller
 * writes it into the staging folder first) into `outDir` and removes the staging folder.
 * @throws ToonloraError TL_ERR_OUTPUT_EXISTS when a file appeared in the way during the run; the new
 *   output then stays in the staging folder, which the message names
 */
export async function commitStaging(
  outDir: string,
  staging: string,
  plan: ReplacePlan,
  datasetDir: string,
): Promise<void> {
  for (const file of plan.files) await rm(join(outDir, file), { force: true });
  for (const folder of plan.folders) removeEmptyFolders(outDir, folder);
  for (const name of [datasetDir, STAGES_DIR, MANIFEST_FILE]) {
    if (!existsSync(join(staging, name))) continue;
    try {
      await rename(join(staging, name), join(outDir, name));
    } catch (error) {
      throw new ToonloraError(
        'TL_ERR_OUTPUT_EXISTS',
        `${join(outDir, name)}: something was written there during the run (${(error as NodeJS.ErrnoException).code}), so the new ${name} stays in ${staging}. Move it into place by hand.`,
        { cause: error, details: { file: join(outDir, name) } },
      );
    }
  }
  await rm(staging, { recursive: true, force: true });
}
