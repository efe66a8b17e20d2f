// src/jobs/upload-leftovers.ts — the files a server killed mid-upload (kill -9) leaves: a screenshot written under a
// character's `uploads/` (an upload records its files only once all are written), or a LoRA under its `loras/` (cut
// off while streaming, or written but not yet recorded). An upload writes a mark (`<file>.uploading`) beside each
// file before the file and removes it once the file is recorded or discarded, so the next start can prove which
// files are leftovers: it removes only a marked file, of a character the database lists, that no image or artifact
// row points to, older than the start, and the marks. A file without a mark is never removed: a missing, emptied
// or older database (one that forgot uploads) costs the user no screenshot and no LoRA.
import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { formatBytes } from '../format-bytes.js';
import { allStoredArtifactPaths } from './catalog/artifacts.js';
import { allStoredImagePaths } from './catalog/images.js';
import { CHARACTERS_REL_DIR, lorasRelDir, uploadsRelDir } from './data-layout.js';
import { dataRel } from './data-path.js';
import type { SqliteDatabase } from './database.js';
import { describeFreedPartials, removeWorkerLoraPartials } from './remote/lora-upload.js';
import { listedIds } from './upload-leftovers-unlisted.js';

/** What the sweep removed: how many files and bytes, and from how many characters' folders. */
export interface FreedUploads {
  files: number;
  bytes: number;
  folders: number;
}

/** The mark beside an upload file that is being written: it names the file, which is not recorded yet. */
export const UPLOAD_MARK_SUFFIX = '.uploading';

/** The mark of the upload file at `path`. */
export function uploadMarkPath(path: string): string {
  return `${path}${UPLOAD_MARK_SUFFIX}`;
}

/** A character's folder that uploads write into with marks, and how the start's line names what it removed. */
export interface MarkedUploadFolder {
  relDir: (characterId: string) => string;
  /** The folder's name in the line (`uploads/`). */
  name: string;
  /** What a file there is (`uploaded file`), and what a recorded one is called (`screenshot`). */
  file: string;
  recordedAs: string;
}

/** The screenshots of a character (upload-images.ts). */
export const SCREENSHOT_UPLOADS: MarkedUploadFolder = {
  relDir: uploadsRelDir,
  name: 'uploads/',
  file: 'uploaded file',
  recordedAs: 'screenshot',
};

/** The LoRAs uploaded for a character (upload-lora.ts). */
export const LORA_UPLOADS: MarkedUploadFolder = {
  relDir: lorasRelDir,
  name: 'loras/',
  file: 'uploaded LoRA file',
  recordedAs: 'LoRA',
};

/**
 * Writes the mark of the upload file at `path`, which must not exist yet: before the file, so that a server killed
 * while the file is written, or before it is recorded, leaves it marked. It stays until clearUploadMarks.
 */
export async function writeUploadMark(path: string): Promise<void> {
  await writeFile(uploadMarkPath(path), '', { flag: 'wx' });
}

/**
 * Writes `data` at `path` (which must not exist) with its mark written first; a write that fails removes both
 * (a file it did not create stays). The mark stays until clearUploadMarks: a server killed in between leaves it.
 */
export async function writeMarkedUpload(path: string, data: Buffer): Promise<void> {
  const mark = uploadMarkPath(path);
  await writeUploadMark(path);
  try {
    await writeFile(path, data, { flag: 'wx' });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EEXIST') await rm(path, { force: true });
    await rm(mark, { force: true });
    throw error;
  }
}

/** Removes the marks of the upload files at `paths` (recorded, or removed themselves first). */
export async function clearUploadMarks(paths: readonly string[]): Promise<void> {
  await Promise.all(paths.map((path) => rm(uploadMarkPath(path), { force: true })));
}

/** Stored paths (relative to `dataDir`, or absolute) as `dataDir`-relative paths with `/`, each once. */
function dataRelative(dataDir: string, stored: readonly string[]): Set<string> {
  return new Set(stored.map((path) => dataRel(dataDir, resolve(dataDir, path))));
}

/** The stored paths every image row points to (removed screenshots included), relative to `dataDir` with `/`. */
export function recordedUploads(db: SqliteDatabase, dataDir: string): Set<string> {
  return dataRelative(dataDir, allStoredImagePaths(db));
}

