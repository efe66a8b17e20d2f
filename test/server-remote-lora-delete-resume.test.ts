// test/server-remote-lora-delete-resume.test.ts — on a `serve --remote-workers` server, a train job that recorded its
// LoRA but did not succeed (cancelled at its very end: resumable) whose LoRA was deleted, with the checkpoint the
// server kept for it: Resume fails at once, in the words of a local run, and no worker is offered it. Before, it was
// offered without a checkpoint (a worker trained from step 1, or from its own copy). A resume whose checkpoint never
// reached the server (its LoRA not deleted) is still offered.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { loraNameFor } from '../src/jobs/runners/train-runner.js';
import { recordRunLora } from './helpers/finished-run.js';
import { offerCount, waitForOffers } from './helpers/remote-train-jobs.js';
import { seedDataset } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('remote-lora-delete-resume');

/** A remote train job that recorded its LoRA (with a kept checkpoint zip when `zip`), then was cancelled. */
async function cancelledWithLora(app: FastifyInstance, zip: boolean) {
  const { characterId, datasetId } = await seedDataset(app);
  const job = app.jobStore.createJob('train', characterId, { datasetId, training: { baseModel: 'tiny' } });
  app.jobStore.transition(job.id, 'running');
  const name = loraNameFor('Mina', job.id);
  const runRel = `jobs/${job.id}/${name}`;
  mkdirSync(join(app.dataDir, runRel), { recursive: true });
  if (zip) writeFileSync(join(app.dataDir, runRel, 'worker-checkpoint-step-000010.zip'), 'zip');
  writeFileSync(join(app.dataDir, runRel, `${name}.safetensors`), 'lora');
  app.jobStore.setCheckpoint(job.id, 'gpu-a:checkpoints/step-000010');
  const lora = recordRunLora(app, { characterId, jobId: job.id, name, runRel });
  app.jobStore.transition(job.id, 'cancelled'); // a cancel that came as it ended: the LoRA is recorded
  return { job, runRel, lora };
}

describe('resuming a remote train job whose LoRA was deleted', () => {
  it('fails before any worker is offered it, saying the LoRA and its checkpoints were deleted', async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 60_000, jobs: 8 } });
    const { job, runRel, lora } = await cancelledWithLora(app, true);
    const deleted = await app.inject({ method: 'DELETE', url: `/api/loras/${lora.id}` });
    expect(deleted.statusCode, deleted.body).toBe(204);
    expect(existsSync(join(app.dataDir, runRel, 'worker-checkpoint-step-000010.zip'))).toBe(false);

    const resumed = await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` });
    expect(resumed.statusCode, resumed.body).toBe(200);
    // before: offered to workers, it stayed running
    await vi.waitFor(() => expect(app.jobStore.getJob(job.id).status).toBe('failed'), { timeout: 10_000 });
    const after = app.jobStore.getJob(job.id);
    expect(after.error).toEqual({
      code: 'TL_ERR_CONFLICT',
      message:
        `train job ${job.id}: nothing to resume from: the checkpoint the server kept in ${runRel} is gone (the LoRA ` +
        'this job made was deleted, and its checkpoints with it). Start a new train job instead.',
    });
    expect(offerCount(app, job.id)).toBe(0);
  }, 30_000);

  it('is still offered when its checkpoint never reached the server and its LoRA was not deleted', async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 60_000, jobs: 8 } });
    const { job } = await cancelledWithLora(app, false);
    const resumed = await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` });
    expect(resumed.statusCode, resumed.body).toBe(200);
    await waitForOffers(app, job.id, 1);
    expect(app.jobStore.getJob(job.id).status).toBe('running');
  }, 30_000);
});
