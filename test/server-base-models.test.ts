// test/server-base-models.test.ts — base models over the API (fastify `inject`, no port): the list a job may
// name, and an owner/name read from the server's Hugging Face cache, never from its working folder.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createDefaultRunners } from '../src/jobs/runners/default-runners.js';
import { WarmGenerationService } from '../src/jobs/warm-generation.js';
import { writeSd15Snapshot } from '../src/models/sd15-testing.js';
import { GenerationWorker } from '../src/worker/generation-worker.js';
import { BASE_ECHO_WORKER } from './helpers/base-jobs.js';
import { submitGenerateJob } from './helpers/job-stand-ins.js';
import { seedDataset, tempDataDir } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach();

describe('base models', () => {
  it('lists the bases a job may name, and whether the server has each on disk', async () => {
    const root = tempDataDir('models');
    const modelCache = { env: { TOONLORA_HOME: join(root, 'tl'), HF_HOME: join(root, 'hf') } };
    const app = await makeApp({ modelCache });
    const res = await app.inject({ method: 'GET', url: '/api/base-models' });
    expect(res.statusCode).toBe(200);
    const { baseModels } = res.json();
    expect(baseModels.map((b: { name: string; present: boolean }) => [b.name, b.present])).toEqual([
      ['anything-v5', false],
      ['tiny', true],
    ]);
    expect(baseModels[0].aliases).toContain('stablediffusionapi/anything-v5');
  });
});

describe('base models named over the API', () => {
  it("reads owner/name from the server's Hugging Face cache, never as a folder in the server's working folder", async () => {
    const cwd = tempDataDir('cwd');
    mkdirSync(join(cwd, 'someone', 'hub-model'), { recursive: true });
    mkdirSync(join(cwd, 'someone', 'local-only'), { recursive: true });
    const hubCache = tempDataDir('hub');
    const snapshot = writeSd15Snapshot(join(hubCache, 'models--someone--hub-model', 'snapshots', 'c0ffee'));
    vi.stubEnv('HF_HUB_CACHE', hubCache);
    const before = process.cwd();
    process.chdir(cwd);
    try {
      const spawn = { command: process.execPath, args: ['-e', BASE_ECHO_WORKER], cwd: before };
      const generation = new WarmGenerationService(
        (base) => new GenerationWorker(base, spawn, { apiBaseModel: true }),
      );
      const app = await makeApp({ runners: createDefaultRunners, generation });
      const hub = await submitGenerateJob(app, { baseModel: 'someone/hub-model', seeds: [1] }, [1]);
      expect(hub.statusCode).toBe(201);
      await app.queue.whenIdle();
      expect(app.jobStore.getJob(hub.json().id).status).toBe('succeeded');
      const logs = app.jobStore
        .listEvents(hub.json().id, 0)
        .flatMap((e) => (e.body.type === 'log' ? [e.body.message] : []));
      expect(logs).toContain(`base ${snapshot} | ${snapshot}`); // the cache's folder, not ./someone/hub-model
      // a folder of that name under the server's cwd is not a base model: the job names the download
      const { characterId, datasetId } = await seedDataset(app, 'Sora');
      for (const [kind, params] of [
        ['generate', { generation: { baseModel: 'someone/local-only' } }],
        ['train', { datasetId, training: { baseModel: 'someone/local-only' } }],
      ] as const) {
        const res = await app.inject({
          method: 'POST',
          url: '/api/jobs',
          payload: { kind, characterId, params },
        });
        expect(res.statusCode, kind).toBe(201);
        await app.queue.whenIdle();
        const { error } = app.jobStore.getJob(res.json().id);
        expect(error, kind).toEqual({
          code: 'TL_ERR_MODEL_MISSING',
          message: 'someone/local-only is not downloaded on the server: pull it on the Models page.',
        });
      }
    } finally {
      process.chdir(before);
      vi.unstubAllEnvs();
    }
  });
});
