// src/jobs/upload-leftovers.ts — the screenshot files a server killed mid-upload (kill -9) leaves: written under a
// character's `uploads/` but never recorded (an upload records its files only once all are written). Found and
// removed at the next start: only real files inside the data folder's `characters/<id>/uploads/`, only those no
// image row points to, and only those older than the start.
import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { formatBytes } from '../format-bytes.js';
import { allStoredImagePaths } from './catalog/images.js';
import { CHARACTERS_REL_DIR, uploadsRelDir } from './data-layout.js';
import type { SqliteDatabase } from './database.js';

/** What the sweep removed: how many files and bytes, and from how many characters' `uploads/`. */
export interface FreedUploads {
  files: number;
  bytes: number;
  folders: number;
}

/** The stored paths every image row points to (removed screenshots included), relative to `dataDir` with `/`. */
export function recordedUploads(db: SqliteDatabase, dataDir: string): Set<string> {
  return new Set(
    allStoredImagePaths(db).map((stored) => relative(dataDir, resolve(dataDir, stored)).split(sep).join('/')),
  );
}

/** The names in `dir` when it is a real folder (not a link), else none. */
function realFolderEntries(dir: string): string[] {
  try {
    return lstatSync(dir).isDirectory() ? readdirSync(dir) : [];
  } catch {
    return []; // not there
  }
}

/**
 * Removes the files under `<dataDir>/characters/<id>/uploads/` that `recorded` does not name and that were last
 * written before `startedAt` (ms): an upload still being written belongs to this process. Links and folders
 * there are left alone.
 */
export function removeOrphanUploads(
  dataDir: string,
  recorded: ReadonlySet<string>,
  startedAt: number,
): FreedUploads {
  const freed: FreedUploads = { files: 0, bytes: 0, folders: 0 };
  for (const character of realFolderEntries(join(dataDir, CHARACTERS_REL_DIR))) {
    const rel = uploadsRelDir(character);
    let removedHere = 0;
    for (const name of realFolderEntries(join(dataDir, rel))) {
      if (recorded.has(`${rel}/${name}`)) continue;
      const path = join(dataDir, rel, name);
      const stat = lstatSync(path);
      if (!stat.isFile() || stat.mtimeMs >= startedAt) continue;
      rmSync(path, { force: true });
      removedHere += 1;
      freed.bytes += stat.nlink === 1 ? stat.size : 0;
    }
    freed.files += removedHere;
    if (removedHere > 0) freed.folders += 1;
  }
  return freed;
}

/** One line for the server's log: how many files, from how many characters, how much was freed. */
export function describeFreedUploads(freed: FreedUploads): string {
  const files = `${freed.files} uploaded file${freed.files === 1 ? '' : 's'}`;
  const folders = `${freed.folders} character${freed.folders === 1 ? "'s" : "s'"} uploads/`;
  return (
    `removed ${files} no screenshot points to (left by a server stopped mid-upload) from ${folders} ` +
    `(${formatBytes(freed.bytes)} freed)`
  );
}
