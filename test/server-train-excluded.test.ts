// test/server-train-excluded.test.ts — a train job accepted on a dataset version whose items are all excluded before
// it starts (the Train page's Start, then the Dataset page's "exclude all" in another tab): it fails before any worker
// starts, in the submit check's words and with what to do on the pages (it failed on the empty training copy with a
// server path, "…/train-data: dataset folder not found. Give the folder toonlora prep wrote."). A --remote-workers
// server fails it the same way, before offering it to a worker (which would have trained on an empty zip).
import { describe, expect, it } from 'vitest';
import { createTrainRunner } from '../src/jobs/runners/train-runner.js';
import { countingWorkerSpawn } from './helpers/counting-spawn.js';
import { seedDataset } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('train-excluded');

type App = Awaited<ReturnType<typeof makeApp>>;

/** Submits a train job on a seeded version, excludes all its items, runs the queue: the job as it ended. */
async function trainAfterExcludingAll(app: App) {
  const { characterId, datasetId } = await seedDataset(app);
  const submitted = await app.inject({
    method: 'POST',
    url: '/api/jobs',
    payload: { kind: 'train', characterId, params: { datasetId, training: { baseModel: 'tiny' } } },
  });
  expect(submitted.statusCode).toBe(201);
  const keys = app.catalog.listDatasetItems(datasetId).map((item) => item.key);
  const excluded = await app.inject({
    method: 'PATCH',
    url: `/api/datasets/${datasetId}/items`,
    payload: { keys, excluded: true },
  });
  expect(excluded.statusCode).toBe(200);
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
});
