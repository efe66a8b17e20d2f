// test/server-lora-delete-resume-race.test.ts — a resume of a train job sent while the delete of the LoRA it made is
// removing its run's checkpoints (DELETE and resume sent together), or after a delete that left part of checkpoints/
// on disk: the job fails at once, "nothing to resume from … the LoRA this job made was deleted", and no trainer
// starts. Before, the runner decided from checkpoints/ being there: the resume passed while the removal ran, and the
// trainer was started on a folder being deleted. The delete leaves a note in the run folder before it removes any
// file (src/jobs/lora-deleted-note.ts), which the runner reads; a run that starts over forgets it.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { LORA_DELETED_NOTE } from '../src/jobs/lora-deleted-note.js';
import { createTrainRunner } from '../src/jobs/runners/train-runner.js';
import { NO_WORKER_SPAWN, recordRunLora, trainJobWithFinishedRun } from './helpers/finished-run.js';
import { runningTrainJob } from './helpers/running-train-job.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('lora-delete-resume-race');

/** A cancelled train job (resumable from step 10) with its LoRA recorded, and a run with `steps` checkpoints of
 * 300 files each (a real run's checkpoints take a while to remove). */
async function cancelledRunWithLora(app: FastifyInstance, steps: number) {
  const run = await trainJobWithFinishedRun(app);
  const lora = recordRunLora(app, { ...run, jobId: run.job.id });
  app.jobStore.transition(run.job.id, 'cancelled');
  for (let step = 1; step <= steps; step++) {
    const dir = join(app.dataDir, run.runRel, 'checkpoints', `step-${String(step).padStart(6, '0')}`);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 300; i++) writeFileSync(join(dir, `f${i}`), 'x');
  }
  return { ...run, lora };
}

const deletedError = (jobId: string, runRel: string) => ({
  code: 'TL_ERR_CONFLICT',
  message:
    `train job ${jobId}: nothing to resume from: ${runRel}/checkpoints is gone (the LoRA this job made was ` +
    'deleted, and its checkpoints with it). Start a new train job instead.',
});

const trainApp = () =>
  makeApp({ runners: (deps) => ({ train: createTrainRunner(deps, { spawn: NO_WORKER_SPAWN }) }) });

const deleteLora = (app: FastifyInstance, id: string) =>
  app.inject({ method: 'DELETE', url: `/api/loras/${id}` });
const resume = (app: FastifyInstance, jobId: string) =>
  app.inject({ method: 'POST', url: `/api/jobs/${jobId}/resume` });

/** The answers of a delete and a resume (both accepted); the job once the queue is idle. */
async function bothAccepted(
  app: FastifyInstance,
  jobId: string,
  answers: Promise<[LightMyRequestResponse, LightMyRequestResponse]>,
) {
  const [deleted, resumed] = await answers;
  expect(deleted.statusCode, deleted.body).toBe(204);
  expect(resumed.statusCode, resumed.body).toBe(200);
  await app.queue.whenIdle();
  return app.jobStore.getJob(jobId);
}

describe('resuming a train job while its LoRA is being deleted', () => {
  it('fails at once when the resume comes while the delete removes its checkpoints', async () => {
    const app = await trainApp();
    const { job, lora, runRel } = await cancelledRunWithLora(app, 9);
    const deleting = deleteLora(app, lora.id);
    // the delete has passed its checks (its row is gone) and is removing the files
    while (app.catalog.listArtifacts({ jobId: job.id, kind: 'lora' }).length > 0)
      await new Promise((resolve) => setImmediate(resolve));
    const after = await bothAccepted(app, job.id, Promise.all([deleting, resume(app, job.id)]));
    // before: the trainer was started (NO_WORKER_SPAWN failed the job with an internal error)
    expect(after.error).toEqual(deletedError(job.id, runRel));
    expect(existsSync(join(app.dataDir, runRel, 'checkpoints'))).toBe(false);
  }, 60_000);

  it('fails at once when the delete and the resume are sent together', async () => {
    const app = await trainApp();
    const { job, lora, runRel } = await cancelledRunWithLora(app, 9);
    const after = await bothAccepted(
      app,
      job.id,
      Promise.all([deleteLora(app, lora.id), resume(app, job.id)]),
    );
    expect(after.error).toEqual(deletedError(job.id, runRel));
  }, 60_000);

  it('fails at once when the delete left part of checkpoints/ on disk', async () => {
    const app = await trainApp();
    const { job, lora, runRel } = await cancelledRunWithLora(app, 1);
    const deleted = await deleteLora(app, lora.id);
    // what a removal that could not finish leaves (a file it could not remove)
    const left = join(app.dataDir, runRel, 'checkpoints', 'step-000010');
    mkdirSync(left, { recursive: true });
    writeFileSync(join(left, 'adapter_model.safetensors'), 'adapter');
    const after = await bothAccepted(app, job.id, Promise.all([deleted, resume(app, job.id)]));
    // before: the trainer was started on what was left
    expect(after.error).toEqual(deletedError(job.id, runRel));
  }, 60_000);

  it('a job with no checkpoint that starts over after the delete forgets the note', async () => {
    const app = await trainApp();
    const { characterId, job, name, runRel } = await runningTrainJob(app);
    writeFileSync(join(app.dataDir, runRel, `${name}.safetensors`), 'lora');
    const lora = recordRunLora(app, { characterId, jobId: job.id, name, runRel });
    app.jobStore.transition(job.id, 'cancelled'); // a run too short for a checkpoint, cancelled as it ended
    const note = join(app.dataDir, runRel, LORA_DELETED_NOTE);
    const deleted = await deleteLora(app, lora.id);
    expect(existsSync(note)).toBe(true);
    // no checkpoint recorded: it runs again from step 1, and makes a LoRA of its own
    const after = await bothAccepted(app, job.id, Promise.all([deleted, resume(app, job.id)]));
    // it went as far as the trainer (NO_WORKER_SPAWN fails it there), the note forgotten
    expect(after.error?.code).toBe('TL_ERR_INTERNAL');
    expect(existsSync(note)).toBe(false);
  }, 60_000);
});
