// test/server-flow.test.ts — the whole product through a real server on loopback (127.0.0.1,
// ephemeral port) with the bundled example screens, the `tiny` base model and a few training steps:
// upload -> prep -> review -> train (SSE progress, samples) -> LoRA inspect / downloads -> generate
// (cold, then warm). Then a server killed in the middle of training, restarted, and the job resumed.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job, JobEvent } from '../src/schemas/api.js';
import { createServeServices } from '../src/server/serve-services.js';
import { startServer } from '../src/server/server.js';
import { HttpClient } from './helpers/http-client.js';
import { startServeProcess } from './helpers/serve-process.js';
import { readZipEntries, tempDataDir } from './helpers/server-fixtures.js';

const EXAMPLES = join(import.meta.dirname, '..', 'examples', 'screens');
const exampleFiles = () =>
  readdirSync(EXAMPLES)
    .filter((name) => /\.(png|jpe?g|webp)$/i.test(name))
    .map((name) => join(EXAMPLES, name));
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
/** A few steps of the tiny SD1.5-shaped base at 64 px. */
const TINY_TRAINING = { baseModel: 'tiny', resolution: 64, mixedPrecision: 'no', lora: { rank: 4 } } as const;

const lastStatus = (events: JobEvent[]) => events.filter((e) => e.body.type === 'status').at(-1)?.body;

/** Character + uploads + a finished prep job; returns the ids. */
async function prepareDataset(client: HttpClient, files: string[]) {
  const character = await client.call<{ id: string }>('POST', '/api/characters', {
    name: 'Mina',
    trigger: 'mina_tl',
    classWord: 'girl',
  });
  expect(character.status).toBe(201);
  const upload = await client.upload(character.body.id, files);
  expect(upload.status).toBe(201);
  const prep = await client.call<Job>('POST', '/api/jobs', { kind: 'prep', characterId: character.body.id });
  const events = await client.events(prep.body.id);
  expect(lastStatus(events)).toMatchObject({ status: 'succeeded' });
  const job = await client.call<Job>('GET', `/api/jobs/${prep.body.id}`);
  return {
    characterId: character.body.id,
    datasetId: String(job.body.result?.datasetId),
    prepEvents: events,
  };
}

describe('full flow on a real server', () => {
  let app: FastifyInstance;
  let client: HttpClient;
  beforeAll(async () => {
    const started = await startServer({
      host: '127.0.0.1',
      port: 0,
      dataDir: tempDataDir('flow'),
      webDir: '/nonexistent',
      ...createServeServices(),
    });
    app = started.app;
    client = new HttpClient(started.url);
    expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('uploads, preps, reviews, trains, inspects, downloads and generates', async () => {
    const files = exampleFiles();
    const { characterId, datasetId, prepEvents } = await prepareDataset(client, files);
    const prepProgress = prepEvents.filter((e) => e.body.type === 'progress');
    expect(prepProgress.at(-1)?.body).toMatchObject({
      progress: {
        step: files.length,
        total: files.length,
        // the run's summary, not the last file's result
        message: expect.stringMatching(
          new RegExp(
            `^\\d+ crops? from ${files.length} screenshots \\(\\d+ ok, \\d+ skipped, \\d+ failed\\)(, \\d+ quality warnings? \\(listed below\\))?$`,
          ),
        ),
      },
    });

    // review: every kept crop has its stages; edit one caption and see it in the kohya zip
    const dataset = await client.call<{
      items: Array<{ key: string; stages: Record<string, string | null> }>;
    }>('GET', `/api/datasets/${datasetId}`);
    expect(dataset.body.items.length).toBeGreaterThan(0);
    const [first] = dataset.body.items;
    for (const stage of ['original', 'textRemoved', 'mask', 'crop']) {
      const file = await client.download(first?.stages[stage] as string);
      expect(file.bytes.subarray(0, 4).equals(PNG) || file.bytes[0] === 0xff, stage).toBe(true);
    }
    const edited = await client.call(
      'PATCH',
      `/api/datasets/${datasetId}/items/${encodeURIComponent(first?.key as string)}`,
      { caption: 'mina_tl, girl, red scarf' },
    );
    expect(edited.status).toBe(200);
    const zip = readZipEntries((await client.download(`/api/datasets/${datasetId}/zip`)).bytes);
    expect([...zip.values()].map(String)).toContain('mina_tl, girl, red scarf\n');

    // train: progress with loss, it/s and ETA over SSE, samples, then a kohya LoRA
    const train = await client.call<Job>('POST', '/api/jobs', {
      kind: 'train',
      characterId,
      params: {
        datasetId,
        training: { ...TINY_TRAINING, steps: 4, sampleEverySteps: 2, checkpointEverySteps: 2 },
      },
    });
    expect(train.status).toBe(201);
    const events = await client.events(train.body.id);
    expect(
      lastStatus(events),
      JSON.stringify((await client.call('GET', `/api/jobs/${train.body.id}`)).body.error),
    ).toMatchObject({ status: 'succeeded' });
    const progress = events.flatMap((e) => (e.body.type === 'progress' ? [e.body.progress] : []));
    expect(progress.map((p) => p.step)).toEqual([1, 2, 3, 4]);
    for (const p of progress) {
      expect(Number.isFinite(p.loss)).toBe(true);
      expect(p.itPerS).toBeGreaterThan(0);
      expect(p.etaS).toBeGreaterThanOrEqual(0);
    }
    const logs = events.flatMap((e) => (e.body.type === 'log' ? [e.body] : []));
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 'info', message: expect.stringMatching(/^LoRA: /) }),
    );
    const samples = events.flatMap((e) => (e.body.type === 'sample' ? e.body.urls : []));
    expect(samples.length).toBeGreaterThan(0);
    expect((await client.download(samples[0] as string)).bytes.subarray(0, 4).equals(PNG)).toBe(true);
    const trained = await client.call<Job>('GET', `/api/jobs/${train.body.id}`);
    const loraId = String(trained.body.result?.loraId);

    // LoRA: inspect (kohya, rank 4, trigger), A1111 snippet, both download formats
    const inspect = await client.call<{
      inspect: Record<string, unknown>;
      snippet: string;
      lora: { name: string };
    }>('GET', `/api/loras/${loraId}/inspect`);
    expect(inspect.body.inspect).toMatchObject({
      format: 'kohya',
      ranks: [4],
      alphas: [4],
      trigger: 'mina_tl',
    });
    expect(inspect.body.snippet).toBe(`<lora:${inspect.body.lora.name}:0.8>, mina_tl`);
    const kohya = await client.download(`/api/loras/${loraId}/download`);
    const diffusers = await client.download(`/api/loras/${loraId}/download?format=diffusers`);
    expect(kohya.status).toBe(200);
    expect(diffusers.status).toBe(200);
    expect(kohya.bytes.subarray(8, 10).toString()).toBe('{"');

    // generate: the first request pays the base load, the second finds the worker warm
    const generate = async (extra: Record<string, unknown>) => {
      const job = await client.call<Job>('POST', '/api/jobs', {
        kind: 'generate',
        characterId,
        params: {
          loraId,
          generation: {
            baseModel: 'tiny',
            prompt: 'mina_tl, girl',
            steps: 2,
            width: 64,
            height: 64,
            seeds: [1, 2],
          },
          ...extra,
        },
      });
      const done = await client.events(job.body.id);
      expect(lastStatus(done)).toMatchObject({ status: 'succeeded' });
      return (await client.call<Job>('GET', `/api/jobs/${job.body.id}`)).body.result as {
        imageIds: string[];
        timing: Record<string, number | boolean>;
      };
    };
    const cold = await generate({});
    const warm = await generate({ weights: [0.4, 0.7, 1.0] });
    expect(cold.timing).toMatchObject({ warm: false });
    expect(cold.timing.loadMs).toBeGreaterThan(0);
    expect(warm.timing).toMatchObject({ warm: true, loadMs: 0 });
    expect(cold.imageIds).toHaveLength(2);
    expect(warm.imageIds).toHaveLength(6);
    const image = await client.download(`/api/artifacts/${warm.imageIds[0]}/file`);
    expect(image.type).toBe('image/png');
    expect(image.bytes.subarray(0, 4).equals(PNG)).toBe(true);
  }, 300_000);
});

