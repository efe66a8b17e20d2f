// test/server-job-ends.test.ts — what a job leaves when it ends: an internal failure reaches stderr without
// --log (its error says "see the server log"), an interrupted job says how to go on for its kind, a
// succeeded train run drops its checkpoints' resume-only state, and a prep job its copied inputs and staging.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ToonloraError } from '../src/errors.js';
import type { JobContext } from '../src/jobs/job-queue.js';
import type { AppOptions } from '../src/server/app.js';
import { seedDataset, seedUploads, tempDataDir } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

// The worker and the prep pipeline are stood in: these tests are about what the runners do around them.
const stand = vi.hoisted(() => ({ train: undefined as unknown, prep: undefined as unknown }));
vi.mock('../src/worker/train.js', () => ({
  runTraining: (options: unknown) => (stand.train as (options: unknown) => Promise<unknown>)(options),
}));
vi.mock('../src/prep/pipeline.js', () => ({
  runPrep: (options: unknown) => (stand.prep as (options: unknown) => Promise<unknown>)(options),
}));

const { createPrepRunner } = await import('../src/jobs/runners/prep-runner.js');
const { createTrainRunner } = await import('../src/jobs/runners/train-runner.js');

// registered before the apps' after-each, so it runs after it (vitest runs them last-registered first)
afterEach(() => {
  vi.restoreAllMocks();
});
const apps = appsClosedAfterEach('job-ends');
const makeApp = (
  runners: AppOptions['runners'],
  dataDir = tempDataDir('job-ends'),
): Promise<FastifyInstance> => apps.makeApp({ dataDir, runners });

async function finished(app: FastifyInstance, jobId: string) {
  await app.queue.whenIdle();
  return app.queue.getJob(jobId);
}

describe('a job that fails with an internal error', () => {
  it('writes the failure on stderr when the server has no --log, as failed requests are', async () => {
    const writes: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    const app = await makeApp({
      generate: async () => {
        throw new TypeError('cannot read properties of undefined (reading "seeds")');
      },
    });
    const character = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
    const job = app.queue.submit('generate', character.id, {});
    const done = await finished(app, job.id);
    expect(done.status).toBe('failed');
    expect(done.error?.message).toContain('see the server log');
    const line = writes.find((w) => w.includes(job.id));
    expect(line).toContain(
      `toonlora serve: job ${job.id} (generate) failed: TypeError: cannot read properties`,
    );
    expect(line).toContain('server-job-ends.test.ts'); // the stack
  });
});

