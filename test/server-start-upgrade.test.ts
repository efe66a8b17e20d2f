// test/server-start-upgrade.test.ts — serve on a data folder an older toonlora wrote (database schema 3): the start
// copies the old database next to it, upgrades it and says so in one line naming the copy; a second start (current
// schema) and a new data folder say nothing of it.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../src/jobs/data-layout.js';
import { MIGRATIONS } from '../src/jobs/migrations.js';
import { stderrOfStartAndClose, tempDataDir } from './helpers/server-fixtures.js';

describe('serve on an older data folder', () => {
  it('copies the schema-3 database, upgrades it and says so once', async () => {
    const dataDir = tempDataDir('start-upgrade');
    const path = join(dataDir, DATABASE_FILE);
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    for (const sql of MIGRATIONS.slice(0, 3)) old.exec(sql);
    old.pragma('user_version = 3');
    old.close();

    const first = (await stderrOfStartAndClose(dataDir)).join('');
    expect(first).toContain(
      `toonlora serve: data folder upgraded: database schema 3 -> ${MIGRATIONS.length}; a copy of the old ` +
        `database is ${path}.schema-3.bak (older toonlora can open only that copy)\n`,
    );
    const again = (await stderrOfStartAndClose(dataDir)).join('');
    expect(again).not.toContain('upgraded');
    expect(readdirSync(dataDir).filter((name) => name.endsWith('.bak'))).toEqual([
      `${DATABASE_FILE}.schema-3.bak`,
    ]);
  }, 60_000);

  it('a new data folder: no copy, no line', async () => {
    const dataDir = tempDataDir('start-new');
    expect((await stderrOfStartAndClose(dataDir)).join('')).not.toContain('upgraded');
    expect(readdirSync(dataDir).filter((name) => name.includes('.bak'))).toEqual([]);
  }, 60_000);
});
