// test/server-train-jobs.test.ts — train jobs through the API with a stand-in runner (inject, no port): one job
// at a time, SSE progress, cancel, interrupted on restart + resume from the checkpoint, request checks, and the
// job routes reading through the queue.
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { JobContext } from '../src/jobs/job-queue.js';
import { createTrainRunner } from '../src/jobs/runners/train-runner.js';
import { runTrainJob } from './helpers/base-jobs.js';
import { fakeTrain, gate } from './helpers/job-stand-ins.js';
import { parseSse, seedDataset, tempDataDir } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp, apps } = appsClosedAfterEach('jobs');

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
    await vi.waitFor(() => expect(app.jobStore.getJob(first.id).status).toBe('running'), {
      timeout: 5_000,
      interval: 10,
    });
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
    await vi.waitFor(() => expect(app.jobStore.getJob(first.id).status).toBe('cancelled'), {
      timeout: 5_000,
      interval: 10,
    });
    await vi.waitFor(() => expect(app.jobStore.getJob(second.id).status).toBe('running'), {
      timeout: 5_000,
      interval: 10,
    });
    hold.open();
    await app.queue.whenIdle();
    expect(app.jobStore.getJob(second.id).status).toBe('succeeded');
    const again = await app.inject({ method: 'POST', url: `/api/jobs/${second.id}/cancel` });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toBe(`train job ${second.id} already succeeded; nothing to cancel.`);
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
    await vi.waitFor(() => expect(first.jobStore.getJob(job.id).checkpoint).toBe('ckpt-3'), {
      timeout: 5_000,
      interval: 10,
    });
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
      expect(await runTrainJob(app, { baseModel: 'anything-v5' })).toMatchObject({
        status: 'failed',
        error: {
          code: 'TL_ERR_MODEL_MISSING',
          message: 'anything-v5 is not downloaded on the server: pull it on the Models page.',
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
