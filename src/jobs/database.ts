// src/jobs/database.ts — opens the embedded SQLite database (better-sqlite3) and brings its schema
// up to date with the numbered migrations. The only module that imports better-sqlite3.
import Database from 'better-sqlite3';
import { ToonloraError } from '../errors.js';
import { MIGRATIONS } from './migrations.js';

export type SqliteDatabase = Database.Database;

/**
 * Opens (creating if needed) the database at `path` (`:memory:` for tests), turns on WAL and
 * foreign keys, and applies the migrations it has not seen yet. Throws TL_ERR_CONFIG when the file
 * was written by a newer toonlora (more migrations than this build knows).
 */
export function openDatabase(path: string): SqliteDatabase {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  applyMigrations(db, path);
  return db;
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
