// test/server-shutdown.test.ts — stopping the server while a job runs (serve's Ctrl-C): the running job is
// asked to stop and waited for (a train job's last checkpoint is recorded), a job that outlives the wait is
// killed and marked interrupted, events that arrive after the store closed are dropped, and the close is not
// cut short by fastify's plugin timeout. The worker is a stand-in whose events arrive from timers, as the
// Python worker's arrive from its stdout.
import { get } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeStoppedJob, serveUntilStopped } from '../src/cli/commands/serve.js';
import type { JobContext } from '../src/jobs/job-queue.js';
import { createTrainRunner } from '../src/jobs/runners/train-runner.js';
import { buildApp } from '../src/server/app.js';
import { stopServer } from '../src/server/server.js';
import { alive } from './helpers/processes.js';
import { seedDataset, tempDataDir } from './helpers/server-fixtures.js';
import { fakeStopIo } from './helpers/stop-io.js';

afterEach(() => {
  vi.useRealTimers();
});

interface StandInOptions {
  /** How long the worker takes to stop after it is asked to (its step ends, it writes its checkpoint). */
  stopMs: number;
  /** When false, the worker ignores the kill too (a runner that never returns). */
  obeysKill?: boolean;
}

/**
 * A stand-in train run: step 8 of 30 with checkpoint 6 recorded; asked to stop, it writes checkpoint 9 after
 * `stopMs` and ends; killed, it ends at once without one. Its events come from timer callbacks, outside the
 * runner's promise, as the real worker's come from its stdout: a throw there would be uncaught.
 */
function slowStoppingTrain(options: StandInOptions) {
  return (context: JobContext) =>
    new Promise<Record<string, unknown>>((_resolve, reject) => {
      context.progress({ step: 8, total: 30, loss: 0.1, itPerS: 0.2, etaS: 110 });
      context.emit({ type: 'checkpoint', step: 6, path: 'run/checkpoints/step-000006' });
      context.signal.addEventListener('abort', () => {
        setTimeout(() => {
          context.emit({ type: 'checkpoint', step: 9, path: 'run/checkpoints/step-000009' });
          reject(new Error('training stopped'));
        }, options.stopMs);
      });
      if (options.obeysKill !== false) {
        context.kill.addEventListener('abort', () => reject(new Error('training killed')));
      }
    });
}

async function startTrainJob(runner: ReturnType<typeof slowStoppingTrain>) {
  const app = await buildApp({
    dataDir: tempDataDir('shutdown'),
    webDir: '/nonexistent',
    runners: { train: runner },
  });
  await app.ready();
  const { characterId, datasetId } = await seedDataset(app);
  const job = app.queue.submit('train', characterId, { datasetId });
  expect(app.jobStore.getJob(job.id).status).toBe('running');
  return { app, characterId, datasetId, jobId: job.id };
}

/** The job as the next server start reads it (the app's own store is closed). */
async function jobAfterRestart(dataDir: string, jobId: string) {
  const reopened = await buildApp({ dataDir, webDir: '/nonexistent', deferJobs: true });
  await reopened.ready();
  try {
    const last = reopened.jobStore.lastEvent(jobId)?.body;
    return {
      job: reopened.jobStore.getJob(jobId),
      lastMessage: last?.type === 'status' ? last.message : undefined,
    };
  } finally {
    await reopened.close();
  }
}

