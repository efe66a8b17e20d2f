// src/jobs/upload-leftovers-unlisted.ts — the folders under the data folder's `characters/` and `jobs/` that the
// database does not list: what a missing, emptied or older `toonlora.db` (a new one made, a copy put back) leaves
// unseen. The start counts them and says so in one line (where, that nothing was removed, how to get them back);
// it never removes nor imports them. Hidden names (a prep's staging folder, a deleted character's folder moved aside
// as `.deleted-…`: deleted-folders.ts) are not counted.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHARACTERS_REL_DIR, DATABASE_FILE } from './data-layout.js';
import type { SqliteDatabase } from './database.js';

/** How many folders under `characters/` and `jobs/` the database does not list. */
export interface UnlistedFolders {
  characters: number;
  jobs: number;
}

const JOBS_REL_DIR = 'jobs';

/** The real folders (not links, not hidden) in `dir`, else none. */
function realFolders(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return []; // not there, or not a folder
  }
  return names.filter((name) => {
    if (name.startsWith('.')) return false;
    try {
      return lstatSync(join(dir, name)).isDirectory();
    } catch {
      return false;
    }
  });
}

/** The ids of the rows of `table`: the characters (or jobs) the database lists. */
export function listedIds(db: SqliteDatabase, table: 'characters' | 'jobs'): Set<string> {
  const rows = db.prepare(`SELECT id FROM ${table}`).all() as { id: string }[];
  return new Set(rows.map(({ id }) => id));
}

/** Counts the folders of `characters/` and `jobs/` under `dataDir` whose name no row of `db` has as its id. */
export function findUnlistedFolders(db: SqliteDatabase, dataDir: string): UnlistedFolders {
  const count = (rel: string, known: Set<string>) =>
    realFolders(join(dataDir, rel)).filter((name) => !known.has(name)).length;
  return {
    characters: count(CHARACTERS_REL_DIR, listedIds(db, 'characters')),
    jobs: count(JOBS_REL_DIR, listedIds(db, 'jobs')),
  };
}

/** One line for the server's log, or undefined when every folder is listed. */
export function describeUnlistedFolders(found: UnlistedFolders, dataDir: string): string | undefined {
  if (found.characters === 0 && found.jobs === 0) return undefined;
  const parts = [
    found.characters > 0
      ? `${found.characters} character folder${found.characters === 1 ? '' : 's'} (${join(dataDir, CHARACTERS_REL_DIR)})`
      : '',
    found.jobs > 0
      ? `${found.jobs} job folder${found.jobs === 1 ? '' : 's'} (${join(dataDir, JOBS_REL_DIR)})`
      : '',
  ].filter(Boolean);
  const database = join(dataDir, DATABASE_FILE);
  return (
    `the data folder holds ${parts.join(' and ')} that ${database} does not list (a new, emptied or older ` +
    `database): nothing was removed, and the app does not show them. To get them back, stop serve and put back ` +
    `the copy of ${DATABASE_FILE} that lists them.`
  );
}
