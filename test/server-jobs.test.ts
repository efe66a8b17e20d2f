// test/server-jobs.test.ts — jobs through the API with stand-in runners (inject, no port): one job at
// a time, SSE progress, cancel, interrupted on restart + resume from the checkpoint, dataset review
// (caption edit, exclude) and the kohya zip.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobContext } from '../src/jobs/job-queue.js';
import { standInGenerationWorker } from '../src/jobs/generation-stand-in.js';
import { createDefaultRunners } from '../src/jobs/runners/default-runners.js';
import { WarmGenerationService } from '../src/jobs/warm-generation.js';
import { GenerationWorker } from '../src/worker/generate.js';
import { convertLora } from '../src/lora/convert.js';
import { makePeftTensors, writePeftFolder } from '../src/lora/lora-fixtures.js';
import { createTrainRunner } from '../src/jobs/runners/train-runner.js';
import { type AppOptions, buildApp } from '../src/server/app.js';
import { parseSse, readZipEntries, seedDataset, solidPng, tempDataDir } from './helpers/server-fixtures.js';
import { writeSd15Snapshot } from '../src/models/sd15-testing.js';

const apps: FastifyInstance[] = [];
async function makeApp(
  options: Partial<AppOptions> & { runners: NonNullable<AppOptions['runners']> },
): Promise<FastifyInstance> {
  const app = await buildApp({ dataDir: tempDataDir('jobs'), webDir: '/nonexistent', ...options });
  apps.push(app);
  await app.ready();
  return app;
}
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

/** A promise the test resolves by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** A stand-in train runner: `steps` progress events with a falling loss, a checkpoint per step. */
function fakeTrain(options: { steps?: number; hold?: Promise<void>; calls?: JobContext[] } = {}) {
  return async (context: JobContext) => {
    options.calls?.push(context);
    const steps = options.steps ?? 3;
    for (let step = 1; step <= steps; step++) {
      context.progress({ step, total: steps, loss: 1 / step, itPerS: 2, etaS: steps - step });
      context.emit({ type: 'checkpoint', step, path: `ckpt-${step}` });
    }
    if (options.hold) {
      await Promise.race([
        options.hold,
        new Promise((_, reject) =>
          context.signal.addEventListener('abort', () => reject(new Error('aborted'))),
        ),
      ]);
    }
    return { steps };
  };
}

/**
 * A stand-in generation worker that writes real PNGs; a weight's request waits for `holds[weight]`.
 * With `sampling`, it first reports the config's sampling steps to `onEvent`, as the Python worker does.
 */
function standInWorker(holds: Record<number, Promise<void>> = {}, sampling = false) {
  return standInGenerationWorker({
    ...(sampling ? { samplingItPerS: 10 } : {}),
    beforeReturn: (weight) => holds[weight],
    writeImage: async (path, width, height) => {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, await solidPng(width, height));
    },
  });
}

/**
 * A serve-generation worker process (node, no Python) that answers each generate request with one image
 * after four log lines: a warning tagged with the request's id (the same text every time, as a prompt
 * warning is), a warning tagged with another id, an untagged warning, and an info line with the id.
 */
const WARNING_WORKER = `
const emit = (event) => process.stdout.write(JSON.stringify({ version: 1, ...event }) + '\\n');
const lines = require('node:readline').createInterface({ input: process.stdin });
lines.once('line', () => {
  emit({ type: 'ready', load_s: 0.1, device: 'cpu' });
  lines.on('line', (line) => {
    const r = JSON.parse(line);
    if (r.command === 'shutdown') process.exit(0);
    emit({ type: 'log', level: 'warn', message: 'the prompt is 90 tokens long; CLIP reads only the first 75', id: r.id });
    emit({ type: 'log', level: 'warn', message: 'meant for another request', id: 'nobody' });
    emit({ type: 'log', level: 'warn', message: 'meant for no request' });
    emit({ type: 'log', level: 'info', message: 'LoRA swapped', id: r.id });
    emit({ type: 'done', artifacts: { images: [r.output_dir + '/seed-1.png'], grid: null }, stats: { swap_s: 0, generate_s: 0 }, id: r.id });
  });
});
`;

