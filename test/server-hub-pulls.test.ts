// test/server-hub-pulls.test.ts — pulling any Hub repo `owner/name` from the web API (its `/` as %2F in
// /api/models/:id/pull) against a fake Hub (fake-sd15-hub.ts): the pull, its stream and its row; one pull per
// repo, and a registry model's repo is that model's pull; cancel and resume; the CLI's refusals (SDXL before any
// weights, gated, missing, offline); the Train form's base list; a train job on the pulled base.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTrainRunner } from '../src/jobs/runners/train-runner.js';
import { pullModel } from '../src/models/pull.js';
import type { BaseModelChoice } from '../src/schemas/api.js';
import type { ModelPull, ModelRow } from '../src/schemas/models-api.js';
import type { AppOptions } from '../src/server/app.js';
import {
  GATED_REPO,
  HELD_FILE,
  HUB_COMMIT,
  SD15_PULL_BYTES,
  SD15_REPO,
  SD15_HUB,
  SDXL_REPO,
} from './helpers/fake-sd15-hub.js';
import { fakeHubForFile } from './helpers/fake-hub-server.js';
import { hubPullApp } from './helpers/hub-pull-app.js';
import { pullEnded, pullOf as pullOfModel } from './helpers/model-pull-polls.js';
import { parseSse, seedDataset, tempDataDir } from './helpers/server-fixtures.js';

const URL_ID = encodeURIComponent(SD15_REPO);
// registered before the hub's after-each, so it runs after it (vitest runs them last-registered first)
afterEach(() => {
  vi.unstubAllEnvs();
});
const apps: FastifyInstance[] = [];
const hub = fakeHubForFile(SD15_HUB, apps);

const startApp = (env: Record<string, string> = {}, runners?: AppOptions['runners']) =>
  hubPullApp(hub, apps, 'hubpull', { env, ...(runners ? { runners } : {}) });

const snapshotOf = (homeDir: string, repo = SD15_REPO) =>
  join(
    homeDir,
    '.cache',
    'huggingface',
    'hub',
    `models--${repo.replace('/', '--')}`,
    'snapshots',
    HUB_COMMIT,
  );

const pullOf = (app: FastifyInstance, id = SD15_REPO) => pullOfModel(app, id);
const ended = (app: FastifyInstance, id = SD15_REPO) => pullEnded(app, id);

/** Polls until the held UNet weights' first half is on disk. */
async function halfReceived(app: FastifyInstance): Promise<void> {
  await hub.halfSent();
  await vi.waitFor(
    async () => expect(await pullOf(app)).toMatchObject({ file: HELD_FILE, fileReceivedBytes: 32 * 1024 }),
    { timeout: 10_000, interval: 25 },
  );
}

async function rowOf(app: FastifyInstance, id = SD15_REPO): Promise<ModelRow | undefined> {
  const res = await app.inject({ method: 'GET', url: '/api/models' });
  return (res.json().models as ModelRow[]).find((row) => row.id === id);
}

async function baseModels(app: FastifyInstance): Promise<BaseModelChoice[]> {
  return (await app.inject({ method: 'GET', url: '/api/base-models' })).json().baseModels;
}

