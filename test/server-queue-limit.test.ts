// test/server-queue-limit.test.ts — the job queue's cap (`serve --max-queued`): a job that would wait behind
// the limit is refused with 429 naming the limit and the queued count, for a new job and for a resume; the
// running job does not count, and a slot frees as soon as a queued job is cancelled.
import { describe, expect, it } from 'vitest';
import type { JobContext } from '../src/jobs/job-queue.js';
import { SERVE_DEFAULTS } from '../src/schemas/serve-defaults.js';
import { seedDataset } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const apps = appsClosedAfterEach('queue-limit');

/** A train job that runs until it is stopped. */
const holdTrain = (context: JobContext) =>
  new Promise<Record<string, unknown>>((_, reject) =>
    context.signal.addEventListener('abort', () => reject(new Error('stopped'))),
  );

async function appWithLimit(maxQueued?: number) {
  const app = await apps.makeApp({
    runners: { train: holdTrain },
    ...(maxQueued === undefined ? {} : { maxQueued }),
  });
  const { characterId, datasetId } = await seedDataset(app);
  const post = () =>
    app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { kind: 'train', characterId, params: { datasetId } },
    });
  return { app, post };
}

describe('the job queue limit', () => {
  it('refuses a job beyond --max-queued with 429, naming the limit and the queued count', async () => {
    const { app, post } = await appWithLimit(2);
    const running = (await post()).json();
    expect(app.queue.getJob(running.id).status).toBe('running'); // the running job is not counted
    expect((await post()).statusCode).toBe(201);
    const second = await post();
    expect(second.statusCode).toBe(201);
    const refused = await post();
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error).toMatchObject({
      code: 'TL_ERR_QUEUE_FULL',
      message:
        'the job queue is full: 2 jobs are queued and the limit is 2 (whoever runs the server sets it). Wait for queued jobs to start, or cancel one, then submit again.',
    });
    expect(app.queue.listJobs({ status: 'queued' })).toHaveLength(2);
    // a cancelled queued job frees its place
    await app.inject({ method: 'POST', url: `/api/jobs/${second.json().id}/cancel` });
    expect((await post()).statusCode).toBe(201);
    // a resume joins the queue too: refused while it is full
    const resumed = await app.inject({ method: 'POST', url: `/api/jobs/${second.json().id}/resume` });
    expect(resumed.statusCode).toBe(429);
    expect(app.queue.getJob(second.json().id).status).toBe('cancelled');
    // a job that cannot be resumed at all (here: it runs) still says why (409), full queue or not
    const notStopped = await app.inject({ method: 'POST', url: `/api/jobs/${running.id}/resume` });
    expect(notStopped.statusCode).toBe(409);
  });

  it(`holds ${SERVE_DEFAULTS.maxQueued} queued jobs by default`, async () => {
    const { app, post } = await appWithLimit();
    for (let i = 0; i <= SERVE_DEFAULTS.maxQueued; i++) expect((await post()).statusCode).toBe(201);
    expect(app.queue.listJobs({ status: 'queued' })).toHaveLength(SERVE_DEFAULTS.maxQueued);
    const refused = await post();
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.message).toContain(
      `${SERVE_DEFAULTS.maxQueued} jobs are queued and the limit is`,
    );
  });
});
