// test/server-resume-checkpoints-gone.test.ts — a local resume (serve without --remote-workers) that finds no
// checkpoints/ folder says why only as far as it knows: a job a remote worker trained (its checkpoint
// `<worker>:<id>/<name>/checkpoints/step-N`, kept here as worker-checkpoint-step-N.zip or not at all) is to be
// resumed on a `serve --remote-workers`; a checkpoints/ removed by hand is gone from the data folder. Only a LoRA
// delete's note (test/server-lora-delete-resume*.test.ts) says the LoRA was deleted. Before, each of these said "the
// LoRA this job made was deleted, and its checkpoints with it", though no LoRA was deleted.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createTrainRunner } from '../src/jobs/runners/train-runner.js';
import { NO_WORKER_SPAWN, trainJobWithFinishedRun } from './helpers/finished-run.js';
import { runningTrainJob } from './helpers/running-train-job.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('resume-checkpoints-gone');

const localApp = () =>
  makeApp({ runners: (deps) => ({ train: createTrainRunner(deps, { spawn: NO_WORKER_SPAWN }) }) });

/** An interrupted train job that ran on the remote worker gpu-box up to step 5 (the server keeps that checkpoint's
 * zip when `kept`); its run folder's path, data-relative, and its recorded checkpoint. */
async function remotelyTrained(app: FastifyInstance, kept: boolean) {
  const { job, name, runRel } = await runningTrainJob(app);
  if (kept) writeFileSync(join(app.dataDir, runRel, 'worker-checkpoint-step-000005.zip'), 'zip');
  const checkpoint = `gpu-box:${job.id}/${name}/checkpoints/step-000005`;
  app.jobStore.setCheckpoint(job.id, checkpoint);
  app.jobStore.transition(job.id, 'interrupted');
  return { job, runRel, checkpoint };
}

/** Resumes `jobId` (accepted) and waits for the queue; the job's error. */
async function resumeError(app: FastifyInstance, jobId: string) {
  const resumed = await app.inject({ method: 'POST', url: `/api/jobs/${jobId}/resume` });
  expect(resumed.statusCode, resumed.body).toBe(200);
  await app.queue.whenIdle();
  const after = app.jobStore.getJob(jobId);
  expect(after.status).toBe('failed');
  return after.error;
}

describe('a local resume with no checkpoints/ folder', () => {
  it('of a remotely trained job whose checkpoint the server keeps: says to serve with --remote-workers', async () => {
    const app = await localApp();
    const { job, runRel, checkpoint } = await remotelyTrained(app, true);
    // before: "nothing to resume from: …/checkpoints is gone (the LoRA this job made was deleted …)"
    expect(await resumeError(app, job.id)).toEqual({
      code: 'TL_ERR_CONFLICT',
      message:
        `train job ${job.id}: its checkpoint ${checkpoint} was written by the remote worker gpu-box (this server ` +
        `keeps it as ${runRel}/worker-checkpoint-step-000005.zip), and this server trains jobs itself, without ` +
        'remote workers. Restart it with `toonlora serve --remote-workers` (and a `toonlora worker` on a GPU ' +
        'machine), then resume the job: a worker continues it from that checkpoint.',
    });
  }, 30_000);

  it("of a remotely trained job whose checkpoint never reached the server: says it is on the worker's machine", async () => {
    const app = await localApp();
    const { job, checkpoint } = await remotelyTrained(app, false);
    const error = await resumeError(app, job.id);
    expect(error?.message).toBe(
      `train job ${job.id}: its checkpoint ${checkpoint} was written by the remote worker gpu-box (it is on ` +
        "gpu-box's machine), and this server trains jobs itself, without remote workers. Restart it with " +
        '`toonlora serve --remote-workers` (and a `toonlora worker` on a GPU machine), then resume the job: a ' +
        'worker continues it from that checkpoint.',
    );
  }, 30_000);

  it('removed by hand (no LoRA deleted): says it is gone from the data folder', async () => {
    const app = await localApp();
    const { job, runRel } = await trainJobWithFinishedRun(app);
    app.jobStore.transition(job.id, 'interrupted');
    rmSync(join(app.dataDir, runRel, 'checkpoints'), { recursive: true });
    expect(await resumeError(app, job.id)).toEqual({
      code: 'TL_ERR_CONFLICT',
      message:
        `train job ${job.id}: nothing to resume from: ${runRel}/checkpoints is gone from the data folder. Start ` +
        'a new train job instead.',
    });
  }, 30_000);
});