/** A serve-generation worker process that logs the base model it was started with and each request's. */
const BASE_ECHO_WORKER = `
const emit = (event) => process.stdout.write(JSON.stringify({ version: 1, ...event }) + '\\n');
const lines = require('node:readline').createInterface({ input: process.stdin });
lines.once('line', (first) => {
  const serve = JSON.parse(first);
  emit({ type: 'ready', load_s: 0.1, device: 'cpu' });
  lines.on('line', (line) => {
    const r = JSON.parse(line);
    if (r.command === 'shutdown') process.exit(0);
    emit({ type: 'log', level: 'warn', message: 'base ' + serve.base_model + ' | ' + r.config.baseModel, id: r.id });
    emit({ type: 'done', artifacts: { images: [], grid: null }, stats: { swap_s: 0, generate_s: 0 }, id: r.id });
  });
});
`;

/**
 * Creates a character with a LoRA (weights scale a LoRA: the API refuses them without one) and submits a generate
 * job sweeping it (tiny base); resolves to the inject response.
 */
async function submitGenerateJob(
  app: Awaited<ReturnType<typeof makeApp>>,
  generation: Record<string, unknown>,
  weights: number[],
) {
  const characterId = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' }).id;
  const lora = app.catalog.addArtifact({
    characterId,
    jobId: null,
    kind: 'lora',
    name: 'mina.safetensors',
    path: `loras/${characterId}.safetensors`,
  });
  // a real (tiny) kohya file: the runner checks it before the stand-in worker gets its path
  const peft = join(tempDataDir('peft'), 'adapter');
  const modules = ['down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q'];
  await writePeftFolder(peft, makePeftTensors({ modules, rank: 4, seed: 1 }), {
    r: 4,
    lora_alpha: 4,
    target_modules: ['to_q'],
  });
  const loraFile = app.catalog.artifactFilePath(lora.id);
  mkdirSync(dirname(loraFile), { recursive: true });
  await convertLora({ input: peft, output: loraFile, to: 'kohya' });
  return app.inject({
    method: 'POST',
    url: '/api/jobs',
    payload: {
      kind: 'generate',
      characterId,
      params: { loraId: lora.id, generation: { baseModel: 'tiny', ...generation }, weights },
    },
  });
}