describe('server shutdown with a running job', () => {
  it('waits longer than fastify’s 10 s plugin timeout for a train job to save its checkpoint', async () => {
    const { app, jobId } = await startTrainJob(slowStoppingTrain({ stopMs: 15_000 }));
    const jobStore = app.jobStore;
    const job = () => jobStore.getJob(jobId);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let done: { ok: boolean; error?: unknown } | undefined;
    const closing = app.close().then(
      () => {
        done = { ok: true };
      },
      (error: unknown) => {
        done = { ok: false, error };
      },
    );
    await vi.advanceTimersByTimeAsync(12_000);
    expect(done).toBeUndefined(); // still waiting for the job, no "Plugin did not start in time"
    expect(job().status).toBe('running');
    await vi.advanceTimersByTimeAsync(4_000);
    await closing;
    expect(done).toEqual({ ok: true });
    vi.useRealTimers();
    const after = await jobAfterRestart(app.dataDir, jobId);
    expect(after.job).toMatchObject({
      status: 'interrupted',
      checkpoint: 'run/checkpoints/step-000009', // the checkpoint written while stopping
      error: { code: 'TL_ERR_INTERRUPTED' },
    });
    expect(after.lastMessage).toBe('the server shut down'); // not "stopped while this job ran" (a crash)
  });

  it('kills a job that has not stopped after the grace time and records it with its last checkpoint', async () => {
    const { app, jobId } = await startTrainJob(slowStoppingTrain({ stopMs: 100_000 }));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const closing = app.close();
    await vi.advanceTimersByTimeAsync(59_000);
    expect(app.jobStore.getJob(jobId).status).toBe('running');
    await vi.advanceTimersByTimeAsync(2_000); // past the 60 s grace: killed, its runner returns
    await closing;
    // the stand-in's own stop timer fires after the store closed: its checkpoint event is dropped, not thrown
    await vi.advanceTimersByTimeAsync(50_000);
    vi.useRealTimers();
    const after = await jobAfterRestart(app.dataDir, jobId);
    expect(after.job).toMatchObject({ status: 'interrupted', checkpoint: 'run/checkpoints/step-000006' });
    expect(after.lastMessage).toBe(
      'the server shut down; the job did not stop within 60 s, so it was killed; the steps after its last checkpoint are lost',
    );
  });

  it('records a job whose runner never returns, even killed, and drops what it sends later', async () => {
    const { app, jobId } = await startTrainJob(slowStoppingTrain({ stopMs: 100_000, obeysKill: false }));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let closed = false;
    const closing = app.close().then(() => {
      closed = true;
    });
    await vi.advanceTimersByTimeAsync(62_000);
    expect(closed).toBe(false); // killed at 60 s, waited for a little longer
    await vi.advanceTimersByTimeAsync(2_000);
    await closing;
    await vi.advanceTimersByTimeAsync(40_000); // its checkpoint event now finds the store closed: dropped
    vi.useRealTimers();
    const after = await jobAfterRestart(app.dataDir, jobId);
    expect(after.job).toMatchObject({ status: 'interrupted', checkpoint: 'run/checkpoints/step-000006' });
  });
});

/** Opens a job's event stream on a listening server; resolves when the server ends it, with what it sent. */
function followStream(url: string): { opened: Promise<void>; ended: Promise<string> } {
  let opened = () => {};
  const openedPromise = new Promise<void>((resolve) => {
    opened = resolve;
  });
  const ended = new Promise<string>((resolve, reject) => {
    get(url, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
        opened();
      });
      response.on('end', () => resolve(text));
      response.on('error', () => resolve(text));
    }).on('error', reject);
  });
  return { opened: openedPromise, ended };
}

