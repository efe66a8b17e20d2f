// test/server-model-pulls.test.ts — /api/models and pulling a model from the web API against a fake Hub
// (HF_ENDPOINT): the list's disk states, a pull that finishes (and its event stream), a second request that
// gets the running pull, cancel and shutdown keeping the `.part` (and the next pull resuming it), errors in
// the CLI's words (offline, sha mismatch, disk full), 503 while shutting down, auth, OpenAPI.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { acquireInstallLock } from '../src/host/install-lock.js';
import { cliWordsIn } from '../src/jobs/job-error-hints.js';
import type { JobRunners } from '../src/jobs/job-queue.js';
import { findModelFile } from '../src/models/cache.js';
import { pullModel } from '../src/models/pull.js';
import { writeSd15Snapshot } from '../src/models/sd15-testing.js';
import type { ModelPull, ModelRow } from '../src/schemas/models-api.js';
import { buildApp } from '../src/server/app.js';
import { CANCEL_WAIT_MS, type PullOverrides } from '../src/server/routes/models/model-pulls.js';
import { byHandInWebWords, downloadErrorInWebWords } from '../src/server/routes/models/pull-state.js';
import { stopServer } from '../src/server/server.js';
import { ONNX, TAGGER_HUB, TAGS } from './helpers/fake-hub.js';
import { fakeHubForFile } from './helpers/fake-hub-server.js';
import { pullEnded, pullOf as pullOfModel } from './helpers/model-pull-polls.js';
import { parseSse, seedDataset, tempDataDir, untilStopped } from './helpers/server-fixtures.js';

const MODEL = 'wd-vit-tagger-v3';
const apps: FastifyInstance[] = [];
const hub = fakeHubForFile(TAGGER_HUB, apps);

interface Setup {
  env?: Record<string, string>;
  runners?: JobRunners;
  overrides?: PullOverrides;
  token?: string;
}

async function startApp(setup: Setup = {}) {
  const homeDir = mkdtempSync(join(tmpdir(), 'toonlora-webpull-home-'));
  const cache = { env: { HF_ENDPOINT: hub.endpoint, ...setup.env }, homeDir };
  const app = await buildApp({
    dataDir: tempDataDir('webpull'),
    webDir: '/nonexistent',
    deferJobs: true,
    modelCache: cache,
    modelPulls: { retries: 0, idleTimeoutMs: 5_000, ...setup.overrides },
    ...(setup.token ? { token: setup.token } : {}),
    ...(setup.runners ? { runners: setup.runners } : {}),
  });
  apps.push(app);
  await app.ready();
  return { app, cache, homeDir };
}

const pullOf = (app: FastifyInstance, id = MODEL) => pullOfModel(app, id);
const ended = (app: FastifyInstance, id = MODEL) => pullEnded(app, id);

/** Polls the pull until model.onnx's first half (all the held fake Hub sends) is on disk. */
async function halfReceived(app: FastifyInstance): Promise<void> {
  await hub.halfSent();
  await vi.waitFor(
    async () =>
      expect(await pullOf(app)).toMatchObject({ file: 'model.onnx', fileReceivedBytes: ONNX.length / 2 }),
    { timeout: 10_000, interval: 25 },
  );
}

async function rowOf(app: FastifyInstance, id = MODEL): Promise<ModelRow> {
  const res = await app.inject({ method: 'GET', url: '/api/models' });
  expect(res.statusCode).toBe(200);
  return (res.json().models as ModelRow[]).find((row) => row.id === id) as ModelRow;
}

/** The `.part` file the fake Hub's held model.onnx is being written to (the HF cache's partial folder). */
function partFiles(homeDir: string): string[] {
  const dir = join(homeDir, '.cache', 'huggingface', 'hub', 'models--SmilingWolf--wd-vit-tagger-v3');
  const found: string[] = [];
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, name.name);
      if (name.isDirectory()) walk(path);
      else if (name.name.endsWith('.part')) found.push(path);
    }
  };
  walk(dir);
  return found;
}

