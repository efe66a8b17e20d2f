// src/jobs/database.ts — opens the embedded SQLite database (better-sqlite3) and brings its schema
// up to date with the numbered migrations. The only module that imports better-sqlite3.
import Database from 'better-sqlite3';
import { ToonloraError } from '../errors.js';
import { damagedDatabaseError, databaseOpenError } from './database-open-errors.js';
import { MIGRATIONS } from './migrations.js';

export type SqliteDatabase = Database.Database;

/**
 * Opens (creating if needed) the database at `path` (`:memory:` for tests), turns on WAL and
 * foreign keys, and applies the migrations it has not seen yet. Throws TL_ERR_CONFIG when the file
 * was written by a newer toonlora (more migrations than this build knows).
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
export function openDatabase(path: string, options: { exclusive?: boolean } = {}): SqliteDatabase {
  let db: SqliteDatabase | undefined;
  try {
    db = new Database(path);
    db.pragma('busy_timeout = 5000');
    if (options.exclusive) takeExclusiveLock(db, path);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    if (path !== ':memory:') checkPages(db, path);
    applyMigrations(db, path);
    return db;
  } catch (error) {
    if (db?.open) db.close();
    throw databaseOpenError(error, path);
  }
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
  const current = Number(db.pragma('user_version', { simple: true }));
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
