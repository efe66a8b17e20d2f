// src/jobs/database-upgrade.test.ts — opening a database an older toonlora wrote (an older schema) first copies it
// consistently to `toonlora.db.schema-N.bak` (never over an existing copy), then migrates and says so once; the copy
// still opens at schema N. A new or current database gets neither; a copy with no room migrates nothing.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { oldDatabase } from '../../test/helpers/old-database.js';
import { ToonloraError } from '../errors.js';
import { type DatabaseUpgrade, freeCopyPath, openDatabase, upgradeLine } from './database.js';
import { MIGRATIONS } from './migrations.js';

const NEWEST = MIGRATIONS.length;

/** `path`'s schema and its characters' names, read without migrating. */
function readBack(path: string): { schema: number; names: string[] } {
  const db = new Database(path, { readonly: true });
  try {
    const schema = Number(db.pragma('user_version', { simple: true }));
    const names = (db.prepare('SELECT name FROM characters').all() as { name: string }[]).map((r) => r.name);
    return { schema, names };
  } finally {
    db.close();
  }
}

function openCollecting(path: string): DatabaseUpgrade[] {
  const seen: DatabaseUpgrade[] = [];
  openDatabase(path, { exclusive: true, onUpgraded: (upgrade) => seen.push(upgrade) }).close();
  return seen;
}

const freshDir = () => mkdtempSync(join(tmpdir(), 'toonlora-dbupgrade-'));

describe('opening an older database', () => {
  it('copies it to toonlora.db.schema-N.bak, migrates, and says so once; the copy opens at schema N', () => {
    const dir = freshDir();
    const path = join(dir, 'toonlora.db');
    oldDatabase(path, 3);
    const seen = openCollecting(path);
    const copy = `${path}.schema-3.bak`;
    expect(seen).toEqual([{ path, from: 3, to: NEWEST, copy }]);
    expect(upgradeLine(seen[0] as DatabaseUpgrade)).toBe(
      `data folder upgraded: database schema 3 -> ${NEWEST}; a copy of the old database is ${copy} ` +
        '(older toonlora can open only that copy)',
    );
    expect(readBack(path)).toEqual({ schema: NEWEST, names: ['Mina'] });
    expect(readBack(copy)).toEqual({ schema: 3, names: ['Mina'] });
    // opened again: current now, no second copy, no line
    expect(openCollecting(path)).toEqual([]);
    expect(readdirSync(dir).filter((name) => name.endsWith('.bak'))).toEqual(['toonlora.db.schema-3.bak']);
  });

  it('a server killed with rows only in its WAL: the copy holds them (not a copy of the main file alone)', () => {
    const built = join(freshDir(), 'toonlora.db');
    oldDatabase(built, 3);
    const live = new Database(built);
    live.pragma('wal_autocheckpoint = 0');
    live.prepare("UPDATE characters SET name = 'Rin'").run();
    const path = join(freshDir(), 'toonlora.db');
    copyFileSync(built, path); // as kill -9 leaves it: the main file and its WAL
    copyFileSync(`${built}-wal`, `${path}-wal`);
    live.close();
    expect(openCollecting(path).map((upgrade) => upgrade.from)).toEqual([3]);
    expect(readBack(`${path}.schema-3.bak`)).toEqual({ schema: 3, names: ['Rin'] });
  });

  it('never overwrites an existing copy: takes the next free name', () => {
    const dir = freshDir();
    const path = join(dir, 'toonlora.db');
    writeFileSync(`${path}.schema-2.bak`, 'an earlier copy the user kept');
    oldDatabase(path, 2);
    const seen = openCollecting(path);
    expect(seen.map((upgrade) => upgrade.copy)).toEqual([`${path}.schema-2-2.bak`]);
    expect(readBack(`${path}.schema-2-2.bak`).schema).toBe(2);
    expect(
      freeCopyPath('/d/t.db', 4, (at) => at === '/d/t.db.schema-4.bak' || at === '/d/t.db.schema-4-2.bak'),
    ).toBe('/d/t.db.schema-4-3.bak');
  });

  it('a new database or a current one: no copy, no line', () => {
    const dir = freshDir();
    const path = join(dir, 'toonlora.db');
    expect(openCollecting(path)).toEqual([]);
    expect(openCollecting(path)).toEqual([]);
    expect(readdirSync(dir).filter((name) => name.includes('.bak'))).toEqual([]);
  });

  it('no room for the copy: refuses with the data folder words and migrates nothing', () => {
    if (process.getuid?.() !== 0) return; // mounting a small tmpfs needs root
    const dir = join(freshDir(), 'small');
    mkdirSync(dir);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=600k', 'tmpfs', dir], { stdio: 'ignore' });
    } catch {
      return; // no mount here
    }
    try {
      const path = join(dir, 'toonlora.db');
      const built = join(freshDir(), 'toonlora.db');
      oldDatabase(built, 3, 350); // ~400 KB (closed: its WAL written back): a second one does not fit
      copyFileSync(built, path);
      let error: unknown;
      try {
        openCollecting(path);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(ToonloraError);
      expect((error as ToonloraError).code).toBe('TL_ERR_OUTPUT_WRITE');
      expect((error as ToonloraError).message).toContain(
        `cannot write to the data folder ${dir}: no space left on the disk (ENOSPC at ${path}.schema-3.bak)`,
      );
      expect(existsSync(`${path}.schema-3.bak`)).toBe(false);
      expect(readBack(path)).toEqual({ schema: 3, names: ['Mina'] });
    } finally {
      execFileSync('umount', [dir]);
    }
  });
});
