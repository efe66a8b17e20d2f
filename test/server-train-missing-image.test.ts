// test/server-train-missing-image.test.ts — a train job on a dataset whose stored images were deleted by hand
// fails before any worker starts, naming every missing item and the fix (it failed with a bare ENOENT copyfile,
// shown as "train job failed with an internal error").
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createTrainRunner } from '../src/jobs/runners/train-runner.js';
import type { WorkerSpawn } from '../src/worker/python-worker.js';
import { seedDataset, solidPng } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('train-missing');

/** An app whose train runner counts worker starts (a spawn spec that is read) instead of starting Python. */
async function trainApp(): Promise<{ app: FastifyInstance; spawnReads: string[] }> {
  const spawnReads: string[] = [];
  const spawn = new Proxy({ command: 'false', args: [], cwd: '/' } as WorkerSpawn, {
    get(target, key) {
      spawnReads.push(String(key));
      return Reflect.get(target, key);
    },
  });
  const app = await makeApp({ runners: (deps) => ({ train: createTrainRunner(deps, { spawn }) }) });
  return { app, spawnReads };
}

/** Adds items `keys` (images written) to a fresh dataset version of character `name`; its id. */
async function datasetOf(app: FastifyInstance, keys: readonly string[]) {
  const { characterId, datasetId: first } = await seedDataset(app);
  const { jobId } = app.catalog.getDataset(first);
  const dir = `jobs/${jobId}`;
  const folder = `${dir}/10_mina_tl girl`;
  mkdirSync(join(app.dataDir, folder), { recursive: true });
  const items = [];
  for (const key of keys) {
    writeFileSync(join(app.dataDir, folder, `${key}.png`), await solidPng(16, 16));
    const imagePath = `${folder}/${key}.png`;
    items.push({
      key,
      source: `${key}.png`,
      imagePath,
      caption: `mina_tl, girl ${key}`,
      stages: { original: imagePath, textRemoved: null, mask: null, crop: null },
    });
  }
  const dataset = app.catalog.createDataset({
    characterId,
    jobId,
    dir,
    items,
    skipped: [],
  });
  return { characterId, datasetId: dataset.id };
}

async function trainJob(app: FastifyInstance, characterId: string, datasetId: string) {
  const res = await app.inject({
    method: 'POST',
    url: '/api/jobs',
    payload: { kind: 'train', characterId, params: { datasetId, training: { baseModel: 'tiny' } } },
  });
  expect(res.statusCode).toBe(201);
  await app.queue.whenIdle();
  return (await app.inject({ method: 'GET', url: `/api/jobs/${res.json().id}` })).json();
}

function removeImage(app: FastifyInstance, datasetId: string, key: string): void {
  const item = app.catalog.getDatasetItem(datasetId, key);
  rmSync(join(app.dataDir, item.imagePath));
}

describe('a train job whose dataset image was deleted from the data folder', () => {
  it('fails before the worker starts, naming the item and the fix', async () => {
    const { app, spawnReads } = await trainApp();
    const { characterId, datasetId } = await seedDataset(app);
    removeImage(app, datasetId, 'a');
    const job = await trainJob(app, characterId, datasetId);
    expect(job.status).toBe('failed');
    expect(job.error).toEqual({
      code: 'TL_ERR_NOT_FOUND',
      message:
        // before: "the image of dataset <uuid> item a … from the screenshots (prep)"
        "the dataset image a.png is missing from the server's data folder. " +
        'Exclude it on the Dataset page, or build the dataset again on the Screenshots page, then start the training again.',
    });
    expect(spawnReads).toEqual([]);
    // nothing was copied: the check comes before the first file
    expect(existsSync(join(app.dataDir, 'jobs', job.id, 'train-data'))).toBe(false);
  });

  it('names every missing item (the first 5, then a count), not only the first', async () => {
    const { app, spawnReads } = await trainApp();
    const keys = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8'];
    const { characterId, datasetId } = await datasetOf(app, keys);
    for (const key of keys.slice(1)) removeImage(app, datasetId, key);
    const job = await trainJob(app, characterId, datasetId);
    expect(job.error.message).toBe(
      "the dataset images k2.png, k3.png, k4.png, k5.png, k6.png and 2 more are missing from the server's data folder. " +
        'Exclude them on the Dataset page, or build the dataset again on the Screenshots page, then start the training again.',
    );
    expect(spawnReads).toEqual([]);
  });

  it('an excluded item whose image is gone does not stop the run', async () => {
    const { app, spawnReads } = await trainApp();
    const { characterId, datasetId } = await seedDataset(app);
    removeImage(app, datasetId, 'b');
    const patch = await app.inject({
      method: 'PATCH',
      url: `/api/datasets/${datasetId}/items/b`,
      payload: { excluded: true },
    });
    expect(patch.statusCode).toBe(200);
    const job = await trainJob(app, characterId, datasetId);
    // past the export: the stand-in worker (`false`) was started and failed
    expect(spawnReads).toContain('command');
    expect(job.error.message).not.toContain('missing from the server');
    expect(existsSync(join(app.dataDir, 'jobs', job.id, 'train-data', '10_mina_tl girl', 'a.png'))).toBe(
      true,
    );
  });
});
