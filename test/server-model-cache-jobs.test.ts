// test/server-model-cache-jobs.test.ts — the job runners look for the base model in the app's `modelCache`, where
// the model routes look: a server built with its own TOONLORA_HOME / HF_HOME finds a base placed there, and hands
// the worker that folder. Before, the train and generate runners read this process's environment instead, so a
// base the Models page listed as present failed its job with "not downloaded on the server".
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createGenerateRunner } from '../src/jobs/runners/generate-runner.js';
import { createPrepRunner } from '../src/jobs/runners/prep-runner.js';
import { createTrainRunner } from '../src/jobs/runners/train-runner.js';
import { WarmGenerationService } from '../src/jobs/warm-generation.js';
import { findModelDir } from '../src/models/cache.js';
import { writeSd15Snapshot } from '../src/models/sd15-testing.js';
import { GenerationWorker } from '../src/worker/generation-worker.js';
import { BASE_ECHO_WORKER, runTrainJob } from './helpers/base-jobs.js';
import { submitGenerateJob } from './helpers/job-stand-ins.js';
import { seedUploads, tempDataDir } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('model-cache');
afterEach(() => vi.unstubAllEnvs());

/** A train worker that logs the base and SD1.5 config folder of its request, then fails (nothing to train here). */
const TRAIN_ECHO_WORKER = `
const emit = (event) => process.stdout.write(JSON.stringify({ version: 1, ...event }) + '\\n');
require('node:readline').createInterface({ input: process.stdin }).once('line', (line) => {
  const r = JSON.parse(line);
  emit({ type: 'log', level: 'info', message: 'base ' + r.config.baseModel + ' | ' + r.sd15_config_dir });
  emit({ type: 'error', kind: 'config', message: 'stand-in: no training here' });
  process.exit(1);
});
`;

/** anything-v5 placed by hand in the app's TOONLORA_HOME; this process's environment has empty model homes. */
function appCacheWithBase() {
  const root = tempDataDir('caches');
  for (const name of ['TOONLORA_HOME', 'HF_HOME', 'HF_HUB_CACHE', 'XDG_CACHE_HOME'])
    vi.stubEnv(name, join(root, `process-${name}`));
  const modelCache = { env: { TOONLORA_HOME: join(root, 'app-home'), HF_HOME: join(root, 'app-hf') } };
  const base = writeSd15Snapshot(join(root, 'app-home', 'models', 'anything-v5'));
  expect(findModelDir('anything-v5', modelCache)).toBe(base);
  expect(findModelDir('anything-v5')).toBeUndefined();
  return { modelCache, base };
}

function logsOf(app: Awaited<ReturnType<typeof makeApp>>, jobId: string): string[] {
  return app.jobStore.listEvents(jobId, 0).flatMap((e) => (e.body.type === 'log' ? [e.body.message] : []));
}

describe("job runners read the app's modelCache", () => {
  it("a train job finds anything-v5 in the app's cache and hands the worker that folder", async () => {
    const { modelCache, base } = appCacheWithBase();
    const spawn = { command: process.execPath, args: ['-e', TRAIN_ECHO_WORKER], cwd: process.cwd() };
    const app = await makeApp({
      modelCache,
      runners: (deps) => ({ train: createTrainRunner(deps, { spawn }) }),
    });
    const job = await runTrainJob(app, { baseModel: 'anything-v5', steps: 2 });
    expect(job.error?.message).toContain('stand-in: no training here'); // the worker ran: the base check passed
    expect(logsOf(app, job.id)).toContain(`base ${base} | ${base}`);
  }, 60_000);

  it("a generate job finds anything-v5 in the app's cache, and its warm worker loads that folder", async () => {
    const { modelCache, base } = appCacheWithBase();
    const spawn = { command: process.execPath, args: ['-e', BASE_ECHO_WORKER], cwd: process.cwd() };
    const generation = new WarmGenerationService(
      (name, cache) =>
        new GenerationWorker(name, spawn, { apiBaseModel: true, ...(cache ? { modelCache: cache } : {}) }),
    );
    const app = await makeApp({
      modelCache,
      generation,
      runners: (deps) => ({ generate: createGenerateRunner(deps) }),
    });
    const res = await submitGenerateJob(app, { baseModel: 'anything-v5', seeds: [1] }, [1]);
    expect(res.statusCode).toBe(201);
    await app.queue.whenIdle();
    const job = app.jobStore.getJob(res.json().id);
    expect(job.error).toBeNull();
    expect(job.status).toBe('succeeded');
    expect(logsOf(app, job.id)).toContain(`base ${base} | ${base}`);
  }, 60_000);
});

describe("a prep job reads the app's modelCache", () => {
  it("a model missing from the app's TOONLORA_HOME fails the job with the Models page's pull", async () => {
    // the web text names no server path any more (it leads with the Models page); the CLI's names the app's home
    const { modelCache } = appCacheWithBase();
    const app = await makeApp({ modelCache, runners: (deps) => ({ prep: createPrepRunner(deps) }) });
    const { characterId } = await seedUploads(app);
    const res = await app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { kind: 'prep', characterId, params: { options: { segmenter: 'isnet-anime' } } },
    });
    expect(res.statusCode).toBe(201);
    await app.queue.whenIdle();
    const job = app.jobStore.getJob(res.json().id);
    expect(job.status).toBe('failed');
    expect(job.error).toEqual({
      code: 'TL_ERR_MODEL_MISSING',
      // before: the server path and `toonlora models pull isnet-anime` led, the Models page came last
      message: 'isnet-anime is not downloaded on the server: pull it on the Models page.',
    });
  }, 120_000);
});
