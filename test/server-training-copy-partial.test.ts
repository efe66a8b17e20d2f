// test/server-training-copy-partial.test.ts — a train job's training copy (jobs/<id>/train-data) is written whole
// before it takes its place: a copy cut short (here a copy of an image that fails midway, as a killed server would
// leave it) is never taken for the copy. Before, it was written in place: the half-written train-data stayed, and a
// resume after its dataset version was deleted was let through to train on it; a rewrite that failed had already
// removed the previous copy. The start removes the half-written folder a killed server left, and says so.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type * as fsPromises from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTrainRunner } from '../src/jobs/runners/train-runner.js';
import { countingWorkerSpawn } from './helpers/counting-spawn.js';
import { seedDataset, stderrOfStartAndClose, tempDataDir } from './helpers/server-fixtures.js';
import { stoppedTrainJob, stoppedWithCopy } from './helpers/stopped-train-job.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

/** The image whose copy fails (ENOSPC, as a full disk would), when set. */
const failing: { image?: string } = {};

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof fsPromises>();
  return {
    ...real,
    copyFile: async (...args: Parameters<typeof real.copyFile>) => {
      if (failing.image && String(args[0]).endsWith(failing.image)) {
        throw Object.assign(new Error(`ENOSPC: no space left on device, copyfile '${String(args[0])}'`), {
          code: 'ENOSPC',
        });
      }
      return real.copyFile(...args);
    },
  };
});

afterEach(() => {
  failing.image = undefined;
});

const { makeApp } = appsClosedAfterEach('training-copy-partial');

/** An app whose train runner starts `false` instead of the Python worker. */
async function trainApp(): Promise<FastifyInstance> {
  const { spawn } = countingWorkerSpawn();
  return makeApp({ runners: (deps) => ({ train: createTrainRunner(deps, { spawn }) }) });
}

describe('a training copy cut short', () => {
  it('is not left as train-data: a resume after the version is deleted is refused, not trained on half of it', async () => {
    const app = await trainApp();
    const { characterId, datasetId } = await seedDataset(app);
    const job = stoppedTrainJob(app, characterId, datasetId);
    failing.image = 'b.png'; // a.png and its caption are copied first
    expect((await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` })).statusCode).toBe(200);
    await app.queue.whenIdle();
    expect(app.jobStore.getJob(job.id).status).toBe('failed');
    const jobDir = join(app.dataDir, 'jobs', job.id);
    expect(existsSync(join(jobDir, 'train-data'))).toBe(false);
    expect(existsSync(join(jobDir, '.train-data.partial'))).toBe(false);
    failing.image = undefined;
    expect((await app.inject({ method: 'DELETE', url: `/api/datasets/${datasetId}` })).statusCode).toBe(204);
    const refused = await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` });
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json().error.message).toContain(`no training copy of it is kept on the server`);
  });

  it('leaves the previous copy as it was', async () => {
    const app = await trainApp();
    const { characterId, datasetId } = await seedDataset(app);
    const { job, caption } = stoppedWithCopy(app, characterId, datasetId);
    failing.image = 'b.png';
    expect((await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` })).statusCode).toBe(200);
    await app.queue.whenIdle();
    expect(app.jobStore.getJob(job.id).status).toBe('failed');
    expect(readFileSync(caption, 'utf8')).toBe('mina_tl, girl kept');
    expect(existsSync(join(caption, '..', 'a.png'))).toBe(false);
    expect(existsSync(join(app.dataDir, 'jobs', job.id, '.train-data.partial'))).toBe(false);
  });

  it('a half-written folder a killed server left is removed at the next write, and the copy made whole', async () => {
    const app = await trainApp();
    const { characterId, datasetId } = await seedDataset(app);
    const job = stoppedTrainJob(app, characterId, datasetId);
    const partial = join(app.dataDir, 'jobs', job.id, '.train-data.partial', '10_mina_tl girl');
    mkdirSync(partial, { recursive: true });
    writeFileSync(join(partial, 'stale.txt'), 'from a killed server');
    expect((await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` })).statusCode).toBe(200);
    await app.queue.whenIdle();
    const copy = join(app.dataDir, 'jobs', job.id, 'train-data', '10_mina_tl girl');
    expect(readFileSync(join(copy, 'b.txt'), 'utf8').trim()).toBe('mina_tl, girl b');
    expect(existsSync(join(copy, 'stale.txt'))).toBe(false);
    expect(existsSync(join(app.dataDir, 'jobs', job.id, '.train-data.partial'))).toBe(false);
  });
});

describe('the start', () => {
  it('removes the half-written training copy a killed server left, and says so', async () => {
    const dataDir = tempDataDir('training-copy-start');
    const partial = join(dataDir, 'jobs', 'j1', '.train-data.partial');
    mkdirSync(join(partial, '10_sks girl'), { recursive: true });
    writeFileSync(join(partial, '10_sks girl', 'a.txt'), 'sks, girl');
    const kept = join(dataDir, 'jobs', 'j1', 'train-data', '10_sks girl', 'a.txt');
    mkdirSync(join(kept, '..'), { recursive: true });
    writeFileSync(kept, 'sks, girl');
    const written = await stderrOfStartAndClose(dataDir);
    expect(existsSync(partial)).toBe(false);
    expect(existsSync(kept)).toBe(true);
    expect(written).toContain(
      `toonlora serve: removed the half-written training copies a stopped server left (train jobs write them again): ${partial}\n`,
    );
  });
});