/** The stored path of every artifact row (uploaded and trained LoRAs, generated images), relative to `dataDir`
 * with `/`: the files a sweep of `loras/` must keep, whatever marks lie beside them. */
export function recordedArtifacts(db: SqliteDatabase, dataDir: string): Set<string> {
  return dataRelative(dataDir, allStoredArtifactPaths(db));
}

/** The names in `dir` when it is a real folder (not a link), else none. */
function realFolderEntries(dir: string): string[] {
  try {
    return lstatSync(dir).isDirectory() ? readdirSync(dir) : [];
  } catch {
    return []; // not there
  }
}

/** A real file (not a link, not a folder) last written before `startedAt`, else undefined. */
function oldFile(path: string, startedAt: number): { size: number; nlink: number } | undefined {
  try {
    const stat = lstatSync(path);
    return stat.isFile() && stat.mtimeMs < startedAt ? stat : undefined;
  } catch {
    return undefined; // not there
  }
}

/**
 * Removes, in `folder` (default `uploads/`) of each character in `listed` under `<dataDir>/characters/`, the files
 * an upload marked (`<name>.uploading`) that `recorded` does not name, and the marks, when last written before
 * `startedAt` (ms): an upload still being written belongs to this process. Unmarked files, links and folders are
 * left alone.
 */
export function removeOrphanUploads(
  dataDir: string,
  recorded: ReadonlySet<string>,
  listed: ReadonlySet<string>,
  startedAt: number,
  folder: MarkedUploadFolder = SCREENSHOT_UPLOADS,
): FreedUploads {
  const freed: FreedUploads = { files: 0, bytes: 0, folders: 0 };
  for (const character of realFolderEntries(join(dataDir, CHARACTERS_REL_DIR))) {
    if (!listed.has(character)) continue;
    const rel = folder.relDir(character);
    let removedHere = 0;
    for (const markName of realFolderEntries(join(dataDir, rel))) {
      if (!markName.endsWith(UPLOAD_MARK_SUFFIX)) continue;
      const mark = join(dataDir, rel, markName);
      if (!oldFile(mark, startedAt)) continue;
      const name = markName.slice(0, -UPLOAD_MARK_SUFFIX.length);
      const path = join(dataDir, rel, name);
      const stat = recorded.has(`${rel}/${name}`) ? undefined : oldFile(path, startedAt);
      if (stat) {
        rmSync(path, { force: true });
        removedHere += 1;
        freed.bytes += stat.nlink === 1 ? stat.size : 0;
      }
      rmSync(mark, { force: true });
    }
    freed.files += removedHere;
    if (removedHere > 0) freed.folders += 1;
  }
  return freed;
}

/** One line for the server's log: how many files, from how many characters' `folder`, how much was freed. */
export function describeFreedUploads(
  freed: FreedUploads,
  folder: MarkedUploadFolder = SCREENSHOT_UPLOADS,
): string {
  const files = `${freed.files} ${folder.file}${freed.files === 1 ? '' : 's'}`;
  const folders = `${freed.folders} character${freed.folders === 1 ? "'s" : "s'"} ${folder.name}`;
  return (
    `removed ${files} no ${folder.recordedAs} points to (left by a server stopped mid-upload) from ${folders} ` +
    `(${formatBytes(freed.bytes)} freed)`
  );
}

/**
 * The start's sweep of every marked upload folder (`uploads/`, `loras/`) of the characters `db` lists, keeping any
 * file an image or artifact row points to, and of the half-received remote workers' LoRA uploads in the run folders
 * of the jobs it lists; returns one log line per kind it removed files from.
 */
export function removeStartUploadLeftovers(db: SqliteDatabase, dataDir: string, startedAt: number): string[] {
  const listed = listedIds(db, 'characters');
  const recorded = new Set([...recordedUploads(db, dataDir), ...recordedArtifacts(db, dataDir)]);
  const lines: string[] = [];
  for (const folder of [SCREENSHOT_UPLOADS, LORA_UPLOADS]) {
    const freed = removeOrphanUploads(dataDir, recorded, listed, startedAt, folder);
    if (freed.files > 0) lines.push(describeFreedUploads(freed, folder));
  }
  const partials = removeWorkerLoraPartials(dataDir, listedIds(db, 'jobs'), startedAt);
  if (partials.files > 0) lines.push(describeFreedPartials(partials));
  return lines;
}
