// src/jobs/database-open-errors.test.ts — a server database that is damaged (cut to half, its first bytes
// overwritten, its last pages cut off: seen only on a read) or that refuses writes (`chattr +i` on the file or the
// folder as root, chmod otherwise, or a stand-in for the file system's answer) opens with a coded error naming the
// file, what is wrong and what to do, not SQLite's bare "database disk image is malformed" and a stack.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
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
import { damageInWords, databaseOpenError } from './database-open-errors.js';
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

/** One line naming the file, the damage in words (`damage`), a backup, moving it aside and another --data. */
function expectDamaged(error: unknown, path: string, damage: string): void {
  expect(error).toBeInstanceOf(ToonloraError);
  const { code, message } = error as ToonloraError;
  expect(code).toBe('TL_ERR_INPUT_INVALID');
  expect(message).toContain(`${path}: the database is damaged (${damage}); serve cannot start on it.`);
  expect(message).toContain('Put back a backup copy of it if you have one, or move it aside');
  expect(message).toContain('another --data folder');
  expect(message).not.toContain('\n');
}

/** `length` bytes that look random, the same on every run (sha256 of `seed` and a counter, chained). */
function seededBytes(length: number, seed: string): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 0; blocks.length * 32 < length; i++)
    blocks.push(createHash('sha256').update(`${seed}:${i}`).digest());
  return Buffer.concat(blocks).subarray(0, length);
}

/** `count` pages from page `first` (1-based, 4096 bytes each) of the file at `path` overwritten with seeded bytes. */
function overwritePages(path: string, first: number, count: number): void {
  const fd = openSync(path, 'r+');
  writeSync(fd, seededBytes(count * 4096, 'pages'), 0, count * 4096, (first - 1) * 4096);
  closeSync(fd);
}

describe('a damaged database', () => {
  it.each([true, false])('cut to half: names the file and what to do (exclusive %s)', (exclusive) => {
    const { path } = filledDatabase();
    truncateSync(path, statSync(path).size / 2);
    expectDamaged(openError(path, exclusive), path, 'SQLite: database disk image is malformed');
  });

  it('its first 100 bytes overwritten: not a database', () => {
    const { path } = filledDatabase();
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(100, 0x41), 0, 100, 0);
    closeSync(fd);
    expectDamaged(openError(path, true), path, 'SQLite: file is not a database');
  });

  it('a page in the middle overwritten: found at the open by reading every page, not by a later query', () => {
    const { path } = filledDatabase();
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0x41), 0, 4096, 50 * 4096);
    closeSync(fd);
    const error = openError(path, true) as ToonloraError;
    expect(error?.code).toBe('TL_ERR_INPUT_INVALID');
    expect(error.message).toContain(`${path}: the database is damaged (`);
  });

  it("pages 5-7 overwritten with random bytes: one line, the page check's tree and page numbers left out", () => {
    const { path } = filledDatabase();
    overwritePages(path, 5, 3);
    const error = openError(path, true) as ToonloraError;
    expectDamaged(error, path, 'SQLite found a damaged page');
    expect(error.message).not.toMatch(/\*\*\*|btree|error code/i);
    // SQLite's own report stays in the details (printed with --json)
    expect(String(error.details?.reason)).toMatch(/page/i);
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

describe('damageInWords', () => {
  it.each([
    [
      '*** in database main ***\nTree 6 page 6: btreeInitPage() returns error code 11',
      'SQLite found a damaged page',
    ],
    ['On tree page 3 cell 2: Rowid 7 out of order', 'SQLite found a damaged page'],
    ['*** in database main ***\nrow 4 missing from index jobs_state', 'SQLite found a damaged index'],
    ['*** in database main ***\nNULL value in jobs.id', "SQLite's check found damage"],
    ['database disk image is malformed', 'SQLite: database disk image is malformed'],
    ['file is not a database', 'SQLite: file is not a database'],
  ])('%j: %s', (reason, words) => {
    expect(damageInWords(reason)).toBe(words);
  });
});

describe('a folder where the database file should be', () => {
  it('toonlora.db is a folder: says so by path, not "unable to open database file"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'toonlora-dbopen-'));
    const path = join(dir, 'toonlora.db');
    mkdirSync(path);
    const error = openError(path, true) as ToonloraError;
    expect(error).toBeInstanceOf(ToonloraError);
    expect(error.code).toBe('TL_ERR_INPUT_INVALID');
    expect(error.message).toBe(
      `${path} is a folder, not a database file. Move that folder aside or rename it (serve then makes a new ` +
        'empty database), or start serve with another --data folder.',
    );
    expect(error.message).not.toContain('unable to open');
  });

  it('a side file that is a folder is named (stand-in for the file system)', () => {
    const path = '/data/toonlora.db';
    const sqlite = Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
    const isFolder = (at: string) => at === `${path}-wal`;
    const error = databaseOpenError(sqlite, path, () => undefined, isFolder) as ToonloraError;
    expect(error.code).toBe('TL_ERR_INPUT_INVALID');
    expect(error.message).toMatch(
      /^\/data\/toonlora\.db-wal is a folder, not the file SQLite keeps beside the database \/data\/toonlora\.db\. /,
    );
  });
});

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
