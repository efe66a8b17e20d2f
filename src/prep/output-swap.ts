// src/prep/output-swap.ts — how a prep run replaces what is in its output folder. The run claims the folder
// atomically (output-swap-claim.ts: its staging folder, renamed into place with its owner file already in it),
// writes into that hidden staging folder and moves its dataset folder, `stages/` and manifest into place only when it ends
// (swap-commit.ts: the previous files moved aside into a backup, never deleted before the new ones are all in; any
// failure rolls back), so a run that fails or is killed leaves the previous dataset as it was. `--overwrite`
// replaces exactly the files the previous run's manifest records (and the desktop's .DS_Store files); a file there
// that prep did not write (a hand-added image, notes) stops the run before any model loads, named, instead of being
// replaced, and so does a caption or a crop image the user edited since prep wrote it (unless --discard-edits).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, sep } from 'node:path';
import { ToonloraError } from '../errors.js';
import type { Manifest } from '../schemas/manifest.js';
import { MANIFEST_FILE, readManifest } from './manifest.js';
import { releaseStaging, STAGING_DIR } from './output-swap-claim.js';
import { BACKUP_DIR, realSwapFs, type SwapFs, swapIn } from './swap-commit.js';

export { checkNoRunningPrep, releaseStaging, STAGING_DIR, startStaging } from './output-swap-claim.js';

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
 * The previous run's manifest in `outDir`, or null when there is none.
 * @throws ToonloraError TL_ERR_OUTPUT_EXISTS when its `manifest.json` is not a prep manifest
 */
function previousManifest(outDir: string): Manifest | null {
  const manifestPath = join(outDir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) return null;
  try {
    return readManifest(manifestPath);
  } catch (error) {
    throw refuse(outDir, `its ${MANIFEST_FILE} is not a prep manifest (${(error as Error).message})`);
  }
}

/** The folders a run writing `datasetDir` replaces: its dataset folder, the previous run's, and `stages/`. */
function replacedFolders(datasetDir: string, previous: Manifest | null): string[] {
  return [...new Set([datasetDir, ...(previous ? [previous.datasetDir] : []), STAGES_DIR])].filter(isInside);
}

/** Of the `present` files (relative to the output folder), those `previous` does not record, desktop files aside. */
function unrecordedFiles(present: readonly string[], previous: Manifest | null): string[] {
  const recorded = new Set(previous ? manifestRecordedFiles(previous).filter(isInside) : []);
  return present.filter((file) => !recorded.has(file) && !isDesktopFile(basename(file)));
}

/**
 * The entries of `outDir` (top-level names) that stop `--overwrite` for a run writing `datasetDir`: a
 * `manifest.json` that is not a prep manifest, and the folders prep writes that hold files no previous run
 * recorded (a folder of the user's named `stages`); none when --overwrite would go on past them.
 */
export function overwriteBlockers(outDir: string, datasetDir: string): string[] {
  let previous: Manifest | null = null;
  let badManifest = false;
  try {
    previous = previousManifest(outDir);
  } catch {
    badManifest = true;
  }
  const present = replacedFolders(datasetDir, previous).flatMap((folder) => filesUnder(outDir, folder));
  const folders = unrecordedFiles(present, previous).map((file) => file.split(sep)[0] ?? file);
  return [...(badManifest ? [MANIFEST_FILE] : []), ...new Set(folders)];
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
  const previous = previousManifest(outDir);
  const recorded = new Set(previous ? manifestRecordedFiles(previous).filter(isInside) : []);
  const folders = replacedFolders(datasetDir, previous);
  const present = folders.flatMap((folder) => filesUnder(outDir, folder));
  // .DS_Store and the like go with the folders they sit in (the folders could not be replaced otherwise)
  const desktop = present.filter((file) => isDesktopFile(basename(file)));
  const unknown = unrecordedFiles(present, previous);
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
