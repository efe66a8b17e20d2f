// test/server-start-upgrade-deleted.test.ts — serve on a data folder an older toonlora (database schema 6, before the
// deletes were recorded) left `.deleted-…` folders in: the upgrade records those of ids the database does not list
// as deleted (that toonlora's own rule), so the first start removes them and says so; one whose id is listed (a
// delete that never committed) is put back, as before. Before, every start left them and blamed "toonlora.db was
// replaced after that delete".
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../src/jobs/data-layout.js';
import { DELETED_FOLDERS_SCHEMA } from '../src/jobs/deleted-folders.js';
import { oldDatabase } from './helpers/old-database.js';
import { stderrOfStartAndClose, tempDataDir } from './helpers/server-fixtures.js';

/** A marked folder `rel` under `dataDir` holding one file; its absolute path. */
function markedFolder(dataDir: string, rel: string): string {
  const path = join(dataDir, rel);
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'a.png'), 'png');
  return path;
}

describe('serve on a schema-6 data folder with .deleted-… folders that toonlora left', () => {
  it('removes those of ids the database does not list, puts back a listed one, blames no replaced database', async () => {
    expect(DELETED_FOLDERS_SCHEMA).toBe(7);
    const dataDir = tempDataDir('start-upgrade-deleted');
    oldDatabase(join(dataDir, DATABASE_FILE), 6);
    const character = markedFolder(dataDir, 'characters/.deleted-c9-1765000000000');
    const job = markedFolder(dataDir, 'jobs/.deleted-j9-1765000000000');
    const listed = markedFolder(dataDir, 'characters/.deleted-c1-1765000000000');

    const first = (await stderrOfStartAndClose(dataDir)).join('');
    expect(existsSync(character)).toBe(false);
    expect(existsSync(job)).toBe(false);
    expect(existsSync(join(dataDir, 'characters/c1/a.png'))).toBe(true);
    expect(existsSync(listed)).toBe(false);
    expect(first).toContain(
      `removed what deleted characters and jobs left (a removal that failed or was cut short): `,
    );
    expect(first).toContain(character);
    expect(first).toContain(job);
    expect(first).not.toContain('toonlora.db was replaced');
    const again = (await stderrOfStartAndClose(dataDir)).join('');
    expect(again).not.toContain('.deleted-');
  }, 60_000);

  it('a schema-7 database still leaves an unrecorded folder (one put in place after the delete)', async () => {
    const dataDir = tempDataDir('start-upgrade-deleted-7');
    oldDatabase(join(dataDir, DATABASE_FILE), DELETED_FOLDERS_SCHEMA);
    const character = markedFolder(dataDir, 'characters/.deleted-c9-1765000000000');
    const first = (await stderrOfStartAndClose(dataDir)).join('');
    expect(existsSync(character)).toBe(true);
    expect(first).toContain('toonlora.db was replaced after that delete?');
  }, 60_000);
});
