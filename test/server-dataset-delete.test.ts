// test/server-dataset-delete.test.ts — DELETE /api/datasets/:id: the version's rows and folder go, the prep job
// that made it (and the rest of its folder), the uploads and the other versions stay; refused (409, in words) while
// a queued or running train job trains on it; 404 for an unknown id; a LoRA trained on it is still listed,
// downloadable and inspectable, and the Train page's reads of the job that made it still answer.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jobLoraState } from '../web/src/components/job-lora.js';
import { loraTrainedOn, preppedVersion } from './helpers/dataset-version.js';
import { appsClosedAfterEach, createCharacter } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('dataset-delete');

describe('DELETE /api/datasets/:id', () => {
  it("removes the version and its folder; its prep job, the prep's other files and the other version stay", async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app);
    const older = await preppedVersion(app, characterId);
    const { prep, dataset, folder, staged } = await preppedVersion(app, characterId);
    const res = await app.inject({ method: 'DELETE', url: `/api/datasets/${dataset.id}` });
    expect(res.statusCode, res.body).toBe(204);
    expect(existsSync(folder)).toBe(false);
    expect(existsSync(staged)).toBe(true);
    expect(existsSync(older.folder)).toBe(true);
    const list = await app.inject({ method: 'GET', url: `/api/characters/${characterId}/datasets` });
    expect(list.json().datasets.map((d: { id: string }) => d.id)).toEqual([older.dataset.id]);
    expect(app.catalog.getCharacter(characterId).datasetCount).toBe(1);
    expect((await app.inject({ method: 'GET', url: `/api/jobs/${prep.id}` })).statusCode).toBe(200);
    const again = await app.inject({ method: 'DELETE', url: `/api/datasets/${dataset.id}` });
    expect(again.statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/api/datasets/${dataset.id}` })).statusCode).toBe(404);
  });

  it('answers 404 naming the id for an unknown version', async () => {
    const app = await makeApp();
    const res = await app.inject({ method: 'DELETE', url: '/api/datasets/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toBe(
      'dataset nope not found. List them with GET /api/characters/<characterId>/datasets.',
    );
  });

  it('is refused in words while a queued train job trains on it, and keeps everything; once cancelled it goes', async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app);
    const { dataset, folder } = await preppedVersion(app, characterId);
    const train = app.jobStore.createJob('train', characterId, { datasetId: dataset.id });
    const res = await app.inject({ method: 'DELETE', url: `/api/datasets/${dataset.id}` });
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().error.message).toBe(
      `dataset version ${dataset.id} is used by a job that is not done: train job ${train.id} (queued); nothing ` +
        'was deleted. Cancel it (the Cancel button on the Train page, or ' +
        `POST /api/jobs/${train.id}/cancel) or let it finish, then delete the version.`,
    );
    expect(existsSync(folder)).toBe(true);
    expect(app.catalog.getDataset(dataset.id).itemCount).toBe(1);
    app.jobStore.transition(train.id, 'cancelled');
    const after = await app.inject({ method: 'DELETE', url: `/api/datasets/${dataset.id}` });
    expect(after.statusCode, after.body).toBe(204);
  });

  it('leaves a LoRA trained on it listed, downloadable and inspectable, and its train job readable', async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app);
    const { dataset } = await preppedVersion(app, characterId);
    const { train, lora } = await loraTrainedOn(app, characterId, dataset.id);
    const res = await app.inject({ method: 'DELETE', url: `/api/datasets/${dataset.id}` });
    expect(res.statusCode, res.body).toBe(204);
    // the LoRA page's list
    const loras = await app.inject({
      method: 'GET',
      url: `/api/artifacts?characterId=${characterId}&kind=lora`,
    });
    expect(loras.statusCode, loras.body).toBe(200);
    expect(loras.json().artifacts.map((a: { id: string }) => a.id)).toEqual([lora.id]);
    const download = await app.inject({ method: 'GET', url: `/api/loras/${lora.id}/download` });
    expect(download.statusCode, download.body).toBe(200);
    const inspect = await app.inject({ method: 'GET', url: `/api/loras/${lora.id}/inspect` });
    expect(inspect.statusCode, inspect.body).toBe(200);
    expect(inspect.json().inspect).toMatchObject({ format: 'kohya', ranks: [4] });
    // the Train page's job view: the job, its log, and its LoRA (present, not "deleted")
    const job = await app.inject({ method: 'GET', url: `/api/jobs/${train.id}` });
    expect(job.statusCode, job.body).toBe(200);
    expect(job.json().params.datasetId).toBe(dataset.id);
    expect((await app.inject({ method: 'GET', url: `/api/jobs/${train.id}/events` })).statusCode).toBe(200);
    const url = `/api/artifacts?${new URLSearchParams({ characterId, kind: 'lora', jobId: train.id })}`;
    const made = await app.inject({ method: 'GET', url });
    expect(jobLoraState(made.json().artifacts, train.id)).toBe('present');
  });

  it('refuses to resume a stopped train job on it once the server keeps no training copy, and resumes one that does', async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app);
    const { dataset } = await preppedVersion(app, characterId);
    const stopped = () => {
      const job = app.jobStore.createJob('train', characterId, { datasetId: dataset.id });
      app.jobStore.transition(job.id, 'running');
      app.jobStore.transition(job.id, 'cancelled');
      return job;
    };
    const bare = stopped();
    const kept = stopped();
    mkdirSync(join(app.dataDir, 'jobs', kept.id, 'train-data'), { recursive: true });
    expect((await app.inject({ method: 'DELETE', url: `/api/datasets/${dataset.id}` })).statusCode).toBe(204);
    const refused = await app.inject({ method: 'POST', url: `/api/jobs/${bare.id}/resume` });
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json().error.message).toBe(
      `train job ${bare.id} cannot be resumed: its dataset version ${dataset.id} was deleted, and no training ` +
        `copy of it is kept on the server (jobs/${bare.id}/train-data). Start a new train job on another version ` +
        '(the Train page).',
    );
    expect(app.jobStore.getJob(bare.id).status).toBe('cancelled');
    const resumed = await app.inject({ method: 'POST', url: `/api/jobs/${kept.id}/resume` });
    expect(resumed.statusCode, resumed.body).toBe(200);
  });
});
