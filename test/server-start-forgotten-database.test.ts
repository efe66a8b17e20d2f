// test/server-start-forgotten-database.test.ts — a data folder whose toonlora.db is missing, emptied (`: > toonlora.db`)
// or an older copy put back: the next start removes none of the screenshots under characters/*/uploads/ (before, it
// removed every one no row pointed to, as if a killed upload had left them) and says in one line how many character
// and job folders the database does not list, that nothing was removed, and how to get them back.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CatalogStore } from '../src/jobs/catalog-store.js';
import { DATABASE_FILE } from '../src/jobs/data-layout.js';
import { openDatabase } from '../src/jobs/database.js';
import { JobStore } from '../src/jobs/job-store.js';
import { stderrOfStartAndClose, tempDataDir } from './helpers/server-fixtures.js';

/** Writes a file an hour old (making its folder). */
function put(path: string, bytes = 100): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, Buffer.alloc(bytes, 7));
  const at = new Date(Date.now() - 3_600_000);
  utimesSync(path, at, at);
  return path;
}

/** A character with `count` recorded uploads, and a job with a LoRA in its folder: every file written. */
function addCharacter(catalog: CatalogStore, jobs: JobStore, name: string, count: number): string[] {
  const { id } = catalog.createCharacter({ name, trigger: `${name.toLowerCase()}_tl`, classWord: 'girl' });
  const files: string[] = [];
  for (let i = 0; i < count; i++) files.push(addUpload(catalog, id, `${name}-${i}`));
  const job = jobs.createJob('train', id, {});
  files.push(put(join(catalog.dataDir, 'jobs', job.id, 'lora', 'lora.safetensors')));
  return files;
}

function addUpload(catalog: CatalogStore, characterId: string, imageId: string): string {
  const storedPath = `characters/${characterId}/uploads/${imageId}.png`;
  put(join(catalog.dataDir, storedPath));
  catalog.addImages(characterId, [
    {
      id: imageId,
      originalName: `${imageId}.png`,
      storedPath,
      format: 'png',
      width: 1,
      height: 1,
      bytes: 100,
      sha256: imageId.padEnd(64, '0'),
    },
  ]);
  return join(catalog.dataDir, storedPath);
}

function removeDatabase(dataDir: string): void {
  for (const suffix of ['', '-wal', '-shm'])
    rmSync(join(dataDir, `${DATABASE_FILE}${suffix}`), { force: true });
}

function unlistedLine(dataDir: string, what: string): string {
  return (
    `toonlora serve: the data folder holds ${what} that ${join(dataDir, DATABASE_FILE)} does not list (a new, ` +
    'emptied or older database): nothing was removed, and the app does not show them. To get them back, stop ' +
    `serve and put back the copy of ${DATABASE_FILE} that lists them.\n`
  );
}

describe('a start on a database that does not list what the data folder holds', () => {
  it.each(['missing', 'emptied'])('%s: keeps every upload and says what it does not list', async (how) => {
    const dataDir = tempDataDir(`forgotten-db-${how}`);
    const db = openDatabase(join(dataDir, DATABASE_FILE));
    const catalog = new CatalogStore(db, dataDir);
    const jobs = new JobStore(db);
    const files = [...addCharacter(catalog, jobs, 'Mina', 3), ...addCharacter(catalog, jobs, 'Rin', 2)];
    db.close();
    if (how === 'missing') removeDatabase(dataDir);
    else truncateSync(join(dataDir, DATABASE_FILE), 0);

    const written = await stderrOfStartAndClose(dataDir);
    for (const path of files) expect(existsSync(path)).toBe(true);
    expect(written).toEqual([
      unlistedLine(
        dataDir,
        `2 character folders (${join(dataDir, 'characters')}) and 2 job folders (${join(dataDir, 'jobs')})`,
      ),
    ]);
  });

  it('an older copy put back: keeps the uploads made since, to a character it lists or not', async () => {
    const dataDir = tempDataDir('forgotten-db-older');
    const path = join(dataDir, DATABASE_FILE);
    let db = openDatabase(path);
    let catalog = new CatalogStore(db, dataDir);
    const files = addCharacter(catalog, new JobStore(db), 'Mina', 2);
    const mina = catalog.listCharacters()[0]?.id as string;
    db.close();
    copyFileSync(path, join(dataDir, 'backup.db'));
    db = openDatabase(path);
    catalog = new CatalogStore(db, dataDir);
    files.push(addUpload(catalog, mina, 'later'));
    files.push(...addCharacter(catalog, new JobStore(db), 'Rin', 1));
    db.close();
    removeDatabase(dataDir);
    copyFileSync(join(dataDir, 'backup.db'), path);

    const written = await stderrOfStartAndClose(dataDir);
    for (const file of files) expect(existsSync(file)).toBe(true);
    expect(written).toEqual([
      unlistedLine(
        dataDir,
        `1 character folder (${join(dataDir, 'characters')}) and 1 job folder (${join(dataDir, 'jobs')})`,
      ),
    ]);
  });
});
