// src/jobs/deleted-folders.ts — the folders of a deleted character (`characters/<id>`, its jobs' `jobs/<id>`), or
// of one deleted job, on their way out: each is moved aside to a marked name in the same folder
// (`.deleted-<id>-<ms>`, `.deleted-job-<id>-<ms>` for a job's own delete, one rename) inside the transaction that
// deletes the rows, and recorded there (table
// deleted_folders), then removed. A removal that fails (a file the system will not unlink) or a crash before it
// leaves only marked folders, which the next start
// removes when the database records them, or puts back when the rows' delete never committed (the id is still
// listed); any other marked folder (a new, emptied or older toonlora.db put in place since) is left and named: such
// a database costs nothing. Before, the rows went first and the folder stayed under its own name: the reply was a 500 for a
// character that was gone, and every start blamed "a new, emptied or older database" and advised putting back a
// copy that would bring the deleted character back. A folder that will not move aside (immutable, not writable) stops
// the delete before anything is deleted, and the error names that folder (never the marked name, which was not made)
// and what to do about it: before, the data folder's error named the marked path and advised another data folder.
// The start's lines name the delete that moved a folder aside, from its marked name: before, a `jobs/` folder a job's
// delete left was said to be a character's. A toonlora before schema 7 recorded nothing: the upgrade records what its
// deletes left (recordOlderVersionDeletes), so the first start removes it as that toonlora would have.
import { existsSync, readdirSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ToonloraError } from '../errors.js';
import { errorCodeInWords, fsErrorCode } from '../fs-error-words.js';
import { CHARACTERS_REL_DIR } from './data-layout.js';
import { dataRel, resolveDataPath } from './data-path.js';
import type { SqliteDatabase } from './database.js';
import { listedIds } from './upload-leftovers-unlisted.js';

/** How a moved-aside folder's name starts (hidden: the count of unlisted folders skips it). */
export const DELETED_MARK = '.deleted-';

/** What a job's own delete adds after the mark (`.deleted-job-<id>-<ms>`), so a start names the delete that moved a
 * `jobs/` folder aside: a character's delete moves its jobs' folders too, under the plain `.deleted-<id>-<ms>`. */
const JOB_DELETE_WORD = 'job-';

const MARKED_NAME = /^\.deleted-(job-)?(.+)-(\d+)$/;

/** A folder moved aside (absolute paths): where it was and where it is now. */
export interface MovedFolder {
  readonly from: string;
  readonly to: string;
}

/** A folder that could not be removed (absolute path) and why, in words. */
export interface RemovalFailure {
  readonly path: string;
  readonly reason: string;
}

/** `.deleted-<id>-<atMs>` (`.deleted-job-<id>-<atMs>` for a job's own delete, `by`): the marked name of folder `id`
 * moved aside at `atMs` (ms since the epoch). */
export function deletedFolderName(
  id: string,
  atMs: number,
  by: DeletedSubject['kind'] = 'character',
): string {
  return `${DELETED_MARK}${by === 'job' ? JOB_DELETE_WORD : ''}${id}-${Math.trunc(atMs)}`;
}

/** The folder id a marked name holds (`.deleted-<id>-<ms>`, `.deleted-job-<id>-<ms>`), else undefined (any other
 * name). */
export function deletedFolderId(name: string): string | undefined {
  return MARKED_NAME.exec(name)?.[2];
}

/** Which delete moved the folder of marked name `name` aside: `job` for a job's own delete, else `character` (a
 * character's delete; also a job's delete by a toonlora that did not mark it). */
export function deletedFolderBy(name: string): DeletedSubject['kind'] {
  return MARKED_NAME.exec(name)?.[1] ? 'job' : 'character';
}

/** Why `error` stopped a move or removal: its code in words and the path it names. */
function reasonOf(error: unknown): string {
  const path = (error as { path?: unknown }).path;
  return typeof path === 'string' ? `${errorCodeInWords(error)} at ${path}` : errorCodeInWords(error);
}

/**
 * TL_ERR_OUTPUT_WRITE for the folder at `from` (absolute) that a delete could not move aside (`error`: the rename's),
 * the delete undone: names the folder and why, says nothing was deleted and what lets the server move it.
 */
export function moveAsideRefused(
  from: string,
  error: unknown,
  kind: DeletedSubject['kind'] = 'character',
): ToonloraError {
  const code = fsErrorCode(error);
  return new ToonloraError(
    'TL_ERR_OUTPUT_WRITE',
    `could not move ${from} aside (${errorCodeInWords(error)}); nothing was deleted, the ${kind} is as it ` +
      'was. Whoever runs the server must let it rename that folder: its user needs write permission on the folder ' +
      `and on ${dirname(from)}, and neither may be immutable or append-only (lsattr -d shows it, chattr -i / ` +
      `chattr -a removes it); then delete the ${kind} again.`,
    { cause: error, details: { path: from, ...(code ? { code } : {}) } },
  );
}

