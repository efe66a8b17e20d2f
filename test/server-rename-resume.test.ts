// test/server-rename-resume.test.ts — a train job resumed after its character was renamed continues in the run
// folder it wrote (jobs/<id>/mina_<id8>/), not one named after the new name: the local run finishes from its
// checkpoint and its LoRA keeps the file name and `<lora:name>` the run started with (mina_<id8>); a remote job is
// offered with the checkpoint the server kept and the same run name. Before, the run folder came from the current
// name (mina_park_<id8>): the resume failed with "nothing to resume from: jobs/<id>/mina_park_<id8>/checkpoints is
// gone (the LoRA this job made was deleted …)", and a remote resume was offered without its checkpoint.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createTrainRunner, loraNameFor, runNameFor } from '../src/jobs/runners/train-runner.js';
import { NO_WORKER_SPAWN, trainJobWithFinishedRun } from './helpers/finished-run.js';
import { claimAs, waitForOffers } from './helpers/remote-train-jobs.js';
import { seedDataset } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('rename-resume');

async function rename(app: FastifyInstance, characterId: string, name: string) {
  const renamed = await app.inject({
    method: 'PATCH',
    url: `/api/characters/${characterId}`,
    payload: { name },
  });
  expect(renamed.statusCode, renamed.body).toBe(200);
}

describe('runNameFor', () => {
  const id = '3f2a9c1d-0000-4000-8000-000000000000';
  it('takes the folder the recorded checkpoint lies in, local or remote', () => {
    expect(
      runNameFor({ id, checkpoint: `jobs/${id}/mina_3f2a9c1d/checkpoints/step-000010` }, 'Mina Park'),
    ).toBe('mina_3f2a9c1d');
    expect(
      runNameFor({ id, checkpoint: `gpu-a:${id}/mina_3f2a9c1d/checkpoints/step-000010` }, 'Mina Park'),
    ).toBe('mina_3f2a9c1d');
  });
  it('falls back to the current name without a usable checkpoint path', () => {
    expect(runNameFor({ id, checkpoint: null }, 'Mina Park')).toBe('mina_park_3f2a9c1d');
    expect(runNameFor({ id, checkpoint: 'gpu-a:checkpoints/step-000010' }, 'Mina Park')).toBe(
      'mina_park_3f2a9c1d',
    );
    expect(runNameFor({ id, checkpoint: `jobs/${id}/../checkpoints/step-000010` }, 'Mina Park')).toBe(
      'mina_park_3f2a9c1d',
    );
  });
});

describe('resuming a train job after its character was renamed', () => {
  it('continues in the run folder it wrote; the LoRA keeps the name the run started with', async () => {
    const spawn = NO_WORKER_SPAWN;
    const app = await makeApp({ runners: (deps) => ({ train: createTrainRunner(deps, { spawn }) }) });
    const { characterId, job, name, runRel } = await trainJobWithFinishedRun(app);
    app.jobStore.transition(job.id, 'cancelled');
    await rename(app, characterId, 'Mina Park');

    const resumed = await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` });
    expect(resumed.statusCode, resumed.body).toBe(200);
    await app.queue.whenIdle();
    const after = app.jobStore.getJob(job.id);
    // before: failed, "nothing to resume from: jobs/<id>/mina_park_<id8>/checkpoints is gone …"
    expect(after.status, JSON.stringify(after.error)).toBe('succeeded');
    const loras = app.catalog.listArtifacts({ characterId, kind: 'lora' });
    expect(loras.map((a) => a.name)).toEqual([name]);
    const file = await app.inject({ url: loras[0]?.url ?? '' });
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.length).toBe(statSync(join(app.dataDir, runRel, `${name}.safetensors`)).size);
  }, 60_000);

  it('on a remote-workers server, offers it with the kept checkpoint and the run name it started with', async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 60_000, jobs: 8 } });
    const { characterId, datasetId } = await seedDataset(app);
    const job = app.jobStore.createJob('train', characterId, { datasetId, training: { baseModel: 'tiny' } });
    app.jobStore.transition(job.id, 'running');
    const name = loraNameFor('Mina', job.id);
    const runRel = `jobs/${job.id}/${name}`;
    mkdirSync(join(app.dataDir, runRel), { recursive: true });
    writeFileSync(join(app.dataDir, runRel, 'worker-checkpoint-step-000010.zip'), 'zip');
    app.jobStore.setCheckpoint(job.id, `gpu-a:${job.id}/${name}/checkpoints/step-000010`);
    app.jobStore.transition(job.id, 'cancelled');
    await rename(app, characterId, 'Mina Park');

    const resumed = await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` });
    expect(resumed.statusCode, resumed.body).toBe(200);
    await waitForOffers(app, job.id, 1, 10_000);
    const claim = await claimAs(app, 'gpu-b');
    // before: loraName mina_park_<id8> and checkpoint null (a worker without its own copy trained from step 1)
    expect(claim.job).toMatchObject({ id: job.id, resume: true, loraName: name, checkpoint: { step: 10 } });
  }, 30_000);
});
