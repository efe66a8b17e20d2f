// test/server-hub-pull-size.test.ts — the web API's pull of a Hub repo `owner/name` states the model's total size
// (`modelBytes`) once the pull has listed the repo, as a registry model's pull does from the start, against the
// fake Hub of fake-sd15-hub.ts; and a second pull of the complete copy states it too.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ModelPull } from '../src/schemas/models-api.js';
import { buildApp } from '../src/server/app.js';
import {
  type FakeSd15Hub,
  HELD_FILE,
  SD15_PULL_BYTES,
  SD15_REPO,
  startFakeSd15Hub,
} from './helpers/fake-sd15-hub.js';
import { tempDataDir } from './helpers/server-fixtures.js';

const URL_ID = encodeURIComponent(SD15_REPO);
let hub: FakeSd15Hub;
let app: FastifyInstance | undefined;

beforeAll(async () => {
  hub = await startFakeSd15Hub();
});
afterAll(async () => {
  hub.release();
  await hub.close();
});
afterEach(async () => {
  hub.hold = false;
  hub.release();
  await app?.close();
});

async function pullOf(): Promise<ModelPull> {
  return (await (app as FastifyInstance).inject({ method: 'GET', url: `/api/models/${URL_ID}/pull` })).json();
}

describe('POST /api/models/owner%2Fname/pull: the model size', () => {
  it('states modelBytes from the listing while the first file downloads, and again for a complete copy', async () => {
    const homeDir = mkdtempSync(join(tmpdir(), 'toonlora-hubsize-home-'));
    app = await buildApp({
      dataDir: tempDataDir('hubsize'),
      webDir: '/nonexistent',
      deferJobs: true,
      modelCache: { env: { HF_ENDPOINT: hub.endpoint }, homeDir },
      modelPulls: { retries: 0, retryDelayMs: 1, idleTimeoutMs: 5_000 },
    });
    await app.ready();
    hub.hold = true;
    await app.inject({ method: 'POST', url: `/api/models/${URL_ID}/pull` });
    await hub.halfSent();
    await vi.waitFor(async () => expect(await pullOf()).toMatchObject({ file: HELD_FILE }), {
      timeout: 10_000,
      interval: 25,
    });
    expect((await pullOf()).modelBytes).toBe(SD15_PULL_BYTES); // before (no hook): null
    hub.release();
    await vi.waitFor(async () => expect((await pullOf()).status).toBe('succeeded'), {
      timeout: 10_000,
      interval: 25,
    });
    await app.inject({ method: 'POST', url: `/api/models/${URL_ID}/pull` });
    await vi.waitFor(async () => expect((await pullOf()).status).toBe('succeeded'), {
      timeout: 10_000,
      interval: 25,
    });
    expect(await pullOf()).toMatchObject({ modelBytes: SD15_PULL_BYTES, filesDone: 0 });
  }, 30_000);
});
