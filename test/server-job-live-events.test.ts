// test/server-job-live-events.test.ts — a job's event stream carries its live state, pushed as it changes (no
// poll): a queued job's place (`queue`) when it opens and when the job ahead ends; a remote train job's worker
// (`remote`) when it is offered, when a worker claims it (its name) and when a cancel waits for that worker. Live
// events have no `id:` (they are not stored, so a reconnect resumes after the stored seq) and read through
// jobLiveEventSchema. Against a listening server (a stream's reply stays open while its job waits).
import { get, type IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobContext } from '../src/jobs/job-queue.js';
import { type JobLiveEventBody, jobLiveEventSchema } from '../src/schemas/api.js';
import { waitFor } from './helpers/job-stand-ins.js';
import { claimAs, offeredTrainJob, WORKER_HEADERS } from './helpers/remote-train-jobs.js';
import { parseSse, seedDataset, untilStopped } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('job-live');
const open: IncomingMessage[] = [];
afterEach(() => {
  for (const response of open.splice(0)) response.destroy();
});

/** A job's stream on a listening app: the live events it sent so far (checked: no id, schema-valid). */
async function follow(app: FastifyInstance, jobId: string) {
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  let text = '';
  await new Promise<void>((resolve, reject) => {
    get(`${base}/api/jobs/${jobId}/stream`, (response) => {
      open.push(response);
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
        resolve();
      });
    }).on('error', reject);
  });
  const live = (): JobLiveEventBody[] =>
    parseSse(text)
      .filter((event) => event.event === 'queue' || event.event === 'remote')
      .map((event) => {
        expect(event.id).toBeUndefined();
        const parsed = jobLiveEventSchema.parse(event.data);
        expect(parsed.jobId).toBe(jobId);
        expect(parsed.body.type).toBe(event.event);
        return parsed.body;
      });
  return { live, text: () => text };
}

/** A prep that runs until it is cancelled. */
const heldPrep = (context: JobContext): Promise<never> => untilStopped(context.signal);

describe("a job's event stream: live events", () => {
  it('sends a queued job its place when it opens and again when the job ahead ends', async () => {
    const app = await makeApp({ runners: { prep: heldPrep } });
    const { characterId } = await seedDataset(app);
    const first = app.queue.submit('prep', characterId, {});
    const second = app.queue.submit('prep', characterId, {});
    const third = app.queue.submit('prep', characterId, {});
    expect(app.queue.getJob(first.id).status).toBe('running');
    const stream = await follow(app, third.id);
    await waitFor(stream.live, (live) => live.length === 1);
    expect(stream.live()).toEqual([{ type: 'queue', running: ['prep'], ahead: 1 }]);
    app.queue.cancel(first.id); // the second starts: only the running one is ahead now
    // pushed at once (before: only a 2 s re-read of the queue saw it)
    const last = () => stream.live().at(-1);
    await waitFor(last, (body) => body?.type === 'queue' && body.ahead === 0, 1_000);
    expect(last()).toEqual({ type: 'queue', running: ['prep'], ahead: 0 });
    app.queue.cancel(second.id); // the third starts: no place to send; its status event says running
    await waitFor(stream.text, (text) => text.includes('"status":"running"'), 1_000);
    const places = stream.live().length;
    app.queue.cancel(third.id);
    await waitFor(stream.text, (text) => text.includes('"status":"cancelled"'), 1_000);
    expect(stream.live()).toHaveLength(places);
    // nothing live went into the stored log (GET /api/jobs/:id/events is as before)
    expect(app.jobStore.listEvents(third.id).map((e) => e.body.type)).not.toContain('queue');
  }, 60_000);

  it("carries a remote train job's worker: none while offered, its name on claim, a cancel waiting", async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 30_000, jobs: 2 } });
    const id = await offeredTrainJob(app);
    const stream = await follow(app, id);
    await waitFor(stream.live, (live) => live.length === 1);
    expect(stream.live()).toEqual([
      { type: 'remote', remote: { worker: null, silentMs: null, leaseEndsInMs: null, stopAsked: false } },
    ]);
    const claim = await claimAs(app, 'gpu-a');
    const last = () => stream.live().at(-1);
    await waitFor(last, (body) => body?.type === 'remote' && body.remote.worker === 'gpu-a', 1_000);
    expect(last()).toMatchObject({ type: 'remote', remote: { worker: 'gpu-a', stopAsked: false } });
    const leaseId = String(claim.leaseId);
    const count = stream.live().length;
    const report = await app.inject({
      method: 'POST',
      url: `/api/worker/leases/${leaseId}/events`,
      headers: WORKER_HEADERS,
      payload: { events: [{ type: 'progress', progress: { step: 1, total: 10 } }] },
    });
    expect(report.statusCode).toBe(200);
    // a report renews the lease: the page's silence count starts again from it
    await waitFor(
      () => stream.live().length,
      (n) => n > count,
      1_000,
    );
    expect(last()).toMatchObject({ remote: { worker: 'gpu-a', silentMs: expect.any(Number) } });
    expect((await app.inject({ method: 'POST', url: `/api/jobs/${id}/cancel` })).statusCode).toBe(200);
    await waitFor(last, (body) => body?.type === 'remote' && body.remote.stopAsked, 1_000);
    // the worker stops as asked: the job ends cancelled and its stream with it
    const stopped = await app.inject({
      method: 'POST',
      url: `/api/worker/leases/${leaseId}/fail`,
      headers: WORKER_HEADERS,
      payload: { error: { code: 'TL_ERR_CANCELLED', message: 'stopped' }, stopped: true },
    });
    expect(stopped.statusCode).toBe(200);
    await waitFor(stream.text, (text) => text.includes('"status":"cancelled"'), 5_000);
  }, 60_000);
});
