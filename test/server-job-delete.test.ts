// test/server-job-delete.test.ts — DELETE /api/jobs/:id: a finished job's row, its log, its sample rows and its
// folder go, and it leaves the list; refused (409, in words, nothing deleted) while it is queued or running, and
// while what it made is still listed (a dataset version, a LoRA), which is deleted first on its own; 404 for an
// unknown id. A generate job's images: server-generated-image-delete.test.ts.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loraTrainedOn, preppedVersion } from './helpers/dataset-version.js';
import { appsClosedAfterEach, createCharacter } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('job-delete');

describe('DELETE /api/jobs/:id', () => {
  it('removes a failed train job: its row, log, samples and folder; the list no longer has it', async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app);
    const train = app.jobStore.createJob('train', characterId, { datasetId: 'x' });
    app.jobStore.transition(train.id, 'running');
    app.jobStore.appendEvent(train.id, { type: 'log', level: 'info', message: 'step 1' });
    app.jobStore.transition(train.id, 'failed', { error: { code: 'TL_ERR_WORKER', message: 'boom' } });
    const folder = join(app.dataDir, 'jobs', train.id);
    mkdirSync(join(folder, 'mina', 'samples'), { recursive: true });
    writeFileSync(join(folder, 'mina', 'samples', 's.png'), 'png');
    app.catalog.addArtifact({
      characterId,
      jobId: train.id,
      kind: 'sample',
      name: 's.png',
      path: `jobs/${train.id}/mina/samples/s.png`,
    });
    const res = await app.inject({ method: 'DELETE', url: `/api/jobs/${train.id}` });
    expect(res.statusCode, res.body).toBe(204);
    expect(existsSync(folder)).toBe(false);
    expect((await app.inject({ method: 'GET', url: `/api/jobs/${train.id}` })).statusCode).toBe(404);
    const list = await app.inject({ method: 'GET', url: `/api/jobs?characterId=${characterId}` });
    expect(list.json().jobs).toEqual([]);
    expect(app.catalog.listArtifacts({ characterId })).toEqual([]);
    expect(app.catalog.db.prepare('SELECT COUNT(*) AS n FROM job_events').get()).toEqual({ n: 0 });
    expect(app.catalog.db.prepare('SELECT COUNT(*) AS n FROM deleted_folders').get()).toEqual({ n: 0 });
    const again = await app.inject({ method: 'DELETE', url: `/api/jobs/${train.id}` });
    expect(again.statusCode).toBe(404);
  });

  it('answers 404 naming the id for an unknown job', async () => {
    const app = await makeApp();
    const res = await app.inject({ method: 'DELETE', url: '/api/jobs/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toBe('job nope not found. List them with GET /api/jobs.');
  });

  it('is refused in words for a queued or running job, and keeps it', async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app);
    const job = app.jobStore.createJob('prep', characterId, {});
    for (const status of ['queued', 'running'] as const) {
      if (status === 'running') app.jobStore.transition(job.id, 'running');
      const res = await app.inject({ method: 'DELETE', url: `/api/jobs/${job.id}` });
      expect(res.statusCode, res.body).toBe(409);
      expect(res.json().error.message).toBe(
        `prep job ${job.id} is ${status}; nothing was deleted. Cancel it first (the Cancel button by its status, ` +
          `or POST /api/jobs/${job.id}/cancel), or let it finish, then delete it.`,
      );
      expect(app.jobStore.getJob(job.id).status).toBe(status);
    }
  });

  it('keeps a prep job whose dataset version is listed (409), and deletes it with its folder once the version is gone', async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app);
    const { prep, dataset, folder, staged } = await preppedVersion(app, characterId);
    const res = await app.inject({ method: 'DELETE', url: `/api/jobs/${prep.id}` });
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().error.message).toBe(
      `prep job ${prep.id} made dataset version ${dataset.id}, still listed and stored in the job's folder; ` +
        `nothing was deleted. To delete the job, delete that version first (the Dataset page's "Delete this ` +
        `version", or DELETE /api/datasets/${dataset.id}); it keeps its files until then.`,
    );
    expect(existsSync(folder)).toBe(true);
    expect(app.catalog.getDataset(dataset.id).id).toBe(dataset.id);
    expect((await app.inject({ method: 'DELETE', url: `/api/datasets/${dataset.id}` })).statusCode).toBe(204);
    const after = await app.inject({ method: 'DELETE', url: `/api/jobs/${prep.id}` });
    expect(after.statusCode, after.body).toBe(204);
    expect(existsSync(staged)).toBe(false);
  });

  it('keeps a train job whose LoRA is listed (409: the LoRA file lives in its folder), then deletes it after the LoRA', async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app);
    const { dataset } = await preppedVersion(app, characterId);
    const { train, lora, runDir } = await loraTrainedOn(app, characterId, dataset.id);
    const res = await app.inject({ method: 'DELETE', url: `/api/jobs/${train.id}` });
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().error.message).toBe(
      `train job ${train.id} made LoRA mina (${lora.id}), still listed and stored in the job's folder; nothing ` +
        "was deleted. To delete the job, delete that LoRA first (the LoRA page's Delete, or " +
        `DELETE /api/loras/${lora.id}); it keeps its files until then.`,
    );
    expect(existsSync(join(runDir, 'mina.safetensors'))).toBe(true);
    const download = await app.inject({ method: 'GET', url: `/api/loras/${lora.id}/download` });
    expect(download.statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: `/api/loras/${lora.id}` })).statusCode).toBe(204);
    const after = await app.inject({ method: 'DELETE', url: `/api/jobs/${train.id}` });
    expect(after.statusCode, after.body).toBe(204);
    expect(existsSync(join(app.dataDir, 'jobs', train.id))).toBe(false);
    expect(app.catalog.getDataset(dataset.id).id).toBe(dataset.id);
  });
});
