// src/prep/inputs.ts — turns the user's `prep` inputs (files and folders) into the list of files to
// process: folders are walked recursively (following symlinks) for image extensions, leaving out (and
// naming) hidden and macOS leftover entries, earlier prep outputs and folders it cannot read (the walk goes on);
// files are taken as given (so a mislabelled file still gets its own manifest entry); the output folder is never
// read back.
import { type Dirent, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';
import { ToonloraError } from '../errors.js';
import { PREP_EXTENSIONS } from './decode-formats.js';
import { fileErrorText } from './inputs-file-errors.js';
import { MANIFEST_FILE } from './manifest.js';

/**
 * Extensions picked up when walking a folder (lower case, with the dot): those of the formats prep reads
 * (decode-formats.ts, the one list), HEIF's .heic/.heif included.
 */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = PREP_EXTENSIONS;

/** Top-level keys of a prep manifest (src/schemas/manifest.ts) that tell it from any other manifest.json. */
const PREP_MANIFEST_KEYS = ['version', 'datasetDir', 'files'] as const;

/**
 * Told about what a walk left out: each folder it cannot read (`cannot read the folder: permission denied
 * (EACCES)`), each folder holding an earlier prep output, then each hidden image file,
 * hidden folder or `__MACOSX` folder (at most MAX_HIDDEN_LINES of them, then a count): a line for the user
 * (`<path>: left out, ...`) and the path (absolute).
 */
export type LeftOutListener = (line: string, path: string) => void;

/** Hidden entries named one by one; more are counted in one last line. */
const MAX_HIDDEN_LINES = 5;

/** What one collection has found so far. */
interface Walk {
  /** Real paths of the folders walked, and of the output folder: a link to one of them is not walked again. */
  readonly visited: Set<string>;
  readonly files: string[];
  readonly skippedOutputs: string[];
  /** Hidden image files and hidden or `__MACOSX` folders left out (other hidden files, `.DS_Store`, are no image). */
  readonly hidden: string[];
  /** Those of `hidden` that are folders. */
  readonly hiddenFolders: Set<string>;
  /** Folders whose entries could not be listed (EACCES, EIO, ...), with why: named, and the walk goes on. */
  readonly unreadable: Array<{ readonly path: string; readonly error: unknown }>;
  /** Entries listed in the folders walked, of any kind (0: the folders given hold nothing at all). */
  listed: number;
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot).toLowerCase();
}

/** Hidden files and folders (this includes macOS AppleDouble `._name.png`) and zips' `__MACOSX` folder. */
function isLeftOutName(name: string): boolean {
  return name.startsWith('.') || name === '__MACOSX';
}

function realPathOf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function isInside(path: string, folder: string): boolean {
  return (path + sep).startsWith(folder + sep);
}

/** `path` is `outDir` or inside it, by the paths as given or by their real paths (through symlinks). */
function isInOutDir(path: string, outDir: string): boolean {
  return isInside(path, outDir) || isInside(realPathOf(path), realPathOf(outDir));
}

type EntryKind = 'folder' | 'file' | 'broken-link' | 'other';

/** What a folder entry is, following a symlink to its target; a link whose target is gone is `broken-link`. */
function entryKind(entry: Dirent, path: string): EntryKind {
  if (entry.isDirectory()) return 'folder';
  if (entry.isFile()) return 'file';
  if (!entry.isSymbolicLink()) return 'other';
  try {
    const target = statSync(path);
    if (target.isDirectory()) return 'folder';
    return target.isFile() ? 'file' : 'other';
  } catch {
    return 'broken-link';
  }
}

/** The folder holds a `toonlora prep` manifest.json (parsed, checked for its top-level keys only). */
function holdsPrepOutput(dir: string, entries: readonly Dirent[]): boolean {
  if (!entries.some((entry) => entry.name === MANIFEST_FILE)) return false;
  try {
    const data: unknown = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8'));
    return typeof data === 'object' && data !== null && PREP_MANIFEST_KEYS.every((key) => key in data);
  } catch {
    return false;
  }
}