describe('stopServer and serve’s Ctrl-C', () => {
  it('ends open job event streams, so the close is not held up by a browser following a queued job', async () => {
    const { app, characterId, datasetId, jobId } = await startTrainJob(slowStoppingTrain({ stopMs: 50 }));
    const queued = app.queue.submit('train', characterId, { datasetId });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const running = followStream(`${base}/api/jobs/${jobId}/stream`);
    const waiting = followStream(`${base}/api/jobs/${queued.id}/stream`);
    await Promise.all([running.opened, waiting.opened]);
    const started = Date.now();
    const stopped = await stopServer(app);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(stopped.map((s) => [s.job.id, s.job.status, s.job.checkpoint])).toEqual([
      [jobId, 'interrupted', 'run/checkpoints/step-000009'],
    ]);
    expect(await running.ended).toContain('"status":"interrupted"');
    expect(await waiting.ended).toContain('"status":"queued"');
    const after = await jobAfterRestart(app.dataDir, queued.id);
    expect(after.job.status).toBe('queued'); // it runs after the next start
  });

  it('stops on the first Ctrl-C with a line per job; a second one stops at once (exit 130)', async () => {
    const { app, characterId, datasetId, jobId } = await startTrainJob(
      slowStoppingTrain({ stopMs: 100_000 }),
    );
    const { io, written, signals } = fakeStopIo();
    const serving = serveUntilStopped(app, io);
    signals.emit('SIGINT');
    await vi.waitFor(() =>
      expect(written.join('')).toContain('waiting up to 60 s for the running train job'),
    );
    // still answering while it waits, but a job submitted or resumed now is refused, not queued for a next start
    const late = await app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { kind: 'train', characterId, params: { datasetId } },
    });
    expect(late.statusCode).toBe(503);
    expect(late.json().error).toEqual({
      code: 'TL_ERR_UNAVAILABLE',
      message:
        'server is shutting down: it takes no new job. Submit it again once the server is started again.',
    });
    expect(app.queue.listJobs({ status: 'queued' })).toEqual([]);
    const resumed = await app.inject({ method: 'POST', url: `/api/jobs/${jobId}/resume` });
    expect(resumed.statusCode).toBe(503);
    signals.emit('SIGINT');
    expect(await serving).toBe(130);
    expect(io.killWorkers).toHaveBeenCalled();
    expect(io.exit).not.toHaveBeenCalled();
    expect(signals.listenerCount('SIGINT')).toBe(0);
    const lines = written.join('').trim().split('\n');
    expect(lines.at(-1)).toBe(
      `toonlora serve: train job ${jobId} interrupted at step 8/30 (the server shut down at once, without waiting for ` +
        'the job to stop; the steps after its last checkpoint are lost); resumable from its checkpoint ' +
        `step-000006 after the next start (the Resume button on the Train page, or POST /api/jobs/${jobId}/resume).`,
    );
  });

  it('exits 0 when every job stopped on its own, and says what each became', async () => {
    const { app, jobId } = await startTrainJob(slowStoppingTrain({ stopMs: 20 }));
    const { io, written, signals } = fakeStopIo();
    const serving = serveUntilStopped(app, io);
    signals.emit('SIGTERM');
    expect(await serving).toBe(0);
    expect(io.killWorkers).not.toHaveBeenCalled();
    expect(written.at(-1)).toBe(
      `toonlora serve: train job ${jobId} interrupted at step 8/30 (the server shut down); resumable from its ` +
        `checkpoint step-000009 after the next start (the Resume button on the Train page, or POST /api/jobs/${jobId}/resume).\n`,
    );
  });

  it('words jobs without a checkpoint, other kinds and finished jobs', () => {
    const job = {
      id: 'j1',
      kind: 'train' as const,
      characterId: 'c',
      status: 'interrupted' as const,
      params: {},
      progress: null,
      result: null,
      error: null,
      checkpoint: null,
      attempts: 1,
      createdAt: '',
      startedAt: null,
      finishedAt: null,
    };
    expect(describeStoppedJob({ job, message: 'the server shut down' })).toBe(
      'toonlora serve: train job j1 interrupted (the server shut down), before its first checkpoint; resuming it ' +
        'after the next start trains from step 1 (the Resume button on the Train page, or POST /api/jobs/j1/resume).',
    );
    expect(describeStoppedJob({ job: { ...job, kind: 'prep' }, message: undefined })).toBe(
      'toonlora serve: prep job j1 interrupted; start it again after the next start (only train jobs resume).',
    );
    expect(
      describeStoppedJob({ job: { ...job, kind: 'generate', status: 'succeeded' }, message: undefined }),
    ).toBe('toonlora serve: generate job j1 ended succeeded.');
  });
});

