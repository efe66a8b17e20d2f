// test/server-old-job-settings.test.ts — a job an older toonlora stored with settings its rules allowed and today's
// refuse (a train job of 5 steps with 5 warmup steps, as 45ae644 queued it): the runner fails it with TL_ERR_CONFIG
// naming the field, the value and that a new job is the fix, and a resume is refused in those words before it is
// queued (also on a --remote-workers server). Before, the runner's zod parse threw, the job failed with
// TL_ERR_INTERNAL, again on every resume.
import { describe, expect, it } from 'vitest';
import { createPrepRunner } from '../src/jobs/runners/prep-runner.js';
import { createTrainRunner } from '../src/jobs/runners/train-runner.js';
import { NO_WORKER_SPAWN } from './helpers/finished-run.js';
import { seedDataset } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('old-job-settings');

const trainApp = () =>
  makeApp({ runners: (deps) => ({ train: createTrainRunner(deps, { spawn: NO_WORKER_SPAWN }) }) });

/** What 45ae644 stored for `toonlora` train jobs of 5 steps with 5 warmup steps. */
const oldTraining = { baseModel: 'tiny', steps: 5, lrWarmupSteps: 5 };

const warmupWords = (jobId: string) =>
  `train job ${jobId}: its settings are no longer accepted: params.training.lrWarmupSteps: 5 warmup steps leave ` +
  'none of the 5 training steps at the full rate; lower it below 5, or raise params.training.steps. This job was ' +
  'made by an older toonlora whose rules allowed it; start a new job with settings that are accepted now.';

/** Queues the old train job on `app` and expects it to fail with TL_ERR_CONFIG in warmupWords. */
async function expectQueuedOldTrainRefused(app: Awaited<ReturnType<typeof makeApp>>): Promise<void> {
  const { characterId, datasetId } = await seedDataset(app);
  const job = app.queue.submit('train', characterId, { datasetId, training: oldTraining });
  await app.queue.whenIdle();
  const after = app.jobStore.getJob(job.id);
  expect(after.status).toBe('failed');
  expect(after.error).toEqual({ code: 'TL_ERR_CONFIG', message: warmupWords(job.id) });
}

describe('a job stored with settings only an older toonlora allowed', () => {
  it('a queued train job fails with TL_ERR_CONFIG naming the field and value, not TL_ERR_INTERNAL', async () => {
    await expectQueuedOldTrainRefused(await trainApp());
  }, 30_000);

  it('a --remote-workers server fails it the same way, before it is offered to a worker', async () => {
    await expectQueuedOldTrainRefused(await makeApp({ remoteWorkers: { leaseMs: 60_000, jobs: 1 } }));
  }, 30_000);

  it('a resume of it is refused with 409 in the same words, and the job stays as it was', async () => {
    const app = await trainApp();
    const { characterId, datasetId } = await seedDataset(app);
    const job = app.jobStore.createJob('train', characterId, { datasetId, training: oldTraining });
    app.jobStore.transition(job.id, 'running');
    app.jobStore.transition(job.id, 'interrupted');
    const res = await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` });
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'TL_ERR_CONFLICT', message: warmupWords(job.id) });
    expect(app.jobStore.getJob(job.id).status).toBe('interrupted');
  }, 30_000);

  it('a queued prep job with an option today refuses names it and its value', async () => {
    const app = await makeApp({ runners: (deps) => ({ prep: createPrepRunner(deps) }) });
    const { characterId } = await seedDataset(app);
    const job = app.queue.submit('prep', characterId, { options: { resolution: 500 } });
    await app.queue.whenIdle();
    const after = app.jobStore.getJob(job.id);
    expect(after.status).toBe('failed');
    expect(after.error?.code).toBe('TL_ERR_CONFIG');
    expect(after.error?.message).toMatch(
      new RegExp(
        `^prep job ${job.id}: its settings are no longer accepted: params\\.options\\.resolution: must be a multiple of 8, got 500\\. This job was made by an older toonlora`,
      ),
    );
  }, 30_000);
});
