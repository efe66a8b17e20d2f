// test/server-train-excluded.test.ts — a train job accepted on a dataset version whose items are all excluded before
// it starts (the Train page's Start, then the Dataset page's "exclude all" in another tab): it fails before any worker
// starts, in the submit check's words and with what to do on the pages (it failed on the empty training copy with a
// server path, "…/train-data: dataset folder not found. Give the folder toonlora prep wrote."). A --remote-workers
// server fails it the same way, before offering it to a worker (which would have trained on an empty zip), on a
// resume too (it was offered: a worker without its own download of the version fetches the version as it is now).
import { describe, expect, it, vi } from 'vitest';
import { createTrainRunner } from '../src/jobs/runners/train-runner.js';
import { countingWorkerSpawn } from './helpers/counting-spawn.js';
import { offerCount } from './helpers/remote-train-jobs.js';
import { seedDataset } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('train-excluded');

type App = Awaited<ReturnType<typeof makeApp>>;

/** Excludes every item of dataset version `datasetId` (the Dataset page's "exclude all"). */
async function excludeAll(app: App, datasetId: string) {
  const keys = app.catalog.listDatasetItems(datasetId).map((item) => item.key);
  const excluded = await app.inject({
    method: 'PATCH',
    url: `/api/datasets/${datasetId}/items`,
    payload: { keys, excluded: true },
  });
  expect(excluded.statusCode).toBe(200);
}

/** Submits a train job on a seeded version, excludes all its items, runs the queue: the job as it ended. */
async function trainAfterExcludingAll(app: App) {
  const { characterId, datasetId } = await seedDataset(app);
  const submitted = await app.inject({
    method: 'POST',
    url: '/api/jobs',
    payload: { kind: 'train', characterId, params: { datasetId, training: { baseModel: 'tiny' } } },
  });
  expect(submitted.statusCode).toBe(201);
  await excludeAll(app, datasetId);
  app.queue.start();
  await app.queue.whenIdle();
  return { job: app.queue.getJob(submitted.json().id), datasetId };
}

function noIncludedImages(datasetId: string) {
  return {
    code: 'TL_ERR_USAGE',
    message:
      `dataset version ${datasetId} has no included images (all were excluded after this job was queued); ` +
      're-include some on the Dataset page and start the training again.',
  };
}

describe('a train job whose dataset items were all excluded while it was queued', () => {
  it('fails before the worker starts, naming the version and what to do', async () => {
    const { spawn, reads: spawnReads } = countingWorkerSpawn();
    const app = await makeApp({
      deferJobs: true,
      runners: (deps) => ({ train: createTrainRunner(deps, { spawn }) }),
    });
    const { job, datasetId } = await trainAfterExcludingAll(app);
    expect(job.status).toBe('failed');
    expect(job.error).toEqual(noIncludedImages(datasetId));
    expect(spawnReads).toEqual([]);
  });

  it('fails on a --remote-workers server before it is offered to a worker (it waited for one)', async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 60_000, jobs: 1 }, deferJobs: true });
    const { job, datasetId } = await trainAfterExcludingAll(app);
    expect(job.status).toBe('failed');
    expect(job.error).toEqual(noIncludedImages(datasetId));
  });

  it('fails a --remote-workers resume the same way: the worker that claims it may download the version anew', async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 60_000, jobs: 1 } });
    const { characterId, datasetId } = await seedDataset(app);
    const job = app.jobStore.createJob('train', characterId, { datasetId, training: { baseModel: 'tiny' } });
    app.jobStore.transition(job.id, 'running');
    app.jobStore.setCheckpoint(job.id, 'gpu-a:checkpoints/step-000010');
    app.jobStore.transition(job.id, 'cancelled');
    await excludeAll(app, datasetId);
    const resumed = await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` });
    expect(resumed.statusCode, resumed.body).toBe(200);
    // offered (before) or failed (now): whichever comes first
    await vi.waitFor(() =>
      expect(offerCount(app, job.id) > 0 || app.queue.getJob(job.id).status === 'failed').toBe(true),
    );
    expect(app.queue.getJob(job.id).error).toEqual(noIncludedImages(datasetId));
  });
});