/**
 * Adds the images under `dir` to `walk.files`, in natural name order. A link to an image counts by
 * the link's name; a broken one is listed too, so the run reports it as that file's decode error.
 */
function walkFolder(dir: string, walk: Walk): void {
  const real = realPathOf(dir);
  if (walk.visited.has(real)) return; // the output folder, or a link back to a folder walked already
  walk.visited.add(real);
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    walk.unreadable.push({ path: dir, error }); // named once collected; the other inputs go on
    return;
  }
  walk.listed += entries.length;
  entries.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  // its crops, stage masks and copies would come back as screenshots (and push out the real ones as
  // near-duplicates of them)
  if (holdsPrepOutput(dir, entries)) {
    walk.skippedOutputs.push(dir);
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const kind = entryKind(entry, path);
    if (isLeftOutName(entry.name)) {
      if (kind === 'folder') walk.hiddenFolders.add(path);
      if (kind === 'folder' || IMAGE_EXTENSIONS.has(extensionOf(entry.name))) walk.hidden.push(path);
      continue;
    }
    if (kind === 'folder') walkFolder(path, walk);
    else if (kind !== 'other' && IMAGE_EXTENSIONS.has(extensionOf(entry.name))) walk.files.push(path);
  }
}

/**
 * Absolute paths of the files to process, in the order given (folders sorted naturally), each once.
 * A walked folder that cannot be read (EACCES, EIO, ...) or holds an earlier prep output (its manifest.json), a
 * hidden image file and a hidden or `__MACOSX` folder are left out and named to `onLeftOut` once the files are
 * collected; the other inputs go on.
 * @throws ToonloraError TL_ERR_INPUT_NOT_FOUND naming the first input that does not exist, or the folders given
 *   when they hold no file at all or no image file (naming the prep outputs and unreadable folders left out);
 *   TL_ERR_USAGE when no input was given, an input folder is the output folder or inside it, or a file
 *   named as an input lies inside the output folder (naming all such files).
 */
export function collectInputFiles(
  inputs: readonly string[],
  outDir: string,
  onLeftOut?: LeftOutListener,
): string[] {
  if (inputs.length === 0) {
    throw new ToonloraError('TL_ERR_USAGE', 'inputs: expected at least one image file or folder, got none.');
  }
  const skipDir = resolve(outDir);
  const walk: Walk = {
    visited: new Set([realPathOf(skipDir)]),
    files: [],
    skippedOutputs: [],
    hidden: [],
    hiddenFolders: new Set(),
    unreadable: [],
    listed: 0,
  };
  const filesInOutDir: string[] = [];
  for (const input of inputs) {
    const path = resolve(input);
    if (!isExistingFolder(path, input)) {
      if (isInOutDir(path, skipDir)) filesInOutDir.push(input);
      else walk.files.push(path);
    } else if (isInOutDir(path, skipDir)) {
      throw inputFolderInOutDirError(input);
    } else {
      walkFolder(path, walk);
    }
  }
  if (filesInOutDir.length > 0) throw filesInOutDirError(filesInOutDir);
  if (walk.files.length === 0)
    throw walk.listed === 0 && walk.unreadable.length === 0
      ? noFilesError(inputs)
      : noImagesError(inputs, walk);
  for (const { path, error } of walk.unreadable) onLeftOut?.(unreadableLine(path, error), path);
  for (const folder of walk.skippedOutputs) onLeftOut?.(skippedOutputLine(folder), folder);
  for (const path of walk.hidden.slice(0, MAX_HIDDEN_LINES)) onLeftOut?.(hiddenLine(path, walk), path);
  const more = walk.hidden.slice(MAX_HIDDEN_LINES);
  if (more[0] !== undefined) {
    onLeftOut?.(
      `... and ${more.length} more hidden or __MACOSX entries left out (not screenshots).`,
      more[0],
    );
  }
  return [...new Set(walk.files)];
}