describe('GET /api/models', () => {
  it('lists every registry model with what it is for, its size and complete / partial / missing', async () => {
    const { app, homeDir } = await startApp();
    const rows = (await app.inject({ method: 'GET', url: '/api/models' })).json().models as ModelRow[];
    expect(rows.map((r) => r.id)).toContain('anything-v5');
    const tagger = rows.find((r) => r.id === MODEL) as ModelRow;
    expect(tagger).toMatchObject({ state: 'missing', pull: null, stages: ['prep:captioning'] });
    expect(tagger.description).toMatch(/WD14/);
    // the Models page's "without it" names the Upload page's field, not prep's --captioner flag
    expect(tagger.whenMissing).toBe('"Captions" auto captions without tags; wd14 fails');
    expect(rows.flatMap((row) => cliWordsIn(row.whenMissing).map((words) => `${row.id}: ${words}`))).toEqual(
      [],
    );
    expect(tagger.sizeBytes).toBeGreaterThan(300_000_000);
    // the npm-shipped detector is always there
    expect(rows.find((r) => r.id === 'paddleocr-det-v4')?.state).toBe('complete');
    // one of the tagger's two files placed by hand: partial
    const manual = join(homeDir, '.cache', 'toonlora', 'models', MODEL);
    mkdirSync(manual, { recursive: true });
    writeFileSync(join(manual, 'selected_tags.csv'), TAGS);
    expect((await rowOf(app)).state).toBe('partial');
  });

  it('shows the .part files an earlier process left as partial, with the bytes on disk a pull resumes from', async () => {
    const { app, homeDir } = await startApp();
    const repo = join(homeDir, '.cache', 'huggingface', 'hub', 'models--stablediffusionapi--anything-v5');
    expect(await rowOf(app, 'anything-v5')).toMatchObject({
      state: 'missing',
      downloadedBytes: 0,
      partBytes: 0,
    });
    // a diffusers snapshot pull stopped in the UNet's weights: a config committed, the weights a .part
    mkdirSync(join(repo, 'snapshots', 'c'.repeat(40)), { recursive: true });
    writeFileSync(join(repo, 'snapshots', 'c'.repeat(40), 'model_index.json'), '{}');
    mkdirSync(join(repo, '.toonlora-partial', 'main', 'unet'), { recursive: true });
    writeFileSync(
      join(repo, '.toonlora-partial', 'main', 'unet', 'diffusion_pytorch_model.safetensors.part'),
      '',
    );
    truncateSync(
      join(repo, '.toonlora-partial', 'main', 'unet', 'diffusion_pytorch_model.safetensors.part'),
      1_500_000,
    );
    expect(await rowOf(app, 'anything-v5')).toMatchObject({
      state: 'partial',
      partBytes: 1_500_000,
      downloadedBytes: 1_500_002,
      origin: 'registry',
    });
    // only a .part, nothing committed (the tagger's first file stopped half-way): partial too
    const tagger = join(homeDir, '.cache', 'huggingface', 'hub', 'models--SmilingWolf--wd-vit-tagger-v3');
    mkdirSync(join(tagger, '.toonlora-partial', 'main'), { recursive: true });
    writeFileSync(join(tagger, '.toonlora-partial', 'main', 'model.onnx.part'), ONNX.subarray(0, 1000));
    expect(await rowOf(app)).toMatchObject({ state: 'partial', partBytes: 1000, downloadedBytes: 1000 });
  });

  it('lists the SD1.5 bases pulled by Hub id after the registry, read-only, complete or partial', async () => {
    const { app, homeDir } = await startApp();
    const repo = join(homeDir, '.cache', 'huggingface', 'hub', 'models--someone--toon-sd15');
    const snapshot = writeSd15Snapshot(join(repo, 'snapshots', 'c'.repeat(40)));
    writeSd15Snapshot(
      join(homeDir, '.cache', 'huggingface', 'hub', 'models--someone--half', 'snapshots', 'c'),
      ['unet/diffusion_pytorch_model.safetensors'],
    );
    const rows = (await app.inject({ method: 'GET', url: '/api/models' })).json().models as ModelRow[];
    expect(rows.at(-1)).toMatchObject({
      id: 'someone/toon-sd15',
      origin: 'hub',
      state: 'complete',
      path: snapshot,
      stages: ['train', 'generate'],
      pull: null,
    });
    expect(rows.at(-1)?.sizeBytes).toBeGreaterThan(0);
    // a stopped pull (no UNet weights yet): partial, with the bytes on disk that `models pull` resumes from
    const half = rows.find((r) => r.id === 'someone/half');
    expect(half).toMatchObject({ origin: 'hub', state: 'partial' });
    expect(half?.downloadedBytes).toBeGreaterThan(0);
    expect(rows.filter((r) => r.origin === 'hub')).toHaveLength(2);
  });

  it('is in /openapi.json with its pull routes, and asks for the token like every /api route', async () => {
    const { app } = await startApp({ token: 'a-token-of-16-chars-or-more' });
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/models', '/api/models/{id}/pull', '/api/models/{id}/pull/stream']),
    );
    expect(Object.keys(doc.paths['/api/models/{id}/pull'].post.responses)).toEqual(
      expect.arrayContaining(['200', '202', '404', '503']),
    );
    expect((await app.inject({ method: 'GET', url: '/api/models' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: `/api/models/${MODEL}/pull` })).statusCode).toBe(401);
    const authed = await app.inject({
      method: 'GET',
      url: '/api/models',
      headers: { authorization: 'Bearer a-token-of-16-chars-or-more' },
    });
    expect(authed.statusCode).toBe(200);
  });
});

