// test/server-queue-order.test.ts — jobs run in the order they entered the queue: a resumed train job, however
// old, waits behind the jobs queued before its resume; its status line and GET /api/jobs?status=queued (which the
// web app's "waiting for …" line counts from) agree with that order.
import { describe, expect, it } from 'vitest';
import type { JobContext } from '../src/jobs/job-queue.js';
import { seedDataset, untilStopped } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const apps = appsClosedAfterEach('queue-order');

describe('the job queue order', () => {
  it('runs a resumed job after the jobs queued before its resume', async () => {
    const started: string[] = [];
    const app = await apps.makeApp({
      runners: {
        train: (context: JobContext) => {
          started.push(context.job.id);
          return untilStopped(context.signal);
        },
      },
    });
    const { characterId, datasetId } = await seedDataset(app);
    // a train job from days ago that the server stopped under
    const old = app.jobStore.createJob('train', characterId, { datasetId });
    app.jobStore.transition(old.id, 'running');
    app.jobStore.transition(old.id, 'interrupted');
    started.splice(0);
    const post = async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/jobs',
        payload: { kind: 'train', characterId, params: { datasetId } },
      });
      expect(res.statusCode).toBe(201);
      return res.json().id as string;
    };
    const running = await post();
    const waiting = await post();
    expect(app.queue.getJob(waiting).status).toBe('queued');

    const resumed = await app.inject({ method: 'POST', url: `/api/jobs/${old.id}/resume` });
    expect(resumed.statusCode).toBe(200);
    expect(app.jobStore.lastEvent(old.id)?.body).toMatchObject({
      status: 'queued',
      message:
        'starting again (no checkpoint was written); waiting for the running train job and 1 queued before it (one job runs at a time)',
    });

    // the queue as the web app reads it (newest first) puts the resumed job last in line, i.e. listed first
    const queued = await app.inject({ method: 'GET', url: '/api/jobs?status=queued' });
    expect(queued.json().jobs.map((job: { id: string }) => job.id)).toEqual([old.id, waiting]);

    await app.inject({ method: 'POST', url: `/api/jobs/${running}/cancel` });
    await expect.poll(() => app.queue.getJob(waiting).status).toBe('running');
    expect(app.queue.getJob(old.id).status).toBe('queued');
    expect(started).toEqual([running, waiting]);
  });
});