/**
 * Whether `path` is a folder (else a file). One that cannot be looked at for another reason (a symbolic link
 * loop, no permission, a name too long) counts as a file: the run reports it as that file's reason and goes on.
 * @throws TL_ERR_INPUT_NOT_FOUND when it does not exist.
 */
function isExistingFolder(path: string, input: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return false;
    throw new ToonloraError(
      'TL_ERR_INPUT_NOT_FOUND',
      `${input}: no such file or folder. Check the path (inputs are image files and/or folders of images).`,
      { details: { file: input } },
    );
  }
}

/** Why a hidden entry was left out: a zip's macOS metadata (`__MACOSX`, AppleDouble `._name`), or hidden. */
function hiddenLine(path: string, walk: Walk): string {
  const name = basename(path);
  if (name === '__MACOSX')
    return `${path}: left out, macOS metadata a zip carries (__MACOSX), not screenshots.`;
  if (name.startsWith('._')) return `${path}: left out, a macOS metadata file (._name), not a screenshot.`;
  const what = walk.hiddenFolders.has(path) ? 'a hidden folder' : 'a hidden file';
  return `${path}: left out, ${what} (its name starts with a dot). Rename it to prep it.`;
}

/** `<folder>: left out, cannot read the folder: permission denied (EACCES).` */
function unreadableLine(folder: string, error: unknown): string {
  return `${folder}: left out, ${fileErrorText(error, 'folder')}.`;
}

function skippedOutputLine(folder: string): string {
  return `${folder}: left out, it holds an earlier toonlora prep output (${MANIFEST_FILE}), not screenshots.`;
}

function inputFolderInOutDirError(input: string): ToonloraError {
  return new ToonloraError(
    'TL_ERR_USAGE',
    `${input}: this input folder is the output folder (-o) or inside it, so prep would read its own crops back as screenshots. Give -o a folder outside the inputs, e.g. -o ${input.replace(/[/\\]+$/, '')}-dataset.`,
    { details: { file: input } },
  );
}

function filesInOutDirError(files: readonly string[]): ToonloraError {
  const them = files.length === 1 ? 'it' : 'them';
  return new ToonloraError(
    'TL_ERR_USAGE',
    `${files.join(', ')}: inside the output folder (-o), and prep does not read its own output folder (it would take its crops back as screenshots). Move ${them} out of the output folder, or choose another -o.`,
    { details: { file: files[0], files } },
  );
}

/** Folders given that hold nothing at all: said as such (no extensions to look for, nothing to convert). */
function noFilesError(inputs: readonly string[]): ToonloraError {
  return new ToonloraError(
    'TL_ERR_INPUT_NOT_FOUND',
    `${inputs.join(', ')}: no files in ${inputs.length === 1 ? 'it' : 'them'}. Point prep at the folder that holds your screenshots.`,
    { details: { file: inputs[0] } },
  );
}

function noImagesError(inputs: readonly string[], walk: Walk): ToonloraError {
  const { skippedOutputs, hidden, unreadable } = walk;
  const extensions = [...IMAGE_EXTENSIONS].join(' ');
  const skipped =
    skippedOutputs.length === 0
      ? ''
      : ` Left out ${skippedOutputs.join(', ')}: earlier toonlora prep output (it holds ${MANIFEST_FILE}), not screenshots.`;
  const hiddenNote =
    hidden.length === 0
      ? ''
      : ` Left out ${hidden.slice(0, 3).join(', ')}${hidden.length > 3 ? ` and ${hidden.length - 3} more` : ''}: hidden or macOS metadata (__MACOSX).`;
  const unreadableNote = unreadable
    .map(({ path, error }) => ` Left out ${path}: ${fileErrorText(error, 'folder')}.`)
    .join('');
  return new ToonloraError(
    'TL_ERR_INPUT_NOT_FOUND',
    `${inputs.join(', ')}: no image files found (looked for ${extensions}, in subfolders too).${unreadableNote}${skipped}${hiddenNote} Point prep at your screenshots, or convert them to PNG.`,
    { details: { file: inputs[0] } },
  );
}