/**
 * A train worker process (node, no Python) at step 8 of 30 with the checkpoint of step 6 written. On SIGTERM it
 * writes the checkpoint of step 9 after STOP_MS (or never, with IGNORE_TERM) and reports `cancelled`, as the
 * trainer does; its pid goes out in a log line.
 */
function trainWorker(stopMs: number, ignoreTerm = false): string {
  return `
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const say = (event) => process.stdout.write(JSON.stringify({ version: 1, ...event }) + '\\n');
let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  const runDir = JSON.parse(input).run_dir;
  const checkpoint = (step) => {
    const folder = join(runDir, 'checkpoints', 'step-' + String(step).padStart(6, '0'));
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'training_state.pt'), 'state');
    say({ type: 'checkpoint', step, path: folder });
    return folder;
  };
  // before the first event: a SIGTERM sent as soon as checkpoint 6 is read must find the handler
  process.on('SIGTERM', () => {
    if (${ignoreTerm}) return;
    setTimeout(() => {
      say({ type: 'progress', step: 9, total: 30, loss: 0.1, lr: 1e-4, it_per_s: 1, eta_s: 21 });
      say({ type: 'cancelled', step: 9, checkpoint: checkpoint(9) });
      process.exit(0);
    }, ${stopMs});
  });
  say({ type: 'log', level: 'info', message: 'pid ' + process.pid });
  for (let step = 1; step <= 8; step++) {
    say({ type: 'progress', step, total: 30, loss: 0.1, lr: 1e-4, it_per_s: 1, eta_s: 30 - step });
    if (step === 6) checkpoint(6);
  }
  setInterval(() => {}, 1000);
});`;
}

describe('shutdown with the train runner and a worker process', () => {
  const pids: number[] = [];
  afterEach(() => {
    for (const pid of pids.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL'); // a failed test leaves none behind
  });

  async function runWith(script: string, shutdownGraceMs: number) {
    const spawn = { command: process.execPath, args: ['-e', script], cwd: process.cwd() };
    const app = await buildApp({
      dataDir: tempDataDir('shutdown-worker'),
      webDir: '/nonexistent',
      shutdownGraceMs,
      runners: (deps) => ({ train: createTrainRunner(deps, { spawn }) }),
    });
    await app.ready();
    const { characterId, datasetId } = await seedDataset(app);
    const job = app.queue.submit('train', characterId, {
      datasetId,
      training: { baseModel: 'tiny', steps: 30 },
    });
    await vi.waitFor(() => expect(app.jobStore.getJob(job.id).checkpoint).toMatch(/step-000006$/), {
      timeout: 20_000,
    });
    const pid = Number(
      app.jobStore
        .listEvents(job.id)
        .flatMap((e) =>
          e.body.type === 'log' && e.body.message.startsWith('pid ') ? [e.body.message.slice(4)] : [],
        )[0],
    );
    pids.push(pid);
    return { app, jobId: job.id, pid };
  }

  it("records the checkpoint the worker writes while it stops, and the worker's last events", async () => {
    const { app, jobId, pid } = await runWith(trainWorker(400), 10_000);
    const stopped = await stopServer(app);
    expect(stopped[0]?.job).toMatchObject({ id: jobId, status: 'interrupted', progress: { step: 9 } });
    expect(stopped[0]?.job.checkpoint).toMatch(/checkpoints\/step-000009$/);
    expect(alive(pid)).toBe(false);
  }, 30_000);

  it('kills a worker that ignores the stop request once the grace time is over', async () => {
    const { app, jobId, pid } = await runWith(trainWorker(0, true), 500);
    const started = Date.now();
    const stopped = await stopServer(app);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(stopped[0]).toMatchObject({
      job: { id: jobId, status: 'interrupted' },
      message:
        'the server shut down; the job did not stop within 500 ms, so it was killed; the steps after its last checkpoint are lost',
    });
    expect(stopped[0]?.job.checkpoint).toMatch(/checkpoints\/step-000006$/);
    await vi.waitFor(() => expect(alive(pid)).toBe(false));
  }, 30_000);
});
