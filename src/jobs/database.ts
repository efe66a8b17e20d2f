// src/jobs/database.ts — opens the embedded SQLite database (better-sqlite3) and brings its schema
// up to date with the numbered migrations, first copying an older file (VACUUM INTO) so an older toonlora can still
// open that copy. The only module that imports better-sqlite3.
import { existsSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ToonloraError } from '../errors.js';
import { damagedDatabaseError, databaseOpenError } from './database-open-errors.js';
import { DELETED_FOLDERS_SCHEMA, recordOlderVersionDeletes } from './deleted-folders.js';
import { MIGRATIONS } from './migrations.js';

export type SqliteDatabase = Database.Database;

/** What opening a database of an older schema did: its schema before and after, and the copy of the old file. */
export interface DatabaseUpgrade {
  path: string;
  from: number;
  to: number;
  /** The consistent copy of the database as it was (`toonlora.db.schema-3.bak`), which the older toonlora opens. */
  copy: string;
}

export interface OpenDatabaseOptions {
  exclusive?: boolean;
  /** Called once the migrations of a database of an older schema ran (never for a new or current one). */
  onUpgraded?: (upgrade: DatabaseUpgrade) => void;
}

/** The server's start line for an upgraded database. */
export function upgradeLine(upgrade: DatabaseUpgrade): string {
  return (
    `data folder upgraded: database schema ${upgrade.from} -> ${upgrade.to}; a copy of the old database is ` +
    `${upgrade.copy} (older toonlora can open only that copy)`
  );
}

/**
 * Opens (creating if needed) the database at `path` (`:memory:` for tests), turns on WAL and
 * foreign keys, and applies the migrations it has not seen yet. Throws TL_ERR_CONFIG when the file
 * was written by a newer toonlora (more migrations than this build knows).
 *
 * A file of an older schema (1 .. the newest - 1) is first copied, consistently (VACUUM INTO, WAL included), to
 * `<file>.schema-<N>.bak` next to it (another free name when that exists), then migrated; `onUpgraded` then says so.
 * A copy that fails (disk full) throws before any migration, as an open that refuses writes does.
 *
 * `exclusive` (the server's store): the connection takes SQLite's exclusive lock at once and holds it
 * until it closes (or its process dies), so a second server on the same data folder cannot recover,
 * run or rewrite the first one's jobs. It waits up to 5 s for a server that is shutting down, then
 * throws TL_ERR_CONFLICT naming the file.
 *
 * A damaged file (truncated, overwritten: found opening it or by a quick check of every page) throws
 * TL_ERR_INPUT_INVALID naming it and what to do; a file or folder that refuses writes (permissions, `chattr +i`,
 * a read-only mount) the data folder's TL_ERR_OUTPUT_WRITE naming the path and the cause (database-open-errors.ts).
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  let db: SqliteDatabase | undefined;
  try {
    db = new Database(path);
    db.pragma('busy_timeout = 5000');
    if (options.exclusive) takeExclusiveLock(db, path);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    if (path !== ':memory:') checkPages(db, path);
    const from = schemaVersion(db);
    const copy =
      path !== ':memory:' && from > 0 && from < MIGRATIONS.length
        ? copyOldDatabase(db, path, from)
        : undefined;
    const applied = applyMigrations(db, path);
    // an older toonlora's deletes left marked folders it did not record: recorded now, the start's sweep removes them
    if (copy && from < DELETED_FOLDERS_SCHEMA && from + applied >= DELETED_FOLDERS_SCHEMA) {
      recordOlderVersionDeletes(db, dirname(path));
    }
    if (copy && applied > 0) options.onUpgraded?.({ path, from, to: from + applied, copy });
    return db;
  } catch (error) {
    if (db?.open) db.close();
    throw databaseOpenError(error, path);
  }
}

const schemaVersion = (db: SqliteDatabase): number => Number(db.pragma('user_version', { simple: true }));

/** `<path>.schema-<from>.bak`, or `.schema-<from>-2.bak`, `-3`, ... when taken: a name nothing has. */
export function freeCopyPath(
  path: string,
  from: number,
  exists: (at: string) => boolean = existsSync,
): string {
  const named = (n: number) => `${path}.schema-${from}${n === 1 ? '' : `-${n}`}.bak`;
  let n = 1;
  while (exists(named(n)) || exists(`${named(n)}-wal`)) n++;
  return named(n);
}

/** A consistent copy of the open database (its WAL included) at a free name; a partial copy is removed. */
function copyOldDatabase(db: SqliteDatabase, path: string, from: number): string {
  const copy = freeCopyPath(path, from);
  try {
    db.prepare('VACUUM INTO ?').run(copy);
  } catch (error) {
    rmSync(copy, { force: true });
    throw databaseOpenError(error, copy); // a full disk or a refused write names the copy
  }
  return copy;
}

/** SQLite may notice a cut-off file only when it reads the missing pages: read them all once (quick_check). */
function checkPages(db: SqliteDatabase, path: string): void {
  const first = db.pragma('quick_check(1)', { simple: true });
  if (first !== 'ok') throw damagedDatabaseError(path, String(first));
}

function takeExclusiveLock(db: SqliteDatabase, path: string): void {
  // Set before the first WAL access: SQLite then keeps the WAL index in memory, not in a shared -shm file.
  db.pragma('locking_mode = EXCLUSIVE');
  try {
    db.exec('BEGIN EXCLUSIVE; COMMIT'); // in this mode the lock stays after COMMIT
  } catch (error) {
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
    db.close();
    throw new ToonloraError(
      'TL_ERR_CONFLICT',
      `${path}: in use by another toonlora serve (the database is locked). Stop that server first, or give this one another --data folder.`,
      { cause: error },
    );
  }
}

/** Runs every migration after `user_version`, each in its own transaction; returns how many ran. */
export function applyMigrations(db: SqliteDatabase, label = 'database'): number {
  const current = schemaVersion(db);
  if (current > MIGRATIONS.length) {
    throw new ToonloraError(
      'TL_ERR_CONFIG',
      `${label}: schema version ${current} is newer than this toonlora knows (${MIGRATIONS.length}). Upgrade toonlora or use another --data folder.`,
    );
  }
  let applied = 0;
  for (let version = current + 1; version <= MIGRATIONS.length; version++) {
    const sql = MIGRATIONS[version - 1] as string;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${version}`);
    })();
    applied++;
  }
  return applied;
}
