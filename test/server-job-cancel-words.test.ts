// test/server-job-cancel-words.test.ts — POST /api/jobs/:id/cancel, resume and DELETE around a cancel: two cancels of
// a queued job at once both answer 200 (the second answered 409 "cannot go from cancelled to cancelled"), a cancel of
// an ended job says there is nothing to cancel, and while a cancelled running job is still stopping the delete and
// the resume say so, with the time the cancel was asked (they said "Cancel it first" and "cannot go from running to
// queued" though the user had). A resume once a shutdown stopped such a job (recorded interrupted, its runner not
// returned yet) answers that the server is closing (it said the job was stopping and to resume it once it shows
// cancelled, which it never would).
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { KILL_WAIT_MS } from '../src/jobs/embedded-queue.js';
import type { JobContext } from '../src/jobs/job-queue.js';
import { gate } from './helpers/job-stand-ins.js';
import { seedDataset } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('job-cancel-words');

afterEach(() => {
  vi.useRealTimers();
});

/** Submits a train job; its id. */
async function submitTrain(app: FastifyInstance): Promise<string> {
  const { characterId, datasetId } = await seedDataset(app);
  const res = await app.inject({
    method: 'POST',
    url: '/api/jobs',
    payload: { kind: 'train', characterId, params: { datasetId, training: { baseModel: 'tiny' } } },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

const post = (app: FastifyInstance, id: string, action: 'cancel' | 'resume') =>
  app.inject({ method: 'POST', url: `/api/jobs/${id}/${action}` });

describe('cancel, resume and delete around a cancel', () => {
  it('answers two cancels of a queued job at once with the cancelled job, both', async () => {
    const app = await makeApp({ deferJobs: true, runners: { train: async () => ({}) } });
    const id = await submitTrain(app);
    const answers = await Promise.all([post(app, id, 'cancel'), post(app, id, 'cancel')]);
    expect(answers.map((res) => [res.statusCode, res.json().status])).toEqual([
      [200, 'cancelled'],
      [200, 'cancelled'],
    ]);
    expect(app.queue.listEvents(id).filter((e) => e.body.type === 'status')).toHaveLength(2); // queued, cancelled
  });

  it('says a job that ended has nothing to cancel', async () => {
    const app = await makeApp({ runners: { train: async () => ({}) } });
    const id = await submitTrain(app);
    await app.queue.whenIdle();
    const res = await post(app, id, 'cancel');
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({
      code: 'TL_ERR_CONFLICT',
      message: `train job ${id} already succeeded; nothing to cancel.`,
    });
  });

  it('refuses the delete and the resume of a job still stopping in words, with the time the cancel was asked', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const stopped = gate();
    onTestFinished(() => stopped.open()); // a failed check does not keep the app's close waiting for the job
    const started = gate();
    const runner = async (context: JobContext) => {
      started.open();
      await new Promise((aborted) => context.signal.addEventListener('abort', aborted, { once: true }));
      await stopped.promise; // a train job ends its step and writes its checkpoint first
      throw new Error('stopped');
    };
    const app = await makeApp({ runners: { train: runner } });
    const id = await submitTrain(app);
    await started.promise;
    vi.setSystemTime(new Date('2026-12-08T01:02:03.400Z'));
    expect((await post(app, id, 'cancel')).json().status).toBe('running');
    vi.setSystemTime(new Date('2026-12-08T01:02:05Z'));
    const [again, resume, remove] = await Promise.all([
      post(app, id, 'cancel'),
      post(app, id, 'resume'),
      app.inject({ method: 'DELETE', url: `/api/jobs/${id}` }),
    ]);
    expect(again.statusCode).toBe(200);
    expect([resume, remove].map((res) => [res.statusCode, res.json().error.message])).toEqual([
      [409, `train job ${id} is stopping (cancel asked at 01:02:03 UTC); resume it once it shows cancelled.`],
      [409, `train job ${id} is stopping (cancel asked at 01:02:03 UTC); delete it once it shows cancelled.`],
    ]);
    stopped.open();
    await app.queue.whenIdle();
    expect(app.queue.getJob(id).status).toBe('cancelled');
    expect((await post(app, id, 'cancel')).statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: `/api/jobs/${id}` })).statusCode).toBe(204);
  });

  it('answers the resume of a job being cancelled when a shutdown stopped it: the server is closing', async () => {
    const stopped = gate();
    onTestFinished(() => stopped.open());
    const started = gate();
    const runner = async () => {
      started.open();
      await stopped.promise; // deaf to the cancel and the kill: the shutdown records it and stops waiting
      throw new Error('stopped');
    };
    const app = await makeApp({ runners: { train: runner } });
    const id = await submitTrain(app);
    await started.promise;
    expect((await post(app, id, 'cancel')).json().status).toBe('running');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const closing = app.queue.close({ graceMs: 10 });
    await vi.advanceTimersByTimeAsync(10 + KILL_WAIT_MS);
    await closing;
    vi.useRealTimers();
    expect(app.queue.getJob(id).status).toBe('interrupted'); // its runner has not returned
    const resume = await post(app, id, 'resume');
    expect(resume.statusCode, resume.body).toBe(503);
    expect(resume.json().error.code).toBe('TL_ERR_UNAVAILABLE');
  });
});
