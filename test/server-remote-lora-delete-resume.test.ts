// test/server-remote-lora-delete-resume.test.ts — on a `serve --remote-workers` server, a train job that recorded its
// LoRA but did not succeed (cancelled at its very end: resumable) whose LoRA was deleted, with the checkpoint the
// server kept for it: Resume fails at once, in the words of a local run, and no worker is offered it, also when the
// job's log has no "was deleted" line (decided from the checkpoint store's note and the LoRA row, not the log). Before,
// it was offered without a checkpoint (a worker trained from step 1, or from its own copy). A resume sent while the
// delete removes the kept checkpoint (still there) is refused too: the delete's note decides, not the zip; before,
// it was offered with the checkpoint being removed. A resume whose checkpoint never reached the server (its LoRA not
// deleted, or no LoRA) is still offered, and so is one whose LoRA is kept after the LoRA upload dropped the
// checkpoint.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { zipCheckpoint } from '../src/jobs/remote/checkpoint-archive.js';
import { removeStoredCheckpoints, storeCheckpoint } from '../src/jobs/remote/checkpoint-store.js';
import { loraNameFor } from '../src/jobs/runners/train-runner.js';
import { removePaths, runWeightPaths } from '../src/server/routes/loras/lora-files.js';
import { recordRunLora } from './helpers/finished-run.js';
import { offerCount, waitForOffers } from './helpers/remote-train-jobs.js';
import { seedDataset } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('remote-lora-delete-resume');

/** Keeps a checkpoint zip of step 10 in `runDir` as the server does when a worker uploads one. */
async function keepCheckpoint(runDir: string) {
  const folder = join(runDir, '..', 'uploaded-step-000010');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'adapter_model.safetensors'), 'adapter');
  writeFileSync(join(folder, 'training_state.pt'), 'state');
  const zip = await zipCheckpoint(folder);
  await storeCheckpoint(runDir, 10, Readable.from(zip.stream), { maxBytes: 1_048_576, keep: () => {} });
}

/** A remote train job that recorded its LoRA (with a checkpoint the server kept when `zip`), then was cancelled. */
async function cancelledWithLora(app: FastifyInstance, zip: boolean, withLora = true) {
  const { characterId, datasetId } = await seedDataset(app);
  const job = app.jobStore.createJob('train', characterId, { datasetId, training: { baseModel: 'tiny' } });
  app.jobStore.transition(job.id, 'running');
  const name = loraNameFor('Mina', job.id);
  const runRel = `jobs/${job.id}/${name}`;
  mkdirSync(join(app.dataDir, runRel), { recursive: true });
  if (zip) await keepCheckpoint(join(app.dataDir, runRel));
  if (withLora) writeFileSync(join(app.dataDir, runRel, `${name}.safetensors`), 'lora');
  app.jobStore.setCheckpoint(job.id, 'gpu-a:checkpoints/step-000010');
  const lora = withLora ? recordRunLora(app, { characterId, jobId: job.id, name, runRel }) : undefined;
  app.jobStore.transition(job.id, 'cancelled'); // a cancel that came as it ended: the LoRA is recorded
  return { job, runRel, lora };
}

/** Resumes `jobId` and waits for it to fail; its error. */
async function resumeFails(app: FastifyInstance, jobId: string) {
  const resumed = await app.inject({ method: 'POST', url: `/api/jobs/${jobId}/resume` });
  expect(resumed.statusCode, resumed.body).toBe(200);
  await vi.waitFor(() => expect(app.jobStore.getJob(jobId).status).toBe('failed'), { timeout: 10_000 });
  return app.jobStore.getJob(jobId).error;
}

/** Resumes `jobId` and waits for a worker to be offered it. */
async function resumeOffered(app: FastifyInstance, jobId: string) {
  const resumed = await app.inject({ method: 'POST', url: `/api/jobs/${jobId}/resume` });
  expect(resumed.statusCode, resumed.body).toBe(200);
  await waitForOffers(app, jobId, 1);
  expect(app.jobStore.getJob(jobId).status).toBe('running');
}

const deletedError = (jobId: string, runRel: string) => ({
  code: 'TL_ERR_CONFLICT',
  message:
    `train job ${jobId}: nothing to resume from: the checkpoint the server kept in ${runRel} is gone (the LoRA ` +
    'this job made was deleted, and its checkpoints with it). Start a new train job instead.',
});

describe('resuming a remote train job whose LoRA was deleted', () => {
  it('fails before any worker is offered it, saying the LoRA and its checkpoints were deleted', async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 60_000, jobs: 8 } });
    const { job, runRel, lora } = await cancelledWithLora(app, true);
    const deleted = await app.inject({ method: 'DELETE', url: `/api/loras/${lora?.id}` });
    expect(deleted.statusCode, deleted.body).toBe(204);
    expect(existsSync(join(app.dataDir, runRel, 'worker-checkpoint-step-000010.zip'))).toBe(false);
    // before: offered to workers, it stayed running
    expect(await resumeFails(app, job.id)).toEqual(deletedError(job.id, runRel));
    expect(offerCount(app, job.id)).toBe(0);
  }, 30_000);

  it('fails the same when the delete left the kept checkpoint on disk (a resume sent while it removes files)', async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 60_000, jobs: 8 } });
    const { job, runRel, lora } = await cancelledWithLora(app, true);
    const deleted = await app.inject({ method: 'DELETE', url: `/api/loras/${lora?.id}` });
    expect(deleted.statusCode, deleted.body).toBe(204);
    await keepCheckpoint(join(app.dataDir, runRel)); // what the delete had not removed yet, or could not
    // before: offered to workers with that checkpoint, which the delete then removed
    expect(await resumeFails(app, job.id)).toEqual(deletedError(job.id, runRel));
    expect(offerCount(app, job.id)).toBe(0);
  }, 30_000);

  it('fails the same when the LoRA went without a line in the job log', async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 60_000, jobs: 8 } });
    const { job, runRel, lora } = await cancelledWithLora(app, true);
    // what the delete removes (src/server/routes/loras), without the log line it adds
    const runDir = join(app.dataDir, runRel);
    app.catalog.removeArtifact(String(lora?.id));
    await removePaths([join(runDir, `${lora?.name}.safetensors`), ...(await runWeightPaths(runDir))]);
    expect(
      app.jobStore.listEvents(job.id).some((e) => e.body.type === 'log' && /deleted/.test(e.body.message)),
    ).toBe(false);
    // before: offered to workers (the refusal matched the log line)
    expect(await resumeFails(app, job.id)).toEqual(deletedError(job.id, runRel));
    expect(offerCount(app, job.id)).toBe(0);
  }, 30_000);

  it('is still offered when its checkpoint never reached the server and its LoRA was not deleted', async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 60_000, jobs: 8 } });
    const { job } = await cancelledWithLora(app, false);
    await resumeOffered(app, job.id);
  }, 30_000);

  it('is still offered when its checkpoint never reached the server and it made no LoRA', async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 60_000, jobs: 8 } });
    const { job } = await cancelledWithLora(app, false, false);
    await resumeOffered(app, job.id);
  }, 30_000);

  it('is still offered when its LoRA is kept and the LoRA upload dropped the checkpoint', async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 60_000, jobs: 8 } });
    const { job, runRel } = await cancelledWithLora(app, true);
    await removeStoredCheckpoints(join(app.dataDir, runRel)); // as the LoRA upload does
    await resumeOffered(app, job.id);
  }, 30_000);
});