describe('POST /api/models/owner%2Fname/pull (any Hub repo, an SD1.5 base)', () => {
  it('pulls it, streams its progress, lists it complete, and the Train form offers it', async () => {
    const { app, homeDir } = await startApp();
    expect((await baseModels(app)).map((b) => b.name)).not.toContain(SD15_REPO);
    hub.hold = true;
    const started = await app.inject({ method: 'POST', url: `/api/models/${URL_ID}/pull` });
    expect(started.statusCode).toBe(202);
    expect(started.json()).toMatchObject({ model: SD15_REPO, status: 'running', modelBytes: null });
    await halfReceived(app);
    // one pull per repo: asking again (by the same id) gets the running one
    const again = await app.inject({ method: 'POST', url: `/api/models/${URL_ID}/pull` });
    expect(again.statusCode).toBe(200);
    expect(again.json().startedAt).toBe(started.json().startedAt);
    expect((await rowOf(app))?.pull?.status).toBe('running'); // its row, with the pull, while it runs
    const stream = app.inject({ method: 'GET', url: `/api/models/${URL_ID}/pull/stream` });
    hub.release();
    const events = parseSse((await stream).body).map((e) => e.data as ModelPull);
    expect(events.at(-1)).toMatchObject({ model: SD15_REPO, status: 'succeeded', filesDone: 10 });
    expect(events.at(-1)?.doneBytes).toBe(SD15_PULL_BYTES);
    expect(events.find((e) => e.file === HELD_FILE)?.fileTotalBytes).toBe(64 * 1024);
    expect(hub.requests.filter((r) => r.includes('README'))).toEqual([]);
    expect(await rowOf(app)).toMatchObject({
      origin: 'hub',
      state: 'complete',
      path: snapshotOf(homeDir),
      pull: { status: 'succeeded' },
    });
    expect((await baseModels(app)).find((b) => b.name === SD15_REPO)).toEqual({
      name: SD15_REPO,
      aliases: [SD15_REPO],
      present: true,
      description: expect.stringContaining('SD1.5 base pulled from the Hugging Face Hub'),
    });
  });

  it('cancels with the partial file kept; the row then offers the resume, which fetches only the rest', async () => {
    const { app } = await startApp();
    hub.hold = true;
    await app.inject({ method: 'POST', url: `/api/models/${URL_ID}/pull` });
    await halfReceived(app);
    const cancelled = await app.inject({ method: 'DELETE', url: `/api/models/${URL_ID}/pull` });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json().status).toBe('cancelled');
    expect(cancelled.json().message).toMatch(
      new RegExp(`^cancelled; ${SD15_REPO}: the partial file .*${HELD_FILE}\\.part \\(32\\.8 kB\\) is kept`),
    );
    const row = await rowOf(app);
    expect(row).toMatchObject({ origin: 'hub', state: 'partial', pull: { status: 'cancelled' } });
    expect(row?.downloadedBytes).toBeGreaterThanOrEqual(32 * 1024);
    // a half-pulled base is not offered to the Train form
    expect((await baseModels(app)).map((b) => b.name)).not.toContain(SD15_REPO);
    hub.hold = false;
    hub.requests.length = 0;
    expect((await app.inject({ method: 'POST', url: `/api/models/${URL_ID}/pull` })).statusCode).toBe(202);
    expect((await ended(app)).status).toBe('succeeded');
    expect(hub.requests).toContain(`${SD15_REPO}:${HELD_FILE} bytes=${32 * 1024}-`);
    expect((await rowOf(app))?.state).toBe('complete');
  });

  it('refuses an SDXL repo after its two small configs, keeping nothing, in the words of `models pull`', async () => {
    const { app, cache } = await startApp();
    const cli = (await pullModel(SDXL_REPO, cache).catch((e: unknown) => e)) as Error & { code: string };
    hub.requests.length = 0;
    const res = await app.inject({
      method: 'POST',
      url: `/api/models/${encodeURIComponent(SDXL_REPO)}/pull`,
    });
    expect(res.statusCode).toBe(202);
    const pull = await ended(app, SDXL_REPO);
    expect(pull.status).toBe('failed');
    expect(pull.error).toEqual({ code: 'TL_ERR_INPUT_INVALID', message: cli.message });
    expect(pull.error?.message).toContain('names a StableDiffusionXLPipeline, not a StableDiffusionPipeline');
    expect(hub.requests.filter((r) => !r.startsWith('/api/'))).toEqual([
      `${SDXL_REPO}:model_index.json`,
      `${SDXL_REPO}:unet/config.json`,
    ]);
    // listed (so the page shows why), missing, and never a base
    expect(await rowOf(app, SDXL_REPO)).toMatchObject({
      origin: 'hub',
      state: 'missing',
      pull: { status: 'failed' },
    });
    expect((await baseModels(app)).map((b) => b.name)).not.toContain(SDXL_REPO);
  });

  it('says a gated repo needs a token, a missing one is not on the Hub, and offline nothing is fetched', async () => {
    const { app } = await startApp();
    const failure = async (repo: string) => {
      await app.inject({ method: 'POST', url: `/api/models/${encodeURIComponent(repo)}/pull` });
      return (await ended(app, repo)).error;
    };
    const gated = await failure(GATED_REPO);
    expect(gated?.code).toBe('TL_ERR_DOWNLOAD');
    expect(gated?.message).toMatch(/401/);
    expect(gated?.message).toMatch(/HF_TOKEN/);
    const missing = await failure('someone/no-such-repo');
    expect(missing?.code).toBe('TL_ERR_DOWNLOAD');
    expect(missing?.message).toMatch(/404/);
    const offline = await startApp({ HF_HUB_OFFLINE: '1' });
    hub.requests.length = 0;
    await offline.app.inject({ method: 'POST', url: `/api/models/${URL_ID}/pull` });
    const pull = await ended(offline.app);
    expect(pull.error?.code).toBe('TL_ERR_DOWNLOAD');
    expect(pull.error?.message).toContain('HF_HUB_OFFLINE');
    expect(hub.requests).toEqual([]);
  });

  it("takes a registry model's repo as that model's pull, and answers 404 for an id that is neither", async () => {
    const { app } = await startApp();
    const bad = await app.inject({ method: 'POST', url: '/api/models/not..a%2Fr%2Fepo/pull' });
    expect(bad.statusCode).toBe(404);
    expect(bad.json().error.message).toContain('or a Hugging Face Hub id `owner/name`');
    const res = await app.inject({
      method: 'GET',
      url: `/api/models/${encodeURIComponent('SmilingWolf/wd-vit-tagger-v3')}/pull`,
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toBe(
      'model wd-vit-tagger-v3: no pull since the server started. POST /api/models/wd-vit-tagger-v3/pull starts one.',
    );
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const post = doc.paths['/api/models/{id}/pull'].post;
    expect(post.summary).toContain('any Hub repo `owner/name` (`/` as %2F)');
    expect(post.parameters[0].schema.description).toContain('any Hub repo `owner/name`');
  });
});

/** A train worker that says which base it was given, then fails (this test needs no training). */
const BASE_ECHO_TRAINER = `
let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  const base = JSON.parse(input).config.baseModel;
  process.stdout.write(JSON.stringify({ version: 1, type: 'log', level: 'info', message: 'base ' + base }) + '\\n');
  process.exit(3);
});`;

describe('a train job on a base pulled here by Hub id', () => {
  it('loads the pulled snapshot, as `train --base owner/name` does', async () => {
    const hfHome = tempDataDir('hubpull-hf');
    vi.stubEnv('HF_HOME', hfHome); // the job's worker reads the process's cache, as on a real server
    vi.stubEnv('HF_HUB_CACHE', '');
    const spawn = { command: process.execPath, args: ['-e', BASE_ECHO_TRAINER], cwd: process.cwd() };
    const { app } = await startApp({ HF_HOME: hfHome }, (deps) => ({
      train: createTrainRunner(deps, { spawn }),
    }));
    await app.inject({ method: 'POST', url: `/api/models/${URL_ID}/pull` });
    expect((await ended(app)).status).toBe('succeeded');
    const { characterId, datasetId } = await seedDataset(app);
    const res = await app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { kind: 'train', characterId, params: { datasetId, training: { baseModel: SD15_REPO } } },
    });
    expect(res.statusCode).toBe(201);
    await app.queue.whenIdle();
    const logs = app.jobStore
      .listEvents(res.json().id, 0)
      .flatMap((e) => (e.body.type === 'log' ? [e.body.message] : []));
    const snapshot = join(hfHome, 'hub', `models--${SD15_REPO.replace('/', '--')}`, 'snapshots', HUB_COMMIT);
    expect(logs).toContain(`base ${snapshot}`);
  }, 30_000);
});