/**
 * Renames each folder that `rels` (relative to `dataDir`) names and that exists to its marked name beside it (that
 * of a `kind` delete: deletedFolderName).
 * All or none: on a failed rename, the ones already moved are moved back and the error is thrown.
 * @throws ToonloraError TL_ERR_OUTPUT_WRITE naming the folder that would not move (moveAsideRefused); TL_ERR_USAGE
 *   for a path out of `dataDir`
 */
export function moveFoldersAside(
  dataDir: string,
  rels: readonly string[],
  atMs: number,
  kind: DeletedSubject['kind'] = 'character',
): MovedFolder[] {
  const moved: MovedFolder[] = [];
  try {
    for (const rel of rels) {
      const from = resolveDataPath(dataDir, rel);
      const to = join(dirname(from), deletedFolderName(rel.split('/').at(-1) ?? rel, atMs, kind));
      try {
        renameSync(from, to);
      } catch (error) {
        if (fsErrorCode(error) === 'ENOENT') continue; // none made (a character with no upload)
        throw moveAsideRefused(from, error, kind);
      }
      moved.push({ from, to });
    }
  } catch (error) {
    moveFoldersBack(moved);
    throw error;
  }
  return moved;
}

/** Renames each moved folder back to where it was; returns the ones that could not be (a start puts them back). */
export function moveFoldersBack(moved: readonly MovedFolder[]): RemovalFailure[] {
  const failed: RemovalFailure[] = [];
  for (const { from, to } of moved) {
    try {
      renameSync(to, from);
    } catch (error) {
      failed.push({ path: to, reason: reasonOf(error) });
    }
  }
  return failed;
}

/** The folders `db` records as moved aside by a committed delete (relative to the data folder). */
function recordedDeletedFolders(db: SqliteDatabase): Set<string> {
  const rows = db.prepare('SELECT path FROM deleted_folders').all() as { path: string }[];
  return new Set(rows.map(({ path }) => path));
}

/** Forgets the record of the folder at `rel` (removed). A failed write is left for the next start, which drops the
 * record of a folder that is gone: the delete already happened, its reply must not fail for it. */
function forgetDeletedFolder(db: SqliteDatabase, rel: string): void {
  try {
    db.prepare('DELETE FROM deleted_folders WHERE path = ?').run(rel);
  } catch {
    // the record of a removed folder: harmless, dropped by the next start
  }
}

/**
 * Deletes rows and moves their folders aside in one transaction of `db`, which also records the moved folders
 * (deleted_folders): `deleteRows` deletes (it may throw: nothing
 * moves) and returns the folders, relative to `dataDir`, that held their files. A failed move rolls the rows back;
 * a failed commit moves the folders back (one that will not move back, the next start puts back: its rows are still
 * listed).
 * @returns the folders moved aside, for `removeFolders` once the reply is decided
 * @throws what `deleteRows` or the commit threw; a folder that will not move: TL_ERR_OUTPUT_WRITE naming it, nothing
 *   deleted (moveAsideRefused)
 */
export function deleteRowsMovingFoldersAside(
  db: SqliteDatabase,
  deleteRows: () => readonly string[],
  dataDir: string,
  atMs: number,
  kind: DeletedSubject['kind'] = 'character',
): MovedFolder[] {
  let moved: MovedFolder[] = [];
  try {
    db.transaction(() => {
      moved = moveFoldersAside(dataDir, deleteRows(), atMs, kind);
      const record = db.prepare('INSERT INTO deleted_folders (path, deleted_at) VALUES (?, ?)');
      const at = new Date(atMs).toISOString();
      for (const { to } of moved) record.run(dataRel(dataDir, to), at);
    })();
  } catch (error) {
    moveFoldersBack(moved);
    throw error;
  }
  return moved;
}

/** Why a removal (`rm`, `rmSync`) failed, with the path it names. Node 20's rm answers a file it may not unlink
 * (immutable: EPERM) with `ENOTDIR … scandir` on that file, as if it had tried it as a folder: the file's own unlink
 * says why. */
export function removalReason(error: unknown): string {
  const path = (error as { path?: unknown }).path;
  if (fsErrorCode(error) !== 'ENOTDIR' || typeof path !== 'string') return reasonOf(error);
  try {
    unlinkSync(path);
  } catch (unlinkError) {
    return reasonOf(unlinkError);
  }
  return reasonOf(error);
}

