// test/server-lora-delete.test.ts — DELETE /api/loras/:id: the LoRA's row, its file and the converted copies
// downloads kept go; the job that trained it stays; refused (409, in words) while a queued or running generate job
// uses it; an image artifact or an unknown id is a 404.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appsClosedAfterEach } from './helpers/test-apps.js';
import { trainedLora } from './helpers/trained-lora.js';

const { makeApp } = appsClosedAfterEach('lora-delete');

describe('DELETE /api/loras/:id', () => {
  it('removes the LoRA, its file and its converted copies; the train job stays', async () => {
    const app = await makeApp();
    const { characterId, train, lora, file } = await trainedLora(app);
    const res = await app.inject({ method: 'DELETE', url: `/api/loras/${lora.id}` });
    expect(res.statusCode, res.body).toBe(204);
    expect(app.catalog.listArtifacts({ characterId, kind: 'lora' })).toEqual([]);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(join(dirname(file), 'mina.fp16.safetensors'))).toBe(false);
    expect(existsSync(join(dirname(file), 'sample-0001.png'))).toBe(true);
    expect(app.jobStore.getJob(train.id).status).toBe('succeeded');
    const again = await app.inject({ method: 'DELETE', url: `/api/loras/${lora.id}` });
    expect(again.statusCode).toBe(404);
  });

  it('is refused in words while a queued generate job uses the LoRA, and keeps everything', async () => {
    const app = await makeApp();
    const { characterId, lora, file } = await trainedLora(app);
    const job = app.jobStore.createJob('generate', characterId, { loraId: lora.id });
    const res = await app.inject({ method: 'DELETE', url: `/api/loras/${lora.id}` });
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().error.message).toBe(
      `LoRA mina (${lora.id}) is used by a job that is not done: generate job ${job.id} (queued). Cancel it ` +
        `(POST /api/jobs/${job.id}/cancel) or let it finish, then delete the LoRA.`,
    );
    expect(existsSync(file)).toBe(true);
    expect(app.catalog.listArtifacts({ characterId, kind: 'lora' })).toHaveLength(1);
  });

  it('answers 404 for an artifact that is not a LoRA', async () => {
    const app = await makeApp();
    const { characterId, train } = await trainedLora(app);
    const image = app.catalog.addArtifact({
      characterId,
      jobId: train.id,
      kind: 'image',
      name: 'a.png',
      path: `jobs/${train.id}/a.png`,
      meta: {},
    });
    const res = await app.inject({ method: 'DELETE', url: `/api/loras/${image.id}` });
    expect(res.statusCode).toBe(404);
    expect(app.catalog.getArtifact(image.id).id).toBe(image.id);
  });
});
