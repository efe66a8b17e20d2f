// src/jobs/database-open-errors.ts — what opening the server's SQLite file (or its first read) threw, in words: a
// damaged file (SQLITE_CORRUPT, SQLITE_NOTADB: truncated, overwritten) as TL_ERR_INPUT_INVALID naming the file and
// what to do; a file or folder that refuses writes (SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_IOERR: chmod, `chattr +i`,
// a read-only mount) as the data folder's TL_ERR_OUTPUT_WRITE naming the path and the cause, found by asking the file
// system which of the folder, the file and its -wal/-shm/-journal refuses a write; a folder where the file (or a side
// file) should be, by path. Other errors pass unchanged.
import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ToonloraError } from '../errors.js';
import { fsErrorCode, REFUSED_WRITE_CODES } from '../fs-error-words.js';
import { dataFolderWriteError } from './data-folder-write.js';

/** Checks that `path` may be written (throws a Node file-system error when not): `fs.accessSync`'s shape. */
export type WriteCheck = (path: string) => void;

const checkWritable: WriteCheck = (path) => accessSync(path, constants.W_OK);

/** Whether `path` is a folder (false when absent or unreadable): `fs.statSync`'s answer. */
export type FolderCheck = (path: string) => boolean;

const isFolderOnDisk: FolderCheck = (path) =>
  statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;

/** SQLite's result code on a better-sqlite3 error (`SQLITE_CORRUPT`, `SQLITE_IOERR_SHORT_READ`), else undefined. */
function sqliteCode(error: unknown): string | undefined {
  const code = fsErrorCode(error);
  return code?.startsWith('SQLITE_') ? code : undefined;
}

const DAMAGED = ['SQLITE_CORRUPT', 'SQLITE_NOTADB'];
const NOT_WRITABLE = ['SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_IOERR', 'SQLITE_PERM', 'SQLITE_FULL'];

function isOf(code: string, families: readonly string[]): boolean {
  return families.some((family) => code === family || code.startsWith(`${family}_`));
}

/** The first of the database's folder, file and side files that refuses a write, as the file system words it. */
function refusedWrite(path: string, check: WriteCheck): Error | undefined {
  for (const at of [dirname(path), path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) {
    try {
      check(at);
    } catch (error) {
      const code = fsErrorCode(error);
      if (code && REFUSED_WRITE_CODES.has(code)) return Object.assign(error as Error, { path: at });
    }
  }
  return undefined;
}

/**
 * What SQLite said about the damage, in one short phrase: its one-line messages as they are ("database disk image is
 * malformed", "file is not a database"); a page check's report ("*** in database main ***\nTree 6 page 6:
 * btreeInitPage() returns error code 11") only as the kind of damage it found, since its page and tree numbers and
 * error codes tell the user nothing they can act on (they stay in the error's details, printed with --json).
 */
export function damageInWords(reason: string): string {
  const text = reason.trim();
  if (/\bpage\b/i.test(text)) return 'SQLite found a damaged page';
  if (text.includes('\n') || text.includes('***') || text.length > 80) {
    return /\bindex\b/i.test(text) ? 'SQLite found a damaged index' : "SQLite's check found damage";
  }
  return `SQLite: ${text || 'no reason given'}`;
}

/** TL_ERR_INPUT_INVALID for a damaged database file: which file, the damage in words, the three ways on. */
export function damagedDatabaseError(path: string, reason: string, cause?: unknown): ToonloraError {
  return new ToonloraError(
    'TL_ERR_INPUT_INVALID',
    `${path}: the database is damaged (${damageInWords(reason)}); serve cannot start on it. Put back a backup ` +
      `copy of it if you have one, or move it aside (a new empty database is made; the files under characters/ ` +
      `and jobs/ stay, unlisted), or start serve with another --data folder.`,
    { cause, details: { path, reason } },
  );
}

/** TL_ERR_INPUT_INVALID for a folder where the database file (or one of its side files) should be, by path. */
function folderInTheWayError(folder: string, path: string, cause: unknown): ToonloraError {
  const what =
    folder === path ? 'not a database file' : `not the file SQLite keeps beside the database ${path}`;
  return new ToonloraError(
    'TL_ERR_INPUT_INVALID',
    `${folder} is a folder, ${what}. Move that folder aside or rename it (serve then makes a new empty ` +
      `database), or start serve with another --data folder.`,
    { cause, details: { path, folder } },
  );
}

/** The first of the database file and its side files that is a folder. */
function folderInTheWay(path: string, isFolder: FolderCheck): string | undefined {
  return [path, `${path}-wal`, `${path}-shm`, `${path}-journal`].find((at) => isFolder(at));
}

/**
 * `error` (thrown opening the database at `path`, or by its first read) in words, when it is a damaged file or a
 * write refused, or a folder where the file should be; else `error` itself. `check` and `isFolder` ask the file
 * system (tests stand in for `chattr +i`).
 */
export function databaseOpenError(
  error: unknown,
  path: string,
  check: WriteCheck = checkWritable,
  isFolder: FolderCheck = isFolderOnDisk,
): unknown {
  const code = sqliteCode(error);
  if (code === undefined) return error;
  const reason = error instanceof Error ? error.message : String(error);
  if (isOf(code, DAMAGED)) return damagedDatabaseError(path, reason, error);
  if (!isOf(code, NOT_WRITABLE)) return error;
  const folder = folderInTheWay(path, isFolder);
  if (folder) return folderInTheWayError(folder, path, error);
  const dataDir = dirname(path);
  const refused =
    code === 'SQLITE_FULL'
      ? Object.assign(new Error(reason, { cause: error }), { code: 'ENOSPC', path })
      : refusedWrite(path, check);
  const named = refused ? dataFolderWriteError(refused, dataDir) : undefined;
  if (named) return named;
  return new ToonloraError(
    'TL_ERR_OUTPUT_WRITE',
    `${path}: SQLite cannot open the database (${reason}); make sure this user may read and write the data ` +
      `folder ${dataDir} and the file, or start serve with another --data folder.`,
    { cause: error, details: { path, code } },
  );
}
