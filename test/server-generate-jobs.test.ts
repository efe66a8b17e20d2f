// test/server-generate-jobs.test.ts — generate jobs through the API with stand-in workers (inject, no port):
// a cancelled sweep, progress per batch and per sampling step, and the worker's warnings about its request.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { standInGenerationWorker } from '../src/jobs/generation-stand-in-testing.js';
import { createDefaultRunners } from '../src/jobs/runners/default-runners.js';
import { WarmGenerationService } from '../src/jobs/warm-generation.js';
import { GenerationWorker } from '../src/worker/generation-worker.js';
import { gate, submitGenerateJob } from './helpers/job-stand-ins.js';
import { parseSse, solidPng } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('jobs');

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

describe('generate jobs', () => {
  it('a cancelled sweep stops the batch being rendered, starts no other, and leaves no image without its artifact', async () => {
    const hold = gate();
    const { factory, requests } = standInWorker({ 0.4: hold.promise });
    const generation = new WarmGenerationService(factory);
    const app = await makeApp({ runners: createDefaultRunners, generation });
    const res = await submitGenerateJob(app, { seeds: [1, 2, 3] }, [0.2, 0.4, 0.6, 0.8, 1]);
    expect(res.statusCode).toBe(201);
    const jobId = res.json().id;
    await vi.waitFor(() => expect(requests.length).toBe(2), { timeout: 5_000, interval: 10 });
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