describe('restart in the middle of training', () => {
  it('marks the killed run interrupted and resumes it from its last checkpoint', async () => {
    const dataDir = tempDataDir('restart-flow');
    const first = await startServeProcess(dataDir);
    const client = new HttpClient(first.url);
    const { characterId, datasetId } = await prepareDataset(client, exampleFiles().slice(0, 2));
    const steps = 12;
    const train = await client.call<Job>('POST', '/api/jobs', {
      kind: 'train',
      characterId,
      params: {
        datasetId,
        training: { ...TINY_TRAINING, steps, sampleEverySteps: 0, checkpointEverySteps: 2 },
      },
    });
    const before = await client.events(train.body.id, (e) => e.body.type === 'checkpoint');
    const checkpoint = before.at(-1)?.body;
    expect(checkpoint?.type).toBe('checkpoint');
    await first.kill();

    const second = await startServeProcess(dataDir);
    try {
      const again = new HttpClient(second.url);
      const interrupted = await again.call<Job>('GET', `/api/jobs/${train.body.id}`);
      expect(interrupted.body).toMatchObject({
        status: 'interrupted',
        error: { code: 'TL_ERR_INTERRUPTED' },
      });
      expect(interrupted.body.checkpoint).toContain('checkpoints/step-');
      const resumed = await again.call<Job>('POST', `/api/jobs/${train.body.id}/resume`);
      expect(resumed.body.status).toBe('queued');
      const after = await again.events(
        train.body.id,
        (e) => e.body.type === 'status' && ['succeeded', 'failed'].includes(e.body.status),
      );
      const job = await again.call<Job>('GET', `/api/jobs/${train.body.id}`);
      expect(job.body.status, JSON.stringify(job.body.error)).toBe('succeeded');
      expect(job.body.attempts).toBe(2);
      // The second attempt's progress starts after a saved checkpoint, not at step 1.
      const resumedAt = after.findLastIndex((e) => e.body.type === 'status' && e.body.status === 'running');
      const steps2 = after
        .slice(resumedAt)
        .flatMap((e) => (e.body.type === 'progress' ? [e.body.progress.step] : []));
      expect(steps2[0]).toBeGreaterThan(1);
      expect(steps2.at(-1)).toBe(steps);
      expect(job.body.result?.loraId).toBeTruthy();
    } finally {
      await second.stop();
    }
  }, 300_000);
});