describe('POST /api/models/:id/pull', () => {
  it('pulls the model, streams its progress, and the list then says complete', async () => {
    const { app, cache } = await startApp();
    hub.hold = true;
    const started = await app.inject({ method: 'POST', url: `/api/models/${MODEL}/pull` });
    expect(started.statusCode).toBe(202);
    expect(started.json()).toMatchObject({ model: MODEL, status: 'running', error: null });
    await halfReceived(app);
    const stream = app.inject({ method: 'GET', url: `/api/models/${MODEL}/pull/stream` });
    hub.release();
    const events = parseSse((await stream).body).map((e) => e.data as ModelPull);
    expect(events.at(-1)).toMatchObject({ status: 'succeeded', filesDone: 2 });
    expect(events.at(-1)?.doneBytes).toBe(ONNX.length + Buffer.byteLength(TAGS));
    const during = events.find((e) => e.status === 'running' && e.file === 'model.onnx');
    expect(during?.fileReceivedBytes).toBe(ONNX.length / 2);
    expect(during?.fileTotalBytes).toBe(ONNX.length);
    expect(events.map((e) => Number(e.seq))).toEqual([...events.map((e) => e.seq)].sort((a, b) => a - b));
    expect((await rowOf(app)).state).toBe('complete');
    expect(readFileSync(findModelFile(MODEL, 'model.onnx', cache) as string)).toEqual(ONNX);
  });

  it('publishes the last progress of a download that stalls (the throttle holds it back only a moment)', async () => {
    const { app } = await startApp();
    hub.hold = true;
    await app.inject({ method: 'POST', url: `/api/models/${MODEL}/pull` });
    const seen: ModelPull[] = [];
    app.modelPulls.subscribe(MODEL, (pull) => seen.push(pull));
    await halfReceived(app);
    // the download stalls here (the Hub holds the second half): only the throttle's trailing publish can say it
    await vi.waitFor(
      () => expect(seen.at(-1)).toMatchObject({ file: 'model.onnx', fileReceivedBytes: ONNX.length / 2 }),
      { timeout: 5_000, interval: 25 },
    );
    hub.release();
    expect((await ended(app)).status).toBe('succeeded');
  });

  it('gives a second request the running pull instead of downloading twice', async () => {
    const { app } = await startApp();
    hub.hold = true;
    const first = await app.inject({ method: 'POST', url: `/api/models/${MODEL}/pull` });
    await halfReceived(app);
    const second = await app.inject({ method: 'POST', url: `/api/models/${MODEL}/pull` });
    expect(second.statusCode).toBe(200);
    expect(second.json().startedAt).toBe(first.json().startedAt);
    expect((await rowOf(app)).pull?.status).toBe('running');
    hub.release();
    expect((await ended(app)).status).toBe('succeeded');
    expect(hub.requests.filter((r) => r.endsWith('model.onnx'))).toHaveLength(1);
  });

  it("cancels at once a pull waiting for another process's lock on the model (not `stopping` after 10 s)", async () => {
    const { app, homeDir } = await startApp();
    const lock = await acquireInstallLock(join(homeDir, '.cache', 'toonlora', 'downloads', `${MODEL}.lock`), {
      what: `model ${MODEL}`,
    });
    try {
      await app.inject({ method: 'POST', url: `/api/models/${MODEL}/pull` });
      await vi.waitFor(
        async () =>
          expect((await pullOf(app)).message).toContain('another toonlora process is installing model'),
        { timeout: 10_000, interval: 25 },
      );
      const startedAt = performance.now();
      const cancelled = await app.inject({ method: 'DELETE', url: `/api/models/${MODEL}/pull` });
      expect(performance.now() - startedAt).toBeLessThan(CANCEL_WAIT_MS / 2);
      expect(cancelled.json()).toMatchObject({
        status: 'cancelled',
        message: `cancelled; ${MODEL}: nothing partial was kept`,
      });
      expect(hub.requests).toEqual([]);
    } finally {
      await lock.release();
    }
  }, 30_000);

  it('cancels: the partial file is kept, said as the CLI says it, and the next pull resumes it', async () => {
    const { app, homeDir } = await startApp();
    hub.hold = true;
    await app.inject({ method: 'POST', url: `/api/models/${MODEL}/pull` });
    await halfReceived(app);
    // received is counted as bytes pass on their way to the file: under load the last chunk was still being written
    // when the cancel dropped it (the file held 130805 of 131072 bytes; the next pull then resumes from there)
    await vi.waitFor(() => expect(statSync(partFiles(homeDir)[0] as string).size).toBe(ONNX.length / 2), {
      timeout: 10_000,
      interval: 25,
    });
    const cancelled = await app.inject({ method: 'DELETE', url: `/api/models/${MODEL}/pull` });
    expect(cancelled.statusCode).toBe(200);
    const pull = cancelled.json() as ModelPull;
    const [part] = partFiles(homeDir);
    expect(part).toBeDefined();
    expect(statSync(part as string).size).toBe(ONNX.length / 2);
    expect(pull.status).toBe('cancelled');
    expect(pull.message).toBe(
      `cancelled; ${MODEL}: the partial file ${part} (131 kB) is kept and the next pull resumes it`,
    );
    const again = await app.inject({ method: 'DELETE', url: `/api/models/${MODEL}/pull` });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toBe(
      `model ${MODEL}: no pull is running (the last one cancelled); nothing to cancel.`,
    );
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    // 400 (id not matching its pattern) and 415 (a body of another type) are declared on every such route
    expect(Object.keys(doc.paths['/api/models/{id}/pull'].delete.responses)).toEqual([
      '200',
      '400',
      '404',
      '409',
      '415',
    ]);
    hub.hold = false;
    hub.release();
    expect((await app.inject({ method: 'POST', url: `/api/models/${MODEL}/pull` })).statusCode).toBe(202);
    expect((await ended(app)).status).toBe('succeeded');
    expect(hub.requests).toContain(
      `/SmilingWolf/wd-vit-tagger-v3/resolve/main/model.onnx bytes=${ONNX.length / 2}-`,
    );
  });

  it('reports a sha256 mismatch, an unreachable Hub and a full disk in the words of `models pull` (by-hand steps in web words)', async () => {
    // the message the CLI prints (`toonlora models pull: <message> [<code>]`) is pullModel's error's
    const cliError = async (cache: object, overrides: PullOverrides) =>
      pullModel(MODEL, { ...cache, ...overrides }).then(
        () => {
          throw new Error('the pull should have failed');
        },
        (error: { code: string; message: string; details: unknown }) => {
          cliDetails = error.details;
          return { code: error.code, message: error.message };
        },
      );
    let cliDetails: unknown;
    hub.statedSha256 = 'f'.repeat(64);
    const bad = await startApp();
    await bad.app.inject({ method: 'POST', url: `/api/models/${MODEL}/pull` });
    const badPull = await ended(bad.app);
    expect(badPull.status).toBe('failed');
    expect(badPull.error?.code).toBe('TL_ERR_CHECKSUM');
    expect(badPull.error?.message).toMatch(/model\.onnx is corrupted \(sha256: expected f{64}/);
    expect(badPull.error).toEqual(await cliError(bad.cache, { retries: 0 }));

    const offline = await startApp({ env: { HF_ENDPOINT: 'http://127.0.0.1:9' } });
    await offline.app.inject({ method: 'POST', url: `/api/models/${MODEL}/pull` });
    const offlinePull = await ended(offline.app);
    expect(offlinePull.error?.code).toBe('TL_ERR_DOWNLOAD');
    // the same, but the by-hand steps (a path on the server) worded for the web app (they were the CLI's)
    const offlineCli = await cliError(offline.cache, { retries: 0 });
    expect(offlineCli.message).toMatch(/by hand|Without network/);
    expect(offlinePull.error).toEqual({
      code: offlineCli.code,
      message: downloadErrorInWebWords(offlineCli.message, cliDetails, MODEL),
    });
    expect(offlinePull.error?.message).toContain(byHandInWebWords(MODEL));

    const full = await startApp({ overrides: { freeBytes: async () => 1000 } });
    await full.app.inject({ method: 'POST', url: `/api/models/${MODEL}/pull` });
    const fullPull = await ended(full.app);
    expect(fullPull.error?.code).toBe('TL_ERR_OUTPUT_WRITE');
    expect(fullPull.error).toEqual(await cliError(full.cache, { freeBytes: async () => 1000 }));
    expect((await rowOf(full.app)).pull?.status).toBe('failed');
  });

  it('answers 404 for an id the registry does not have', async () => {
    const { app } = await startApp();
    const res = await app.inject({ method: 'POST', url: '/api/models/no-such-model/pull' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('TL_ERR_MODEL_UNKNOWN');
    expect((await app.inject({ method: 'GET', url: `/api/models/${MODEL}/pull` })).statusCode).toBe(404);
  });

  it('on shutdown stops the pull at once (interrupted, .part kept) and answers 503 while jobs still stop', async () => {
    // a train job that takes a while to stop holds stopServer in the queue's close, as a checkpoint save does
    let jobStopped = false;
    const { app, homeDir } = await startApp({
      runners: {
        train: async ({ signal }) => {
          await untilStopped(signal).catch(() => new Promise((resolve) => setTimeout(resolve, 1000)));
          jobStopped = true;
          throw new Error('stopped');
        },
      },
    });
    app.queue.start();
    const { characterId, datasetId } = await seedDataset(app);
    app.queue.submit('train', characterId, { datasetId });
    hub.hold = true;
    await app.inject({ method: 'POST', url: `/api/models/${MODEL}/pull` });
    await halfReceived(app);
    const stopping = stopServer(app);
    const pull = await ended(app);
    expect(jobStopped).toBe(false);
    expect(pull.status).toBe('interrupted');
    expect(pull.message).toMatch(/^server shutting down; wd-vit-tagger-v3: the partial file .* is kept/);
    const refused = await app.inject({ method: 'POST', url: '/api/models/lama/pull' });
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error.message).toMatch(/^server is shutting down: it starts no model pull/);
    await stopping;
    expect(jobStopped).toBe(true);
    apps.splice(apps.indexOf(app), 1);
    expect(partFiles(homeDir)).toHaveLength(1);
  });
});
