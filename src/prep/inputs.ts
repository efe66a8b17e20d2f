// src/prep/inputs.ts — turns the user's `prep` inputs (files and folders) into the list of files to
// process: folders are walked recursively (following symlinks) for image extensions, leaving out
// hidden and macOS leftover entries and earlier prep outputs; files are taken as given (so a
// mislabelled file still gets its own manifest entry); the output folder is never read back.
import { type Dirent, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { ToonloraError } from '../errors.js';
import { MANIFEST_FILE } from './manifest.js';

/**
 * Extensions picked up when walking a folder (lower case, with the dot): what sharp decodes, JPEG's
 * other names (.jpe, .jfif) and HEIF (.heic/.heif: sharp reads AVIF-coded ones; a HEVC-coded one gets
 * its own decode error), plus .bmp, which sharp cannot read, so decode's "convert it to PNG" reason
 * reaches the user instead of the file vanishing.
 */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.png',
  '.jpg',
  '.jpeg',
  '.jpe',
  '.jfif',
  '.webp',
  '.gif',
  '.tif',
  '.tiff',
  '.bmp',
  '.heic',
  '.heif',
  '.avif',
]);

/** Top-level keys of a prep manifest (src/schemas/manifest.ts) that tell it from any other manifest.json. */
const PREP_MANIFEST_KEYS = ['version', 'datasetDir', 'files'] as const;

/**
 * Told about each walked folder left out because it holds an earlier prep output: a line for the user
 * (`<folder>: left out, it holds an earlier toonlora prep output ...`) and the folder (absolute).
 */
export type SkippedOutputListener = (line: string, folder: string) => void;

/** What one collection has found so far. */
interface Walk {
  /** Real paths of the folders walked, and of the output folder: a link to one of them is not walked again. */
  readonly visited: Set<string>;
  readonly files: string[];
  readonly skippedOutputs: string[];
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
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name, 'en', { numeric: true }),
  );
  // its crops, stage masks and copies would come back as screenshots (and push out the real ones as
  // near-duplicates of them)
  if (holdsPrepOutput(dir, entries)) {
    walk.skippedOutputs.push(dir);
    return;
  }
  for (const entry of entries) {
    if (isLeftOutName(entry.name)) continue;
    const path = join(dir, entry.name);
    const kind = entryKind(entry, path);
    if (kind === 'folder') walkFolder(path, walk);
    else if (kind !== 'other' && IMAGE_EXTENSIONS.has(extensionOf(entry.name))) walk.files.push(path);
  }
}

/**
 * Absolute paths of the files to process, in the order given (folders sorted naturally), each once.
 * A walked folder holding an earlier prep output (its manifest.json) is left out and passed to
 * `onSkippedOutput` once the files are collected.
 * @throws ToonloraError TL_ERR_INPUT_NOT_FOUND naming the first input that does not exist;
 *   TL_ERR_USAGE when no input was given, an input folder is the output folder or inside it, a file
 *   named as an input lies inside the output folder (naming all such files), or the folders given hold
 *   no image file (naming the prep outputs left out).
 */
export function collectInputFiles(
  inputs: readonly string[],
  outDir: string,
  onSkippedOutput?: SkippedOutputListener,
): string[] {
  if (inputs.length === 0) {
    throw new ToonloraError('TL_ERR_USAGE', 'inputs: expected at least one image file or folder, got none.');
  }
  const skipDir = resolve(outDir);
  const walk: Walk = { visited: new Set([realPathOf(skipDir)]), files: [], skippedOutputs: [] };
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
  if (walk.files.length === 0) throw noImagesError(inputs, walk.skippedOutputs);
  for (const folder of walk.skippedOutputs) onSkippedOutput?.(skippedOutputLine(folder), folder);
  return [...new Set(walk.files)];
}

/** Whether `path` is a folder (else a file); @throws TL_ERR_INPUT_NOT_FOUND when it does not exist. */
function isExistingFolder(path: string, input: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    throw new ToonloraError(
      'TL_ERR_INPUT_NOT_FOUND',
      `${input}: no such file or folder. Check the path (inputs are image files and/or folders of images).`,
      { details: { file: input } },
    );
  }
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

function noImagesError(inputs: readonly string[], skippedOutputs: readonly string[]): ToonloraError {
  const extensions = [...IMAGE_EXTENSIONS].join(' ');
  const skipped =
    skippedOutputs.length === 0
      ? ''
      : ` Left out ${skippedOutputs.join(', ')}: earlier toonlora prep output (it holds ${MANIFEST_FILE}), not screenshots.`;
  return new ToonloraError(
    'TL_ERR_USAGE',
    `${inputs.join(', ')}: no image files found (looked for ${extensions}, in subfolders too).${skipped} Point prep at your screenshots, or convert them to PNG.`,
    { details: { file: inputs[0] } },
  );
}
