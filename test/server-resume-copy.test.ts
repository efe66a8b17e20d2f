// test/server-resume-copy.test.ts — resuming a stopped train job whose dataset version was deleted: a job with no
// checkpoint starts over from the training copy the server kept (jobs/<id>/train-data), which stays; it removed
// that copy, the last one of the data, and failed on the deleted version. A start-over whose version is still listed
// makes the copy again from it. A succeeded job's resume is refused for its status, not for the deleted version.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createTrainRunner } from '../src/jobs/runners/train-runner.js';
import { countingWorkerSpawn } from './helpers/counting-spawn.js';
import { seedDataset } from './helpers/server-fixtures.js';
import { stoppedWithCopy } from './helpers/stopped-train-job.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('resume-copy');

/** An app whose train runner counts worker starts (a spawn spec that is read) instead of starting Python. */
async function trainApp(): Promise<{ app: FastifyInstance; spawnReads: string[] }> {
  const { spawn, reads } = countingWorkerSpawn();
  const app = await makeApp({ runners: (deps) => ({ train: createTrainRunner(deps, { spawn }) }) });
  return { app, spawnReads: reads };
}

describe('resuming a train job with no checkpoint', () => {
  it('starts over from the kept training copy once its dataset version was deleted, and keeps the copy', async () => {
    const { app, spawnReads } = await trainApp();
    const { characterId, datasetId } = await seedDataset(app);
    const { job, caption } = stoppedWithCopy(app, characterId, datasetId);
    const deleted = await app.inject({ method: 'DELETE', url: `/api/datasets/${datasetId}` });
    expect(deleted.statusCode, deleted.body).toBe(204);
    const resumed = await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` });
    expect(resumed.statusCode, resumed.body).toBe(200);
    await app.queue.whenIdle();
    expect(readFileSync(caption, 'utf8')).toBe('mina_tl, girl kept');
    // the worker was started (and failed: `false` is no Python worker), not the copy step before it
    expect(spawnReads.length).toBeGreaterThan(0);
    const after = app.jobStore.getJob(job.id);
    expect(after.error?.message ?? '').not.toContain('train-data');
    const logs = app.jobStore.listEvents(job.id).map((event) => event.body);
    expect(logs).toContainEqual({
      type: 'log',
      level: 'info',
      message:
        `dataset version ${datasetId} was deleted; training from the copy this job kept of it ` +
        `(jobs/${job.id}/train-data).`,
    });
  });

  it('makes the training copy again from its dataset version while that version is listed', async () => {
    const { app, spawnReads } = await trainApp();
    const { characterId, datasetId } = await seedDataset(app);
    const { job, caption } = stoppedWithCopy(app, characterId, datasetId);
    const resumed = await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` });
    expect(resumed.statusCode, resumed.body).toBe(200);
    await app.queue.whenIdle();
    expect(existsSync(caption)).toBe(false);
    const copy = join(app.dataDir, 'jobs', job.id, 'train-data');
    const captions = readdirSync(copy, { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.txt'),
    );
    expect(captions.map((f) => readFileSync(join(copy, f), 'utf8').trim()).sort()).toEqual([
      'mina_tl, girl a',
      'mina_tl, girl b',
    ]);
    expect(spawnReads.length).toBeGreaterThan(0);
  });
});

describe('resuming a succeeded train job whose dataset version was deleted', () => {
  it('is refused for its status, not for the deleted version', async () => {
    const app = await makeApp();
    const { characterId, datasetId } = await seedDataset(app);
    const job = app.jobStore.createJob('train', characterId, { datasetId, training: { baseModel: 'tiny' } });
    app.jobStore.transition(job.id, 'running');
    app.jobStore.transition(job.id, 'succeeded', { result: {} });
    expect((await app.inject({ method: 'DELETE', url: `/api/datasets/${datasetId}` })).statusCode).toBe(204);
    const res = await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` });
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().error.message).toBe(
      `train job ${job.id} is succeeded; it cannot be resumed (a succeeded job does not change any more).`,
    );
  });
});
