// test/server-lora-delete-resume.test.ts — a train job that recorded its LoRA but did not succeed (cancelled at its
// very end: resumable) whose LoRA was deleted, checkpoints with it: Resume fails at once saying the LoRA and its
// checkpoints were deleted and to start a new train job, before any worker starts. Before, the worker started and
// failed with "--resume given but no checkpoint folder … Start without --resume." The job's log says the LoRA was
// deleted with its weights and checkpoints.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTrainRunner, loraNameFor } from '../src/jobs/runners/train-runner.js';
import type { WorkerSpawn } from '../src/worker/python-worker.js';
import { recordRunLora } from './helpers/finished-run.js';
import { seedDataset } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('lora-delete-resume');

describe('resuming a train job whose LoRA was deleted', () => {
  it('fails before the worker starts, saying the LoRA and its checkpoints were deleted', async () => {
    const spawnReads: string[] = [];
    const spawn = new Proxy({ command: 'false', args: [], cwd: '/' } as WorkerSpawn, {
      get(target, key) {
        spawnReads.push(String(key));
        return Reflect.get(target, key);
      },
    });
    const app = await makeApp({ runners: (deps) => ({ train: createTrainRunner(deps, { spawn }) }) });
    const { characterId, datasetId } = await seedDataset(app);
    const job = app.jobStore.createJob('train', characterId, { datasetId, training: { baseModel: 'tiny' } });
    app.jobStore.transition(job.id, 'running');
    const name = loraNameFor('Mina', job.id);
    const runRel = `jobs/${job.id}/${name}`;
    const checkpoint = join(app.dataDir, runRel, 'checkpoints', 'step-000010');
    mkdirSync(checkpoint, { recursive: true });
    writeFileSync(join(checkpoint, 'adapter_model.safetensors'), 'adapter');
    writeFileSync(join(checkpoint, 'training_state.pt'), 'state');
    writeFileSync(join(app.dataDir, runRel, `${name}.safetensors`), 'lora');
    app.jobStore.setCheckpoint(job.id, `${runRel}/checkpoints/step-000010`);
    const lora = recordRunLora(app, { characterId, jobId: job.id, name, runRel });
    app.jobStore.transition(job.id, 'cancelled'); // a cancel that came as it ended: the LoRA is recorded
    const deleted = await app.inject({ method: 'DELETE', url: `/api/loras/${lora.id}` });
    expect(deleted.statusCode, deleted.body).toBe(204);
    expect(existsSync(join(app.dataDir, runRel, 'checkpoints'))).toBe(false);
    // the Train page's log says why (before, nothing in the job's log told of the delete)
    expect(app.jobStore.listEvents(job.id).at(-1)?.body).toEqual({
      type: 'log',
      level: 'info',
      message: `the LoRA ${name} was deleted; its weights and checkpoints were removed.`,
    });

    const resumed = await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` });
    expect(resumed.statusCode, resumed.body).toBe(200);
    await app.queue.whenIdle();
    const after = app.jobStore.getJob(job.id);
    expect(after.status).toBe('failed');
    expect(after.error).toEqual({
      code: 'TL_ERR_CONFLICT',
      message:
        `train job ${job.id}: nothing to resume from: ${runRel}/checkpoints is gone (the LoRA this job made was ` +
        'deleted, and its checkpoints with it). Start a new train job instead.',
    });
    expect(spawnReads).toEqual([]);
  });
});
