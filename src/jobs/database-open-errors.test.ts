// src/jobs/database-open-errors.test.ts — a server database that is damaged (cut to half, its first bytes
// overwritten, its last pages cut off: seen only on a read) or that refuses writes (`chattr +i` on the file or the
// folder as root, chmod otherwise, or a stand-in for the file system's answer) opens with a coded error naming the
// file, what is wrong and what to do, not SQLite's bare "database disk image is malformed" and a stack.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdtempSync,
  openSync,
  readFileSync,
  statSync,
  truncateSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ToonloraError } from '../errors.js';
import { databaseOpenError } from './database-open-errors.js';
import { openDatabase } from './database.js';

/** A closed server database at `<fresh folder>/toonlora.db` with enough rows to span ~100 pages. */
function filledDatabase(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'toonlora-dbopen-'));
  const path = join(dir, 'toonlora.db');
  const db = openDatabase(path);
  db.exec('CREATE TABLE filler (x TEXT)');
  const insert = db.prepare('INSERT INTO filler VALUES (?)');
  for (let i = 0; i < 2000; i++) insert.run(`row ${i} `.padEnd(200, 'x'));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { dir, path };
}

function openError(path: string, exclusive: boolean): unknown {
  try {
    openDatabase(path, { exclusive }).close();
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectDamaged(error: unknown, path: string, reason: string): void {
  expect(error).toBeInstanceOf(ToonloraError);
  const { code, message } = error as ToonloraError;
  expect(code).toBe('TL_ERR_INPUT_INVALID');
  expect(message).toContain(`${path}: the database is damaged (SQLite: ${reason})`);
  expect(message).toContain('Put back a copy of it you saved, or move it aside');
  expect(message).toContain('another --data folder');
}

describe('a damaged database', () => {
  it.each([true, false])('cut to half: names the file and what to do (exclusive %s)', (exclusive) => {
    const { path } = filledDatabase();
    truncateSync(path, statSync(path).size / 2);
    expectDamaged(openError(path, exclusive), path, 'database disk image is malformed');
  });

  it('its first 100 bytes overwritten: not a database', () => {
    const { path } = filledDatabase();
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(100, 0x41), 0, 100, 0);
    closeSync(fd);
    expectDamaged(openError(path, true), path, 'file is not a database');
  });

  it('a page in the middle overwritten: found at the open by reading every page, not by a later query', () => {
    const { path } = filledDatabase();
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0x41), 0, 4096, 50 * 4096);
    closeSync(fd);
    const error = openError(path, true) as ToonloraError;
    expect(error?.code).toBe('TL_ERR_INPUT_INVALID');
    expect(error.message).toContain(`${path}: the database is damaged (SQLite: `);
  });

  it('a whole database still opens', () => {
    const { path } = filledDatabase();
    const before = readFileSync(path);
    expect(openError(path, true)).toBeUndefined();
    expect(readFileSync(path).length).toBe(before.length);
  });
});

/** `chattr +i` (root on a file system that has it) or chmod (anyone else): a path that refuses writes; undoes it. */
function refuseWrites(path: string, folder: boolean): (() => void) | undefined {
  if (process.getuid?.() !== 0) {
    const mode = statSync(path).mode & 0o777;
    chmodSync(path, folder ? 0o555 : 0o444);
    return () => chmodSync(path, mode);
  }
  try {
    execFileSync('chattr', ['+i', path], { stdio: 'ignore' });
  } catch {
    return undefined; // no chattr, or a file system without the flag
  }
  return () => execFileSync('chattr', ['-i', path]);
}

describe('a database or data folder that refuses writes', () => {
  it.each([
    ['the file', false],
    ['the folder', true],
  ])('%s: TL_ERR_OUTPUT_WRITE naming the data folder, the path and the cause', (_, folder) => {
    const { dir, path } = filledDatabase();
    const target = folder ? dir : path;
    const undo = refuseWrites(target, folder);
    if (!undo) return; // root without chattr: the stand-in below covers the wording
    let error: unknown;
    try {
      error = openError(path, true);
    } finally {
      undo();
    }
    expect(error).toBeInstanceOf(ToonloraError);
    const { code, message, details } = error as ToonloraError;
    expect(code).toBe('TL_ERR_OUTPUT_WRITE');
    expect(message).toContain(`cannot write to the data folder ${dir} (`);
    expect(message).toMatch(new RegExp(`(EPERM|EACCES): [a-z ]+ at ${target}\\)`));
    expect(details).toMatchObject({ folder: dir, path: target });
  });

  it('words what the file system said about the first path that refuses (stand-in for chattr +i)', () => {
    const path = '/data/toonlora.db';
    const sqlite = Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' });
    const check = (at: string) => {
      if (at === `${path}-wal`) throw Object.assign(new Error('EPERM'), { code: 'EPERM' });
    };
    const error = databaseOpenError(sqlite, path, check) as ToonloraError;
    expect(error.code).toBe('TL_ERR_OUTPUT_WRITE');
    expect(error.message).toContain(
      'cannot write to the data folder /data (EPERM: operation not permitted at /data/toonlora.db-wal)',
    );
    // nothing refuses: still a coded error naming the file, with SQLite's words
    const unknown = databaseOpenError(sqlite, path, () => undefined) as ToonloraError;
    expect(unknown.code).toBe('TL_ERR_OUTPUT_WRITE');
    expect(unknown.message).toContain('/data/toonlora.db: SQLite cannot open the database (disk I/O error)');
    // an error that is not SQLite's passes unchanged
    const other = new Error('x');
    expect(databaseOpenError(other, path)).toBe(other);
  });
});
