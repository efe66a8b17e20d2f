// test/server-start-leftovers.test.ts — a server killed mid-prep (kill -9) leaves that job's copied inputs and
// prep's staging folder in the job folder; the next start marks the job interrupted and removes them, saying
// what it freed (its partial dataset too: it made no dataset version), and nothing else: not the uploads, not a
// train job's data, nor what a symbolic link points at.
import { existsSync, linkSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CatalogStore } from '../src/jobs/catalog-store.js';
import { DATABASE_FILE } from '../src/jobs/data-layout.js';
import { openDatabase } from '../src/jobs/database.js';
import { JobStore } from '../src/jobs/job-store.js';
import { STAGING_DIR } from '../src/prep/output-swap.js';
import { buildApp } from '../src/server/app.js';
import { tempDataDir } from './helpers/server-fixtures.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** Writes `bytes` bytes at `path`, making its folder. */
function put(path: string, bytes: number): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, Buffer.alloc(bytes, 7));
  return path;
}

/** A data folder as a killed server leaves it: a prep job and a train job `running`, with their files. */
function killedMidPrep() {
  const dataDir = tempDataDir('start-leftovers');
  const db = openDatabase(join(dataDir, DATABASE_FILE));
  const jobs = new JobStore(db);
  const character = new CatalogStore(db, dataDir).createCharacter({
    name: 'a',
    trigger: 'sks',
    classWord: 'girl',
  });
  const prep = jobs.createJob('prep', character.id, {});
  jobs.transition(prep.id, 'running');
  const train = jobs.createJob('train', character.id, {});
  jobs.transition(train.id, 'running');
  const upload = put(join(dataDir, 'characters', character.id, 'uploads', 'u1.png'), 500);
  new CatalogStore(db, dataDir).addImages(character.id, [
    {
      id: 'u1',
      originalName: 'a.png',
      storedPath: `characters/${character.id}/uploads/u1.png`,
      format: 'png',
      width: 1,
      height: 1,
      bytes: 500,
      sha256: 'a'.repeat(64),
    },
  ]);
  db.close();
  const prepDir = join(dataDir, 'jobs', prep.id);
  linkSync(upload, join(put(join(prepDir, 'inputs', '002-b.png'), 1200), '..', '001-a.png')); // hard link: frees nothing
  put(join(prepDir, 'dataset', STAGING_DIR, '10_sks girl', 'a.png'), 300);
  const datasetFile = put(join(prepDir, 'dataset', 'manifest.json'), 10);
  const trainData = put(join(dataDir, 'jobs', train.id, 'train-data', '10_sks girl', 'a.png'), 300);
  return { dataDir, prepId: prep.id, trainId: train.id, prepDir, upload, datasetFile, trainData };
}

async function startOn(dataDir: string) {
  const written: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  const app = await buildApp({ dataDir, webDir: '/nonexistent', runners: {} });
  await app.ready(); // starts the queue
  return { app, written };
}

describe('a start after a server was killed mid-prep', () => {
  it("removes the prep job's copied inputs and staging folder, says what it freed, and keeps the rest", async () => {
    const data = killedMidPrep();
    const { app, written } = await startOn(data.dataDir);
    try {
      expect(app.queue.getJob(data.prepId).status).toBe('interrupted');
      expect(existsSync(join(data.prepDir, 'inputs'))).toBe(false);
      expect(existsSync(join(data.prepDir, 'dataset', STAGING_DIR))).toBe(false);
      // it made no dataset version: its partial dataset folder goes too
      expect(existsSync(data.datasetFile)).toBe(false);
      for (const kept of [data.upload, data.trainData]) expect(existsSync(kept)).toBe(true);
      expect(written).toEqual([
        `toonlora serve: prep job ${data.prepId} was left running by a server that stopped; removed what it left ` +
          `(it made no dataset) jobs/${data.prepId}/inputs and jobs/${data.prepId}/dataset (4 files, 1.5 kB freed)\n`,
      ]);
    } finally {
      await app.close();
    }
  });

  it('leaves what a symbolic link in the job folder points at', async () => {
    const data = killedMidPrep();
    const outside = tempDataDir('start-leftovers-outside');
    const mine = put(join(outside, 'inputs', 'mine.png'), 50);
    const staged = put(join(outside, 'dataset', STAGING_DIR, 'mine.png'), 50);
    // the job folder is a link to a folder of the user's, and so is the inputs folder of another prep job
    rmSync(data.prepDir, { recursive: true });
    symlinkSync(outside, data.prepDir);
    const other = killedMidPrep();
    rmSync(join(other.prepDir, 'inputs'), { recursive: true });
    symlinkSync(join(outside, 'inputs'), join(other.prepDir, 'inputs'));
    for (const dataDir of [data.dataDir, other.dataDir]) {
      const { app } = await startOn(dataDir);
      await app.close();
    }
    expect(existsSync(mine)).toBe(true);
    expect(existsSync(staged)).toBe(true);
    expect(existsSync(join(other.prepDir, 'dataset', STAGING_DIR))).toBe(false); // its own staging: removed
  });
});