/** Every file under `dir`, relative to the data folder, with `/` separators. */
function filesUnder(dataDir: string, dir: string): string[] {
  return (
    readdirSync(join(dataDir, dir), { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[]
  )
    .filter((entry) => entry.isFile())
    .map((entry) =>
      join(entry.parentPath, entry.name)
        .slice(dataDir.length + 1)
        .split('\\')
        .join('/'),
    )
    .sort();
}

async function waitFor<T>(read: () => T, ok: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (ok(value)) return value;
    if (Date.now() > end) throw new Error(`timed out; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('jobs', () => {
  it('runs a train job and streams status and progress as server-sent events', async () => {
    const app = await makeApp({ runners: { train: fakeTrain({ steps: 3 }) } });
    const { characterId, datasetId } = await seedDataset(app);
    const res = await app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { kind: 'train', characterId, params: { datasetId, training: { steps: 3 } } },
    });
    expect(res.statusCode).toBe(201);
    const job = res.json();
    expect(job.params.training).toMatchObject({
      steps: 3,
      snrGamma: 5,
      noiseOffset: 0.1,
      lora: { rank: 32 },
    });
    await app.queue.whenIdle();
    const stream = await app.inject({ method: 'GET', url: `/api/jobs/${job.id}/stream` });
    expect(stream.headers['content-type']).toBe('text/event-stream');
    const events = parseSse(stream.body);
    expect(events.map((event) => event.event)).toEqual([
      'status',
      'status',
      'progress',
      'checkpoint',
      'progress',
      'checkpoint',
      'progress',
      'checkpoint',
      'status',
    ]);
    const losses = events
      .filter((e) => e.event === 'progress')
      .map((e) => (e.data as { body: { progress: { loss: number } } }).body.progress.loss);
    expect(losses).toEqual([1, 0.5, 1 / 3]);
    const after = parseSse(
      (
        await app.inject({
          method: 'GET',
          url: `/api/jobs/${job.id}/stream`,
          headers: { 'last-event-id': '7' },
        })
      ).body,
    );
    expect(after.map((event) => event.id)).toEqual(['8', '9']);
    const done = (await app.inject({ method: 'GET', url: `/api/jobs/${job.id}` })).json();
    expect(done).toMatchObject({
      status: 'succeeded',
      result: { steps: 3 },
      checkpoint: 'ckpt-3',
      progress: { step: 3 },
    });
  });

  it('runs one job at a time; cancel works for running and queued jobs', async () => {
    const hold = gate();
    const app = await makeApp({ runners: { train: fakeTrain({ hold: hold.promise }) } });
    const { characterId, datasetId } = await seedDataset(app);
    const submit = async () =>
      (
        await app.inject({
          method: 'POST',
          url: '/api/jobs',
          payload: { kind: 'train', characterId, params: { datasetId } },
        })
      ).json();
    const first = await submit();
    const second = await submit();
    const third = await submit();
    await waitFor(
      () => app.jobStore.getJob(first.id).status,
      (status) => status === 'running',
    );
    expect(app.jobStore.getJob(second.id).status).toBe('queued');
    // a queued job says what it waits for
    expect(app.jobStore.listEvents(second.id)[0]?.body).toEqual({
      type: 'status',
      status: 'queued',
      message: 'waiting for the running train job (one job runs at a time)',
    });
    expect(app.jobStore.listEvents(third.id)[0]?.body).toMatchObject({
      message: 'waiting for the running train job and 1 queued before it (one job runs at a time)',
    });
    expect(app.jobStore.listEvents(first.id)[0]?.body).toEqual({ type: 'status', status: 'queued' });
    const cancelQueued = await app.inject({ method: 'POST', url: `/api/jobs/${third.id}/cancel` });
    expect(cancelQueued.json().status).toBe('cancelled');
    await app.inject({ method: 'POST', url: `/api/jobs/${first.id}/cancel` });
    await waitFor(
      () => app.jobStore.getJob(first.id).status,
      (status) => status === 'cancelled',
    );
    await waitFor(
      () => app.jobStore.getJob(second.id).status,
      (status) => status === 'running',
    );
    hold.open();
    await app.queue.whenIdle();
    expect(app.jobStore.getJob(second.id).status).toBe('succeeded');
    const again = await app.inject({ method: 'POST', url: `/api/jobs/${second.id}/cancel` });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toContain('cannot go from succeeded to cancelled');
  });

  it('marks a job left running by a dead server interrupted, and resumes it from its checkpoint', async () => {
    const dataDir = tempDataDir('restart');
    const hold = gate();
    const first = await makeApp({ dataDir, runners: { train: fakeTrain({ hold: hold.promise }) } });
    const { characterId, datasetId } = await seedDataset(first);
    const job = (
      await first.inject({
        method: 'POST',
        url: '/api/jobs',
        payload: { kind: 'train', characterId, params: { datasetId } },
      })
    ).json();
    await waitFor(
      () => first.jobStore.getJob(job.id).checkpoint,
      (checkpoint) => checkpoint === 'ckpt-3',
    );
    // A crash leaves the row `running`: write that state back after the graceful close marks it.
    await first.close();
    apps.splice(apps.indexOf(first), 1);
    const { openDatabase } = await import('../src/jobs/database.js');
    const db = openDatabase(join(dataDir, 'toonlora.db'));
    const closed = db.prepare('SELECT status, error FROM jobs WHERE id = ?').get(job.id) as {
      status: string;
      error: string;
    };
    expect(closed.status).toBe('interrupted');
    expect(JSON.parse(closed.error)).toMatchObject({ code: 'TL_ERR_INTERRUPTED' }); // as after a crash
    db.prepare("UPDATE jobs SET status = 'running' WHERE id = ?").run(job.id);
    db.close();

    const calls: JobContext[] = [];
    const second = await makeApp({ dataDir, runners: { train: fakeTrain({ calls }) } });
    const restarted = (await second.inject({ method: 'GET', url: `/api/jobs/${job.id}` })).json();
    expect(restarted).toMatchObject({
      status: 'interrupted',
      checkpoint: 'ckpt-3',
      error: { code: 'TL_ERR_INTERRUPTED' },
    });
    const resumed = await second.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` });
    expect(resumed.statusCode).toBe(200);
    await second.queue.whenIdle();
    expect(calls).toHaveLength(1);
    expect(calls[0]?.resume).toBe(true);
    expect(calls[0]?.job.checkpoint).toBe('ckpt-3');
    expect(second.jobStore.getJob(job.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('refuses bad job requests with 4xx naming the field', async () => {
    const app = await makeApp({ runners: { train: fakeTrain() } });
    const { characterId, datasetId } = await seedDataset(app);
    const other = app.catalog.createCharacter({ name: 'Other', trigger: 'oth', classWord: 'boy' });
    const post = (payload: unknown) =>
      app.inject({ method: 'POST', url: '/api/jobs', payload: payload as object });
    const wrongOwner = await post({ kind: 'train', characterId: other.id, params: { datasetId } });
    expect(wrongOwner.statusCode).toBe(400);
    expect(wrongOwner.json().error.message).toContain('params.datasetId');
    const badRank = await post({
      kind: 'train',
      characterId,
      params: { datasetId, training: { lora: { rank: 0 } } },
    });
    expect(badRank.statusCode).toBe(400);
    expect(badRank.json().error.message).toContain('body.params.training.lora.rank');
    // the worker's own cap: past it the job would be queued and fail only in the worker
    const rareSamples = await post({
      kind: 'train',
      characterId,
      params: { datasetId, training: { sampleEverySteps: 20_000_000 } },
    });
    expect(rareSamples.statusCode).toBe(400);
    expect(rareSamples.json().error.message).toContain('body.params.training.sampleEverySteps');
    const badKind = await post({ kind: 'bake', characterId });
    expect(badKind.statusCode).toBe(400);
    const noImages = await post({ kind: 'prep', characterId: other.id });
    expect(noImages.statusCode).toBe(400);
    expect(noImages.json().error.message).toContain('upload some first');
    const emptyList = await post({ kind: 'prep', characterId, params: { imageIds: [] } });
    expect(emptyList.statusCode).toBe(400);
    expect(emptyList.json().error.message).toContain('params.imageIds');
    expect(emptyList.json().error.message).toContain('leave imageIds out to use every screenshot');
    const manySeeds = await post({
      kind: 'generate',
      characterId,
      params: { generation: { seeds: Array.from({ length: 17 }, (_, i) => i) } },
    });
    expect(manySeeds.statusCode).toBe(400);
    expect(manySeeds.json().error.message).toContain('params.generation.seeds');
    const noRunner = await post({ kind: 'generate', characterId });
    expect(noRunner.statusCode).toBe(501);
  });

  it('a train job on the registry base the server has not downloaded fails at once, naming the pull', async () => {
    const saved = { home: process.env.TOONLORA_HOME, hf: process.env.HF_HOME };
    process.env.TOONLORA_HOME = tempDataDir('empty-home');
    process.env.HF_HOME = tempDataDir('empty-hf');
    try {
      const app = await makeApp({ runners: (deps) => ({ train: createTrainRunner(deps) }) });
      const { characterId, datasetId } = await seedDataset(app);
      const res = await app.inject({
        method: 'POST',
        url: '/api/jobs',
        payload: {
          kind: 'train',
          characterId,
          params: { datasetId, training: { baseModel: 'anything-v5' } },
        },
      });
      expect(res.statusCode).toBe(201);
      await app.queue.whenIdle();
      expect(app.jobStore.getJob(res.json().id)).toMatchObject({
        status: 'failed',
        error: {
          code: 'TL_ERR_MODEL_MISSING',
          message: expect.stringContaining('Run `toonlora models pull anything-v5` on the server'),
        },
      });
    } finally {
      for (const [key, value] of [
        ['TOONLORA_HOME', saved.home],
        ['HF_HOME', saved.hf],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('refuses server paths as a base model over the API, and queues nothing', async () => {
    const ran: string[] = [];
    const runner = async (context: JobContext) => {
      ran.push(context.job.id);
      return {};
    };
    const app = await makeApp({ runners: { train: runner, generate: runner } });
    const { characterId, datasetId } = await seedDataset(app);
    const post = (payload: object) => app.inject({ method: 'POST', url: '/api/jobs', payload });
    for (const baseModel of ['/etc', '../../models/x', '/data/missing.safetensors']) {
      const res = await post({ kind: 'generate', characterId, params: { generation: { baseModel } } });
      expect(res.statusCode, baseModel).toBe(400);
      expect(res.json().error.message).toMatch(
        /^params\.generation\.baseModel: ".*" is not a base model the API accepts\..*server file paths are refused/,
      );
    }
    const train = await post({
      kind: 'train',
      characterId,
      params: { datasetId, training: { baseModel: '/etc/passwd' } },
    });
    expect(train.statusCode).toBe(400);
    expect(train.json().error.details.fields).toEqual(['params.training.baseModel']);
    expect(app.jobStore.listJobs({ characterId }).filter((job) => job.kind !== 'prep')).toEqual([]);
    const hub = await post({
      kind: 'generate',
      characterId,
      params: { generation: { baseModel: 'stablediffusionapi/anything-v5' } },
    });
    expect(hub.statusCode).toBe(201);
    await app.queue.whenIdle();
    expect(ran).toEqual([hub.json().id]);
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
      for (const [kind, params, field] of [
        ['generate', { generation: { baseModel: 'someone/local-only' } }, 'params.generation.baseModel'],
        ['train', { datasetId, training: { baseModel: 'someone/local-only' } }, 'params.training.baseModel'],
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
          message: `${field}: someone/local-only is not in the server's Hugging Face cache. Run \`toonlora models pull someone/local-only\` on the server's machine (any diffusers SD1.5 repo on the Hub), or use tiny (a small random-weight model: the flow runs, the images are noise).`,
        });
      }
    } finally {
      process.chdir(before);
      vi.unstubAllEnvs();
    }
  });
});

describe('datasets', () => {
  it('reviews a dataset: stage urls, skipped files, caption edit, exclude / re-include, kohya zip', async () => {
    const app = await makeApp({ runners: {} });
    const { characterId, datasetId } = await seedDataset(app);
    const list = (await app.inject({ method: 'GET', url: `/api/characters/${characterId}/datasets` })).json();
    expect(list.datasets).toEqual([
      expect.objectContaining({ id: datasetId, itemCount: 2, excludedCount: 0 }),
    ]);
    const detail = (await app.inject({ method: 'GET', url: `/api/datasets/${datasetId}` })).json();
    expect(detail.skipped).toEqual([
      { source: 'blank.png', status: 'skipped', reason: 'no character found' },
    ]);
    expect(detail.items[0].stages).toEqual({
      original: `/api/datasets/${datasetId}/items/a/original`,
      textRemoved: null,
      mask: null,
      crop: `/api/datasets/${datasetId}/items/a/image`,
    });
    const image = await app.inject({ method: 'GET', url: detail.items[0].stages.crop });
    expect(image.headers['content-type']).toBe('image/png');
    const missingStage = await app.inject({ method: 'GET', url: `/api/datasets/${datasetId}/items/a/mask` });
    expect(missingStage.statusCode).toBe(404);

    const edit = await app.inject({
      method: 'PATCH',
      url: `/api/datasets/${datasetId}/items/a`,
      payload: { caption: 'mina_tl, red coat' },
    });
    expect(edit.json().items[0].caption).toBe('mina_tl, red coat');
    const exclude = await app.inject({
      method: 'PATCH',
      url: `/api/datasets/${datasetId}/items/b`,
      payload: { excluded: true },
    });
    expect(exclude.json().excludedCount).toBe(1);
    const empty = await app.inject({
      method: 'PATCH',
      url: `/api/datasets/${datasetId}/items/b`,
      payload: {},
    });
    expect(empty.statusCode).toBe(400);
    const twoLines = await app.inject({
      method: 'PATCH',
      url: `/api/datasets/${datasetId}/items/a`,
      payload: { caption: 'mina_tl, red coat\nsmiling' },
    });
    expect(twoLines.statusCode).toBe(400);
    expect(twoLines.json().error.message).toContain('body.caption: a caption is one line');
    expect(twoLines.json().error.details.fields).toEqual(['body.caption']);

    const zip = await app.inject({ method: 'GET', url: `/api/datasets/${datasetId}/zip` });
    expect(zip.headers['content-type']).toBe('application/zip');
    const entries = readZipEntries(zip.rawPayload);
    expect([...entries.keys()].sort()).toEqual(['10_mina_tl girl/a.png', '10_mina_tl girl/a.txt']);
    expect(entries.get('10_mina_tl girl/a.txt')?.toString()).toBe('mina_tl, red coat\n');

    await app.inject({
      method: 'PATCH',
      url: `/api/datasets/${datasetId}/items/b`,
      payload: { excluded: false },
    });
    const again = readZipEntries(
      (await app.inject({ method: 'GET', url: `/api/datasets/${datasetId}/zip` })).rawPayload,
    );
    expect(again.size).toBe(4);
  });

  it("counts edited captions and takes an empty caption as the folder's `<trigger> <class>`", async () => {
    const app = await makeApp({ runners: {} });
    const { characterId, datasetId } = await seedDataset(app);
    const listed = async () =>
      (await app.inject({ method: 'GET', url: `/api/characters/${characterId}/datasets` })).json()
        .datasets[0];
    expect((await listed()).editedCount).toBe(0);
    const blank = await app.inject({
      method: 'PATCH',
      url: `/api/datasets/${datasetId}/items/a`,
      payload: { caption: '  ' },
    });
    expect(blank.statusCode).toBe(200);
    expect(blank.json().items[0].caption).toBe('');
    expect(blank.json().editedCount).toBe(1);
    await app.inject({
      method: 'PATCH',
      url: `/api/datasets/${datasetId}/items/b`,
      payload: { excluded: true },
    });
    expect(await listed()).toEqual(expect.objectContaining({ editedCount: 1, excludedCount: 1 }));
    // an empty caption file: the trainer (and kohya) caption the image with the folder's `<trigger> <class>`
    const entries = readZipEntries(
      (await app.inject({ method: 'GET', url: `/api/datasets/${datasetId}/zip` })).rawPayload,
    );
    expect(entries.get('10_mina_tl girl/a.txt')?.toString()).toBe('\n');
  });

  it('sends a JPEG original as image/jpeg and the PNG crop as image/png', async () => {
    const app = await makeApp({ runners: {} });
    const character = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
    const prep = app.jobStore.createJob('prep', character.id, {});
    mkdirSync(join(app.dataDir, 'uploads', character.id), { recursive: true });
    mkdirSync(join(app.dataDir, 'jobs', prep.id, '10_mina_tl girl'), { recursive: true });
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#c85028' } })
      .jpeg()
      .toBuffer();
    writeFileSync(join(app.dataDir, 'uploads', character.id, 'a.jpg'), jpeg);
    writeFileSync(join(app.dataDir, 'jobs', prep.id, '10_mina_tl girl', 'a.png'), await solidPng(8, 8));
    const dataset = app.catalog.createDataset({
      characterId: character.id,
      jobId: prep.id,
      dir: `jobs/${prep.id}`,
      items: [
        {
          key: 'a',
          source: 'a.jpg',
          imagePath: `jobs/${prep.id}/10_mina_tl girl/a.png`,
          caption: 'mina_tl, girl',
          stages: { original: `uploads/${character.id}/a.jpg`, textRemoved: null, mask: null, crop: null },
        },
      ],
      skipped: [],
    });
    const original = await app.inject({ method: 'GET', url: `/api/datasets/${dataset.id}/items/a/original` });
    expect(original.statusCode).toBe(200);
    expect(original.headers['content-type']).toBe('image/jpeg');
    expect(original.rawPayload.equals(jpeg)).toBe(true);
    const crop = await app.inject({ method: 'GET', url: `/api/datasets/${dataset.id}/items/a/image` });
    expect(crop.headers['content-type']).toBe('image/png');
  });

  it('says where to list the items of a dataset when a key is unknown', async () => {
    const app = await makeApp({ runners: {} });
    const { datasetId } = await seedDataset(app);
    const missing = await app.inject({ method: 'GET', url: `/api/datasets/${datasetId}/items/zz/original` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.message).toBe(
      `dataset ${datasetId}: item zz not found. List its items with GET /api/datasets/${datasetId}.`,
    );
    const noDataset = await app.inject({ method: 'GET', url: '/api/datasets/nope' });
    expect(noDataset.json().error.message).toBe(
      'dataset nope not found. List them with GET /api/characters/<characterId>/datasets.',
    );
  });
});

describe('generate jobs', () => {
  it('a cancelled sweep stops the batch being rendered, starts no other, and leaves no image without its artifact', async () => {
    const hold = gate();
    const { factory, requests } = standInWorker({ 0.4: hold.promise });
    const generation = new WarmGenerationService(factory);
    const app = await makeApp({ runners: createDefaultRunners, generation });
    const res = await submitGenerateJob(app, { seeds: [1, 2, 3] }, [0.2, 0.4, 0.6, 0.8, 1]);
    expect(res.statusCode).toBe(201);
    const jobId = res.json().id;
    await waitFor(
      () => requests.length,
      (n) => n === 2,
    );
    expect((await app.inject({ method: 'POST', url: `/api/jobs/${jobId}/cancel` })).statusCode).toBe(200);
    hold.open();
    await app.queue.whenIdle();

    expect(app.jobStore.getJob(jobId).status).toBe('cancelled');
    expect(requests).toEqual([0.2, 0.4]);
    const artifacts = app.catalog.listArtifacts({ jobId });
    expect(artifacts.filter((a) => a.kind === 'image')).toHaveLength(3); // 0.4 was cancelled while it rendered
    expect(artifacts.filter((a) => a.kind === 'grid').map((a) => a.meta.weight)).toEqual([0.2]);
    const rows = artifacts.map((a) => app.catalog.artifactFilePath(a.id).slice(app.dataDir.length + 1));
    expect(filesUnder(app.dataDir, `jobs/${jobId}/images`)).toEqual(
      rows.map((p) => p.split('\\').join('/')).sort(),
    );
    const progress = app.jobStore
      .listEvents(jobId, 0)
      .flatMap((e) => (e.body.type === 'progress' ? [e.body.progress] : []));
    // sampling steps of the whole sweep (5 weights x 28 steps), one batch done: 3 of 15 images
    expect(progress.map((p) => `${p.step}/${p.total} ${p.message}`)).toEqual([
      '0/140 waiting for the generation worker',
      '28/140 3/15 images',
      '28/140 stopped after 3/15 images; base model loaded',
    ]);
    const grid = await app.inject({
      method: 'GET',
      url: `/api/artifacts/${artifacts.find((a) => a.kind === 'grid')?.id}/file`,
    });
    expect(grid.headers['content-type']).toBe('image/png');
  });

  it('a finished sweep reports progress per batch and returns image and grid ids', async () => {
    const generation = new WarmGenerationService(standInWorker().factory);
    const app = await makeApp({ runners: createDefaultRunners, generation });
    const res = await submitGenerateJob(app, { seeds: [1, 2] }, [0.5, 1]);
    await app.queue.whenIdle();
    const job = app.jobStore.getJob(res.json().id);
    expect(job.status).toBe('succeeded');
    expect(job.result?.imageIds).toHaveLength(4);
    expect(job.result?.gridIds).toHaveLength(2);
    // step / total: the sampling steps of both weights (28 each); the images in the message
    expect(job.progress).toMatchObject({ step: 56, total: 56, message: '4/4 images; base model loaded' });
  });

  it('streams a progress event per sampling step while each weight renders', async () => {
    const generation = new WarmGenerationService(standInWorker({}, true).factory);
    const app = await makeApp({ runners: createDefaultRunners, generation });
    const res = await submitGenerateJob(app, { seeds: [1, 2], steps: 3 }, [0.5, 1]);
    await app.queue.whenIdle();
    const jobId = res.json().id;
    expect(app.jobStore.getJob(jobId).status).toBe('succeeded');
    const stream = await app.inject({ method: 'GET', url: `/api/jobs/${jobId}/stream` });
    const progress = parseSse(stream.body)
      .filter((event) => event.event === 'progress')
      .map(
        (event) =>
          (
            event.data as {
              body: { progress: { step: number; total: number; message: string; etaS?: number } };
            }
          ).body.progress,
      );
    expect(progress.map((p) => `${p.step}/${p.total} ${p.message}`)).toEqual([
      // one unit from start to end: sampling steps of the whole sweep (2 weights x 3 steps), never an image count,
      // so the step never goes back; the second weight goes on from the first's steps
      '0/6 waiting for the generation worker',
      '1/6 weight 0.5 (1/2): sampling step 1/3; 0/4 images',
      '2/6 weight 0.5 (1/2): sampling step 2/3; 0/4 images',
      '3/6 weight 0.5 (1/2): sampling step 3/3; 0/4 images',
      '3/6 2/4 images',
      '4/6 weight 1 (2/2): sampling step 1/3; 2/4 images',
      '5/6 weight 1 (2/2): sampling step 2/3; 2/4 images',
      '6/6 weight 1 (2/2): sampling step 3/3; 2/4 images',
      '6/6 4/4 images',
      '6/6 4/4 images; base model loaded',
    ]);
    // the ETA of the whole sweep: 5 steps left at the worker's 10 it/s, not the first weight's 2
    expect(progress[1]?.etaS).toBeCloseTo(0.5);
    expect(progress[5]?.etaS).toBeCloseTo(0.2);
  });
  it("lists the worker's warning about its request among the job's warnings, and no other request's", async () => {
    const spawn = { command: process.execPath, args: ['-e', WARNING_WORKER], cwd: process.cwd() };
    const generation = new WarmGenerationService((base) => new GenerationWorker(base, spawn));
    const app = await makeApp({ runners: createDefaultRunners, generation });
    const res = await submitGenerateJob(app, { seeds: [1] }, [0.5, 1]);
    await app.queue.whenIdle();
    const jobId = res.json().id;
    expect(app.jobStore.getJob(jobId).status).toBe('succeeded');
    const logs = app.jobStore.listEvents(jobId, 0).flatMap((e) => (e.body.type === 'log' ? [e.body] : []));
    // once, though both weights' requests were warned
    expect(logs).toEqual([
      { type: 'log', level: 'warn', message: 'the prompt is 90 tokens long; CLIP reads only the first 75' },
    ]);
  });
});

describe('job routes', () => {
  it('read jobs and events through the queue interface, not the store', async () => {
    const app = await makeApp({ runners: { train: fakeTrain({ steps: 2 }) } });
    const { characterId, datasetId } = await seedDataset(app);
    const res = await app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { kind: 'train', characterId, params: { datasetId, training: { steps: 2 } } },
    });
    await app.queue.whenIdle();
    const jobId = res.json().id;
    const calls: string[] = [];
    for (const name of ['getJob', 'listJobs', 'listEvents'] as const) {
      const original = app.queue[name].bind(app.queue) as (...args: unknown[]) => unknown;
      (app.queue as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        calls.push(name);
        return original(...args);
      };
    }
    const one = await app.inject({ method: 'GET', url: `/api/jobs/${jobId}` });
    expect(one.json()).toMatchObject({ id: jobId, status: 'succeeded' });
    const list = await app.inject({ method: 'GET', url: `/api/jobs?characterId=${characterId}&kind=train` });
    expect(list.json().jobs.map((job: { id: string }) => job.id)).toEqual([jobId]);
    const events = await app.inject({ method: 'GET', url: `/api/jobs/${jobId}/events?after=0` });
    expect(events.json().events.at(-1).body).toMatchObject({ type: 'status', status: 'succeeded' });
    await app.inject({ method: 'GET', url: `/api/jobs/${jobId}/stream` });
    expect(calls).toEqual(['getJob', 'listJobs', 'getJob', 'listEvents', 'getJob', 'listEvents', 'getJob']);
  });
});
