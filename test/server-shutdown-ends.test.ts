// test/server-shutdown-ends.test.ts — a job that ends on its own during the shutdown's grace time (serve's
// Ctrl-C) keeps its real end: one that finished is recorded succeeded with its result and artifacts, one that
// failed is recorded failed with its error; only a job that stopped because it was asked is interrupted.
import { describe, expect, it } from 'vitest';
import { describeStoppedJob } from '../src/cli/commands/serve.js';
import { ToonloraError } from '../src/errors.js';
import type { GenerationService } from '../src/jobs/generation-service.js';
import type { JobContext } from '../src/jobs/job-queue.js';
import { createDefaultRunners, type RunnerDeps } from '../src/jobs/runners/default-runners.js';
import { buildApp } from '../src/server/app.js';
import { stopServer } from '../src/server/server.js';
import { seedDataset, tempDataDir } from './helpers/server-fixtures.js';

type Ending = 'finishes' | 'fails' | 'stops';

/**
 * A stand-in train run at step 29 of 30. Asked to stop, it goes on for a moment and then, as `ending` says,
 * finishes its last step (records its LoRA and returns), fails on its own, or stops as asked.
 */
function trainThatEndsWhileStopping(deps: RunnerDeps, ending: Ending) {
  return (context: JobContext) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      context.progress({ step: 29, total: 30, loss: 0.1, itPerS: 1, etaS: 1 });
      context.signal.addEventListener('abort', () => {
        setTimeout(() => {
          if (ending === 'fails') {
            reject(
              new ToonloraError('TL_ERR_TRAINING_DIVERGED', 'training: the loss became NaN at step 30.'),
            );
          } else if (ending === 'stops') {
            reject(new Error('training stopped'));
          } else {
            context.progress({ step: 30, total: 30, loss: 0.1, itPerS: 1, etaS: 0 });
            const lora = deps.catalog.addArtifact({
              characterId: context.job.characterId,
              jobId: context.job.id,
              kind: 'lora',
              name: 'mina',
              path: `jobs/${context.job.id}/mina.safetensors`,
            });
            resolve({ loraId: lora.id, steps: 30 });
          }
        }, 20);
      });
    });
}

async function stopWhileTraining(ending: Ending) {
  const app = await buildApp({
    dataDir: tempDataDir('shutdown-ends'),
    webDir: '/nonexistent',
    runners: (deps) => ({ train: trainThatEndsWhileStopping(deps, ending) }),
  });
  await app.ready();
  const { characterId, datasetId } = await seedDataset(app);
  const job = app.queue.submit('train', characterId, { datasetId });
  expect(app.jobStore.getJob(job.id).status).toBe('running');
  const stopped = await stopServer(app); // the store closes with the app: read what it recorded from `stopped`
  return { stopped, jobId: job.id };
}

describe('a job that ends on its own while the server shuts down', () => {
  it('is recorded succeeded with its result when it finished within the grace time', async () => {
    const { stopped, jobId } = await stopWhileTraining('finishes');
    expect(stopped).toHaveLength(1);
    const [ended] = stopped;
    expect(ended?.job).toMatchObject({
      id: jobId,
      status: 'succeeded',
      error: null,
      progress: { step: 30, total: 30 },
      result: { steps: 30 },
    });
    expect(ended?.job.result?.loraId).toEqual(expect.any(String));
    expect(describeStoppedJob(ended as NonNullable<typeof ended>)).toBe(
      `toonlora serve: train job ${jobId} ended succeeded.`,
    );
  });

  it('is recorded failed with its own error when it failed within the grace time', async () => {
    const { stopped, jobId } = await stopWhileTraining('fails');
    expect(stopped[0]?.job).toMatchObject({
      id: jobId,
      status: 'failed',
      error: { code: 'TL_ERR_TRAINING_DIVERGED', message: 'training: the loss became NaN at step 30.' },
    });
    expect(describeStoppedJob(stopped[0] as NonNullable<(typeof stopped)[0]>)).toBe(
      `toonlora serve: train job ${jobId} ended failed (training: the loss became NaN at step 30.).`,
    );
  });

  it('is recorded interrupted when it stopped because it was asked to', async () => {
    const { stopped } = await stopWhileTraining('stops');
    expect(stopped[0]?.job).toMatchObject({ status: 'interrupted', error: { code: 'TL_ERR_INTERRUPTED' } });
  });
});

describe('a generate job stopped by the shutdown', () => {
  it('is interrupted, not succeeded, though the generation service returns the batches it had done', async () => {
    // renders nothing until it is stopped, then returns what it has (none), `stopped`, as the warm worker does
    const generation: GenerationService = {
      generate: (request) =>
        new Promise((resolve) =>
          request.signal?.addEventListener('abort', () =>
            resolve({
              images: [],
              stopped: true,
              timing: { warm: true, loadMs: 0, loraSwapMs: 0, generateMs: 5, totalMs: 5 },
            }),
          ),
        ),
      close: async () => {},
    };
    const app = await buildApp({
      dataDir: tempDataDir('shutdown-ends'),
      webDir: '/nonexistent',
      generation,
      runners: createDefaultRunners,
    });
    await app.ready();
    const character = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
    const job = app.queue.submit('generate', character.id, { generation: { baseModel: 'tiny', seeds: [1] } });
    expect(app.jobStore.getJob(job.id).status).toBe('running');
    const stopped = await stopServer(app);
    expect(stopped[0]?.job).toMatchObject({ id: job.id, status: 'interrupted', result: null });
  });
});