/** Removes each folder at `paths` with all it holds; returns the ones that could not be, with the reason. */
export function removeFolders(paths: readonly string[]): RemovalFailure[] {
  const failed: RemovalFailure[] = [];
  for (const path of paths) {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch (error) {
      failed.push({ path, reason: removalReason(error) });
    }
  }
  return failed;
}

/** Removes the folders a delete moved aside (deleteRowsMovingFoldersAside) and forgets the record of each removed;
 * returns the ones that could not be, with the reason (the next start tries again: they stay recorded). */
export function removeDeletedFolders(
  db: SqliteDatabase,
  dataDir: string,
  moved: readonly MovedFolder[],
): RemovalFailure[] {
  const failed = removeFolders(moved.map(({ to }) => to));
  for (const { to } of moved) {
    if (!failed.some(({ path }) => path === to)) forgetDeletedFolder(db, dataRel(dataDir, to));
  }
  return failed;
}

/** What a delete with folders removes, for the words of its lines: a job or a character, by id. */
export interface DeletedSubject {
  readonly kind: 'job' | 'character';
  readonly id: string;
}

/**
 * Deletes `subject`'s rows with their folders: `deleteRows` in a transaction that moves the folders aside
 * (deleteRowsMovingFoldersAside), then `rowsGone` (what follows the rows at once), then the folders' removal
 * (removeDeletedFolders). The subject is gone whatever the removal does: each folder left goes to `folderLeft` with
 * its log fields (`jobId` or `characterId`, `path`) and a line naming the subject, the folder and why; the next start
 * removes it.
 * @throws as deleteRowsMovingFoldersAside: nothing deleted
 */
export function deleteWithFolders(
  db: SqliteDatabase,
  dataDir: string,
  subject: DeletedSubject,
  steps: {
    readonly deleteRows: () => readonly string[];
    readonly rowsGone?: () => void;
    readonly folderLeft: (fields: Record<string, string>, line: string) => void;
  },
  atMs = Date.now(),
): void {
  const { kind, id } = subject;
  const moved = deleteRowsMovingFoldersAside(db, steps.deleteRows, dataDir, atMs, kind);
  steps.rowsGone?.();
  for (const { path, reason } of removeDeletedFolders(db, dataDir, moved)) {
    steps.folderLeft(
      { [`${kind}Id`]: id, path },
      `deleting ${kind} ${id}: could not remove ${path} (${reason}); the next start tries again`,
    );
  }
}

/** What a start did with the marked folders under `characters/` and `jobs/` (absolute paths). */
export interface DeletedFoldersSweep {
  /** Removed: the rows were gone (a removal that failed or was cut short). */
  removed: string[];
  /** Renamed back (`from`: the marked folder): the database still lists the id (a delete that never committed). */
  restored: MovedFolder[];
  /** Not removed, with why. */
  failed: RemovalFailure[];
  /** Not renamed back (`from`: the marked folder), with why. */
  notRestored: Array<MovedFolder & { readonly reason: string }>;
  /** Left: the database neither records their delete nor lists their id (it was replaced after the delete). */
  unrecorded: string[];
}

/** The marked folders in `dir` (none when it cannot be read) and the id each holds. */
function markedFolders(dir: string): Array<{ path: string; id: string }> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const id = deletedFolderId(name);
    return id === undefined ? [] : [{ path: join(dir, name), id }];
  });
}

/**
 * At start (no request served yet): removes the marked folders under `dataDir`'s `characters/` and `jobs/` that `db`
 * records as deleted (and their records, and the records of folders already gone), renames back those whose id it
 * still lists (when the name is free; else they stay), and leaves any other (`unrecorded`: a database put in place
 * after the delete, which may be missing a character the user wants back).
 */
export function sweepDeletedFolders(db: SqliteDatabase, dataDir: string): DeletedFoldersSweep {
  const sweep: DeletedFoldersSweep = {
    removed: [],
    restored: [],
    failed: [],
    notRestored: [],
    unrecorded: [],
  };
  const recorded = recordedDeletedFolders(db);
  for (const rel of recorded) {
    if (!existsSync(join(dataDir, rel))) forgetDeletedFolder(db, rel);
  }
  for (const { path, id, listed } of markedFoldersUnder(db, dataDir)) {
    if (recorded.has(dataRel(dataDir, path))) {
      const failed = removeFolders([path]);
      if (failed.length === 0) {
        sweep.removed.push(path);
        forgetDeletedFolder(db, dataRel(dataDir, path));
      }
      sweep.failed.push(...failed);
      continue;
    }
    if (!listed) {
      sweep.unrecorded.push(path);
      continue;
    }
    const back = { from: path, to: join(dirname(path), id) };
    if (existsSync(back.to)) {
      sweep.notRestored.push({ ...back, reason: `${back.to} exists` });
      continue;
    }
    const [failed] = moveFoldersBack([{ from: back.to, to: back.from }]);
    if (failed) sweep.notRestored.push({ ...back, reason: failed.reason });
    else sweep.restored.push(back);
  }
  return sweep;
}

