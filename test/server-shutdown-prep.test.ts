// test/server-shutdown-prep.test.ts — serve's Ctrl-C reaching a running prep job: when the run had processed
// every screenshot by then, its dataset is complete and the job is recorded succeeded with its dataset version;
// a run stopped with screenshots left, or cancelled by the user, keeps no dataset (interrupted / cancelled).
// The prep pipeline (ONNX models) is a stand-in that, once stopped, returns as runPrep does.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { DATABASE_FILE } from '../src/jobs/data-layout.js';
import { openDatabase } from '../src/jobs/database.js';
import type { PrepOptions, PrepResult } from '../src/prep/pipeline.js';
import type { Manifest } from '../src/schemas/manifest.js';
import { stopServer } from '../src/server/server.js';
import { startStandInPrep } from './helpers/prep-stand.js';

/** How many of the run's files the stand-in leaves unprocessed when it is stopped (set by each test). */
const stand = vi.hoisted(() => ({ notProcessed: 0, started: () => {}, running: Promise.resolve() }));

vi.mock('../src/prep/pipeline.js', async (importOriginal) => {
  const { stoppedRunResult } = await import('./helpers/prep-run-result.js');
  return {
    ...(await importOriginal<object>()),
    /** Works until stopped, then returns a cancelled run's result (one crop per processed input), as runPrep does. */
    runPrep: (options: PrepOptions): Promise<PrepResult> =>
      new Promise((resolve) => {
        stand.started();
        options.signal?.addEventListener('abort', () => {
          const done = options.inputs.slice(0, options.inputs.length - stand.notProcessed);
          const files = done.map((source, index) => ({
            source,
            status: 'ok',
            reason: null,
            reasonCode: null,
            crops: [{ image: `10_mina_tl girl/${index}.png`, caption: 'mina_tl, girl', warnings: [] }],
            rejected: [],
            stages: {},
          }));
          const manifest = {
            cancelled: true,
            files,
            stages: {},
            summary: {
              files: done.length,
              ok: done.length,
              skipped: 0,
              error: 0,
              crops: done.length,
              warnings: 0,
            },
          } as unknown as Manifest;
          resolve(stoppedRunResult(options, manifest, stand.notProcessed));
        });
      }),
  };
});

/** The dataset versions a closed server's database holds. */
function datasetsOnDisk(dataDir: string): unknown[] {
  const db = openDatabase(join(dataDir, DATABASE_FILE));
  try {
    return db.prepare('SELECT id, job_id FROM datasets').all();
  } finally {
    db.close();
  }
}

/** A server with the real prep runner and a character with two uploaded screenshots; its prep job started. */
function startPrep(notProcessed: number): Promise<{ app: FastifyInstance; jobId: string }> {
  stand.notProcessed = notProcessed;
  return startStandInPrep(stand, 'shutdown-prep');
}

describe('a prep job when serve stops', () => {
  it('is recorded succeeded with its dataset when every screenshot had been processed', async () => {
    const { app, jobId } = await startPrep(0);
    const [stopped] = await stopServer(app);
    expect(stopped?.job).toMatchObject({ id: jobId, status: 'succeeded', error: null });
    expect(stopped?.job.result).toMatchObject({ summary: { files: 2, crops: 2 } });
    expect(datasetsOnDisk(app.dataDir)).toEqual([{ id: stopped?.job.result?.datasetId, job_id: jobId }]);
  });

  it('is recorded interrupted, with no dataset, when a screenshot was left unprocessed', async () => {
    const { app, jobId } = await startPrep(1);
    const [stopped] = await stopServer(app);
    expect(stopped?.job).toMatchObject({ id: jobId, status: 'interrupted', result: null });
    expect(stopped?.job.error).toMatchObject({ code: 'TL_ERR_INTERRUPTED' });
    expect(datasetsOnDisk(app.dataDir)).toEqual([]);
  });
});

describe('a prep job the user cancels', () => {
  it('is cancelled with no dataset, even when every screenshot had been processed', async () => {
    const { app, jobId } = await startPrep(0);
    const { characterId } = app.jobStore.getJob(jobId);
    app.queue.cancel(jobId);
    await app.queue.whenIdle();
    expect(app.jobStore.getJob(jobId)).toMatchObject({ status: 'cancelled', result: null });
    expect(app.catalog.listDatasets(characterId)).toEqual([]);
    await stopServer(app);
  });
});