describe('an interrupted job', () => {
  it('says to resume a train job, and to start a prep or generate job again (they do not resume)', async () => {
    const hold = (context: JobContext) =>
      new Promise<Record<string, unknown>>((_, reject) =>
        context.signal.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    const dataDir = tempDataDir('job-ends');
    const app = await makeApp({ prep: hold, generate: hold, train: hold }, dataDir);
    const character = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
    // shut down while a prep job runs
    const prep = app.queue.submit('prep', character.id, {});
    await vi.waitFor(() => expect(app.queue.getJob(prep.id).status).toBe('running'));
    await app.close();
    const again = await makeApp({}, dataDir);
    const message = again.queue.getJob(prep.id).error?.message ?? '';
    expect(message).toContain('start it again as a new job');
    expect(message).not.toMatch(/resume or/);
    const resume = await again.inject({ method: 'POST', url: `/api/jobs/${prep.id}/resume` });
    expect(resume.statusCode).toBe(409);
    // a job a dead server left running, found on start: the same advice per kind
    const generate = again.jobStore.createJob('generate', character.id, {});
    again.jobStore.transition(generate.id, 'running');
    const train = again.jobStore.createJob('train', character.id, {});
    again.jobStore.transition(train.id, 'running');
    const [a, b] = again.jobStore.markRunningInterrupted();
    const byId = new Map([a, b].map((job) => [job?.id, job?.error?.message ?? '']));
    expect(byId.get(generate.id)).toContain('start it again as a new job (only train jobs resume)');
    expect(byId.get(train.id)).toContain('resume it (from its last checkpoint');
  });
});

describe('storage left by finished jobs', () => {
  it('a succeeded train job keeps each checkpoint adapter but drops its training state, and says so', async () => {
    stand.train = async (options: { runDir: string }) => {
      const checkpoints = join(options.runDir, 'checkpoints');
      for (const step of ['step-000010', 'step-000020']) {
        mkdirSync(join(checkpoints, step, 'text_encoder'), { recursive: true });
        writeFileSync(join(checkpoints, step, 'adapter_model.safetensors'), Buffer.alloc(100));
        writeFileSync(join(checkpoints, step, 'text_encoder', 'adapter_model.safetensors'), Buffer.alloc(50));
        writeFileSync(join(checkpoints, step, 'training_state.pt'), Buffer.alloc(200));
      }
      mkdirSync(join(checkpoints, '.step-000030.partial'), { recursive: true });
      const kohyaFile = join(options.runDir, 'lora.safetensors');
      writeFileSync(kohyaFile, Buffer.alloc(10));
      return {
        status: 'done',
        runDir: options.runDir,
        kohyaFile,
        checkpoint: null,
        steps: 20,
        lastLoss: 0.1,
      };
    };
    const app = await makeApp((deps) => ({ train: createTrainRunner(deps) }));
    const { characterId, datasetId } = await seedDataset(app);
    const job = app.queue.submit('train', characterId, { datasetId, training: { baseModel: 'tiny' } });
    const done = await finished(app, job.id);
    expect(done.status).toBe('succeeded');
    const runDir = join(app.dataDir, 'jobs', job.id, `mina_${job.id.replace(/-/g, '').slice(0, 8)}`);
    for (const step of ['step-000010', 'step-000020']) {
      expect(existsSync(join(runDir, 'checkpoints', step, 'training_state.pt'))).toBe(false);
      expect(existsSync(join(runDir, 'checkpoints', step, 'adapter_model.safetensors'))).toBe(true);
      expect(existsSync(join(runDir, 'checkpoints', step, 'text_encoder', 'adapter_model.safetensors'))).toBe(
        true,
      );
    }
    expect(existsSync(join(runDir, 'checkpoints', '.step-000030.partial'))).toBe(false);
    const logs = app.queue.listEvents(job.id).flatMap((e) => (e.body.type === 'log' ? [e.body.message] : []));
    expect(logs).toContainEqual(expect.stringContaining('removed the resume-only training state'));
    expect(logs.join('\n')).toContain('of 2 checkpoints');
  });

  it('a stopped train job keeps its training state (it is resumed from it)', async () => {
    stand.train = async (options: { runDir: string }) => {
      const step = join(options.runDir, 'checkpoints', 'step-000010');
      mkdirSync(step, { recursive: true });
      writeFileSync(join(step, 'training_state.pt'), Buffer.alloc(200));
      throw new ToonloraError('TL_ERR_WORKER', 'training: the worker crashed');
    };
    const app = await makeApp((deps) => ({ train: createTrainRunner(deps) }));
    const { characterId, datasetId } = await seedDataset(app);
    const job = app.queue.submit('train', characterId, { datasetId, training: { baseModel: 'tiny' } });
    expect((await finished(app, job.id)).status).toBe('failed');
    const runDir = join(app.dataDir, 'jobs', job.id, `mina_${job.id.replace(/-/g, '').slice(0, 8)}`);
    expect(existsSync(join(runDir, 'checkpoints', 'step-000010', 'training_state.pt'))).toBe(true);
  });

  it('a prep job removes its copied inputs and the staging folder however it ends', async () => {
    stand.prep = async (options: { outDir: string; inputs: string[] }) => {
      expect(options.inputs).toHaveLength(1);
      expect(existsSync(options.inputs[0] as string)).toBe(true);
      mkdirSync(join(options.outDir, '.toonlora-prep-staging', '10_mina_tl girl'), { recursive: true });
      throw new ToonloraError('TL_ERR_IMAGE_DECODE', '001-a.png: libpng read error');
    };
    const app = await makeApp((deps) => ({ prep: createPrepRunner(deps) }));
    const { characterId, storedPaths } = await seedUploads(app);
    const rel = storedPaths[0] as string;
    const job = app.queue.submit('prep', characterId, {});
    expect((await finished(app, job.id)).status).toBe('failed');
    const jobDir = join(app.dataDir, 'jobs', job.id);
    expect(existsSync(join(jobDir, 'inputs'))).toBe(false);
    expect(existsSync(join(jobDir, 'dataset', '.toonlora-prep-staging'))).toBe(false);
    expect(existsSync(join(app.dataDir, rel))).toBe(true); // the upload itself stays
  });
});
