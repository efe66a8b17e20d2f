// test/server-prep-partial-dataset.test.ts — a prep job that keeps no dataset (cancelled, failed) removes its
// partial dataset folder (jobs/<id>/dataset) as it ends, and a start removes the one an earlier server left for
// such a job (saying what it freed), while a dataset version's folder stays. The prep pipeline (ONNX models) is
// a stand-in that writes a crop and a manifest into its folder and, once stopped, returns as runPrep does.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CatalogStore } from '../src/jobs/catalog-store.js';
import { DATABASE_FILE } from '../src/jobs/data-layout.js';
import { openDatabase } from '../src/jobs/database.js';
import { JobStore } from '../src/jobs/job-store.js';
import type { PrepOptions, PrepResult } from '../src/prep/pipeline.js';
import type { Manifest } from '../src/schemas/manifest.js';
import { stopServer } from '../src/server/server.js';
import { startStandInPrep } from './helpers/prep-stand.js';
import { stderrOfStartAndClose, tempDataDir } from './helpers/server-fixtures.js';

const stand = vi.hoisted(() => ({ started: () => {}, running: Promise.resolve() }));

vi.mock('../src/prep/pipeline.js', async (importOriginal) => {
  const { stoppedRunResult } = await import('./helpers/prep-run-result.js');
  return {
    ...(await importOriginal<object>()),
    /** Writes part of a dataset, then works until stopped and returns a cancelled run's result. */
    runPrep: (options: PrepOptions): Promise<PrepResult> =>
      new Promise((resolve) => {
        mkdirSync(join(options.outDir, '10_mina_tl girl'), { recursive: true });
        writeFileSync(join(options.outDir, '10_mina_tl girl', '0.png'), Buffer.alloc(2000, 1));
        writeFileSync(join(options.outDir, 'manifest.json'), '{"cancelled": true}');
        stand.started();
        options.signal?.addEventListener('abort', () => {
          const manifest = {
            cancelled: true,
            files: [],
            stages: {},
            summary: { files: 0, ok: 0, skipped: 0, error: 0, crops: 0, warnings: 0 },
          } as unknown as Manifest;
          resolve(stoppedRunResult(options, manifest, 1));
        });
      }),
  };
});

describe('a prep job that keeps no dataset', () => {
  it('removes its partial dataset folder when the user cancels it', async () => {
    const { app, jobId } = await startStandInPrep(stand, 'prep-partial');
    try {
      const datasetDir = join(app.dataDir, 'jobs', jobId, 'dataset');
      expect(existsSync(join(datasetDir, 'manifest.json'))).toBe(true);
      app.queue.cancel(jobId);
      await app.queue.whenIdle();
      expect(app.jobStore.getJob(jobId).status).toBe('cancelled');
      expect(existsSync(datasetDir)).toBe(false);
      expect(existsSync(join(app.dataDir, 'jobs', jobId, 'inputs'))).toBe(false);
    } finally {
      await stopServer(app);
    }
  });
});

describe('a start on a data folder with a partial dataset an earlier server kept', () => {
  it('removes the dataset folder of a cancelled or failed prep job, not a dataset version, and says so', async () => {
    const dataDir = tempDataDir('prep-partial-start');
    const db = openDatabase(join(dataDir, DATABASE_FILE));
    const jobs = new JobStore(db);
    const catalog = new CatalogStore(db, dataDir);
    const character = catalog.createCharacter({ name: 'a', trigger: 'sks', classWord: 'girl' });
    const ended = (status: 'cancelled' | 'failed' | 'succeeded') => {
      const job = jobs.createJob('prep', character.id, {});
      jobs.transition(job.id, 'running');
      jobs.transition(job.id, status);
      const dir = join(dataDir, 'jobs', job.id, 'dataset');
      mkdirSync(join(dir, '10_sks girl'), { recursive: true });
      writeFileSync(join(dir, '10_sks girl', 'a.png'), Buffer.alloc(3000, 1));
      writeFileSync(join(dir, 'manifest.json'), Buffer.alloc(100, 32));
      return { id: job.id, dir };
    };
    const cancelled = ended('cancelled');
    const failed = ended('failed');
    const kept = ended('succeeded');
    catalog.createDataset({
      characterId: character.id,
      jobId: kept.id,
      dir: `jobs/${kept.id}/dataset`,
      items: [],
      skipped: [],
    });
    db.close();

    const written = await stderrOfStartAndClose(dataDir);
    expect(existsSync(cancelled.dir)).toBe(false);
    expect(existsSync(failed.dir)).toBe(false);
    expect(existsSync(join(kept.dir, 'manifest.json'))).toBe(true);
    const line = (id: string, status: string) =>
      `toonlora serve: prep job ${id} ended ${status}; removed what it left (it made no dataset) ` +
      `jobs/${id}/dataset (2 files, 3.1 kB freed)\n`;
    expect(written.sort()).toEqual([line(cancelled.id, 'cancelled'), line(failed.id, 'failed')].sort());
  });
});
