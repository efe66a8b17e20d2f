// test/server-lora-delete-job-delete-race.test.ts — DELETE /api/loras/:id and DELETE /api/jobs/<its train job> sent
// together. Once the LoRA's row is gone the job lists nothing, so its delete may go through while the LoRA delete is
// still removing the run's checkpoints. Before, the LoRA delete then wrote its "the LoRA … was deleted" line to the
// job's log after that await: the job was gone, the insert broke the events' foreign key, and the user got a 500 for
// a delete that was done (and the diffusers copies were never removed). Now the line is written before any await.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loraTrainedOn, preppedVersion } from './helpers/dataset-version.js';
import { appsClosedAfterEach, createCharacter } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('lora-delete-job-delete-race');

describe('a LoRA delete and its train job delete sent together', () => {
  it('both answer 204, and both are gone', async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app);
    const { dataset } = await preppedVersion(app, characterId);
    const { train, lora, runDir } = await loraTrainedOn(app, characterId, dataset.id);
    // checkpoints, as a real run keeps: their removal is the LoRA delete's await the job delete slips into
    for (let step = 0; step < 20; step += 1) {
      const folder = join(runDir, 'checkpoints', `step-${String(step).padStart(6, '0')}`);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'adapter_model.safetensors'), Buffer.alloc(100_000));
    }
    const loraDelete = app.inject({ method: 'DELETE', url: `/api/loras/${lora.id}` });
    await new Promise((resolve) => setImmediate(resolve));
    const jobDelete = app.inject({ method: 'DELETE', url: `/api/jobs/${train.id}` });
    const [loraReply, jobReply] = await Promise.all([loraDelete, jobDelete]);
    expect([loraReply.statusCode, loraReply.body]).toEqual([204, '']);
    expect(jobReply.statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: `/api/jobs/${train.id}` })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/api/artifacts/${lora.id}` })).statusCode).toBe(404);
  });
});