/** The marked folders under `dataDir`'s `characters/` and `jobs/`, each with its id and whether `db` lists that id. */
function markedFoldersUnder(
  db: SqliteDatabase,
  dataDir: string,
): Array<{ path: string; id: string; listed: boolean }> {
  return (
    [
      [CHARACTERS_REL_DIR, 'characters'],
      ['jobs', 'jobs'],
    ] as const
  ).flatMap(([rel, table]) => {
    const listed = listedIds(db, table);
    return markedFolders(join(dataDir, rel)).map((folder) => ({ ...folder, listed: listed.has(folder.id) }));
  });
}

/** The first schema that records the folders a delete moved aside (migration 7, table deleted_folders). */
export const DELETED_FOLDERS_SCHEMA = 7;

/**
 * When a database of an older schema (before {@link DELETED_FOLDERS_SCHEMA}) was just upgraded: records as deleted the
 * marked folders under `dataDir`'s `characters/` and `jobs/` whose id `db` does not list, and returns how many. Those
 * are what that older toonlora's deletes left: it recorded nothing, and removed such a folder at its next start (a
 * listed id, a delete that never committed, is put back by the sweep as before). Before, the first start after the
 * upgrade left them all, every start after too, and blamed "toonlora.db was replaced after that delete".
 */
export function recordOlderVersionDeletes(db: SqliteDatabase, dataDir: string): number {
  const record = db.prepare('INSERT OR IGNORE INTO deleted_folders (path, deleted_at) VALUES (?, ?)');
  let recorded = 0;
  db.transaction(() => {
    for (const { path, listed } of markedFoldersUnder(db, dataDir)) {
      if (listed) continue;
      recorded += record.run(dataRel(dataDir, path), new Date(markedAtMs(path)).toISOString()).changes;
    }
  })();
  return recorded;
}

/** The time a marked folder's name holds (ms since the epoch; 0 for a name past what a Date holds). */
function markedAtMs(path: string): number {
  const ms = Number(MARKED_NAME.exec(basename(path))?.[3]);
  return Number.isFinite(new Date(ms).getTime()) ? ms : 0;
}

/** Which delete moved the folder at `path` (absolute, a marked name) aside. */
const movedAsideBy = (path: string): DeletedSubject['kind'] => deletedFolderBy(basename(path));

/** The line for the `unrecorded` folders one kind of delete moved aside (`paths`, all of the same kind). */
function unrecordedLine(paths: readonly string[], by: DeletedSubject['kind']): string {
  return (
    `left ${paths.join(', ')}: folders a ${by}'s delete moved aside that this database neither ` +
    'records as deleted nor lists (toonlora.db was replaced after that delete?); nothing was removed. To get ' +
    `the ${by} back, put back the toonlora.db that lists it; if it is not wanted, remove the folders ` +
    'yourself with serve stopped'
  );
}

/** The start's lines about a sweep (none when it found nothing): what went, what came back, what stayed and why;
 * a folder put back or left is said to be moved aside by a character's or a job's delete, from its marked name. */
export function describeDeletedFoldersSweep(
  sweep: DeletedFoldersSweep,
): Array<{ level: 'info' | 'warn'; line: string }> {
  const lines: Array<{ level: 'info' | 'warn'; line: string }> = [];
  if (sweep.removed.length > 0) {
    lines.push({
      level: 'info',
      line: `removed what deleted characters and jobs left (a removal that failed or was cut short): ${sweep.removed.join(', ')}`,
    });
  }
  for (const { from, to } of sweep.restored) {
    lines.push({
      level: 'warn',
      line: `put ${from} back as ${to}: a ${movedAsideBy(from)}'s delete moved it aside and did not complete, and the database still lists it`,
    });
  }
  for (const { from, to, reason } of sweep.notRestored) {
    lines.push({
      level: 'warn',
      line: `could not put ${from} back as ${to} (${reason}): a ${movedAsideBy(from)}'s delete moved it aside and did not complete, and the database still lists it; with serve stopped, move it there yourself`,
    });
  }
  for (const by of ['character', 'job'] as const) {
    const paths = sweep.unrecorded.filter((path) => movedAsideBy(path) === by);
    if (paths.length > 0) lines.push({ level: 'warn', line: unrecordedLine(paths, by) });
  }
  for (const { path, reason } of sweep.failed) {
    lines.push({
      level: 'warn',
      line: `could not remove ${path}, the files of a deleted character or job (${reason}); the next start tries again, or remove the folder yourself`,
    });
  }
  return lines;
}
