// test/server-remote-workers-state.test.ts — where a remote train job is, through GET /api/jobs/:id (inject, no
// Python): waiting for a GPU worker (no worker, no CLI words in its log), then the worker that claimed it and how
// long it has been silent; after a cancel the worker does not answer, how long until its lease runs out. The
// field is in /openapi.json.
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { claimAs } from './helpers/remote-train-jobs.js';
import { seedDataset } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('remote-state');

/** Until the job read over the API passes `ok` (10 s). */
async function jobUntil(app: FastifyInstance, id: string, ok: (job: Record<string, unknown>) => boolean) {
  const end = Date.now() + 10_000;
  for (;;) {
    const job = await getJob(app, id);
    if (ok(job)) return job;
    if (Date.now() > end) throw new Error(`not reached; last: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const getJob = async (app: FastifyInstance, id: string) =>
  (await app.inject({ method: 'GET', url: `/api/jobs/${id}` })).json();

describe('a remote train job says where it is', () => {
  it('waiting for a GPU worker, then on worker gpu-a, then silent after a cancel until its lease runs out', async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 3_000, jobs: 8 } });
    const seeded = await seedDataset(app);
    const submitted = await app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { kind: 'train', characterId: seeded.characterId, params: { datasetId: seeded.datasetId } },
    });
    const id = String(submitted.json().id);
    const waiting = await jobUntil(app, id, (job) => job.remote !== undefined);
    expect(waiting).toMatchObject({
      status: 'running',
      remote: { worker: null, silentMs: null, leaseEndsInMs: null, stopAsked: false },
    });
    const logs = app.jobStore.listEvents(id).flatMap((e) => (e.body.type === 'log' ? [e.body.message] : []));
    expect(logs).toContain('waiting for a GPU worker to claim this job');
    expect(logs.join('\n')).not.toMatch(/toonlora worker/);

    await claimAs(app, 'gpu-a');
    expect((await getJob(app, id)).remote).toMatchObject({ worker: 'gpu-a', stopAsked: false });

    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await app.inject({ method: 'POST', url: `/api/jobs/${id}/cancel` })).statusCode).toBe(200);
    const { remote } = await getJob(app, id);
    expect(remote).toMatchObject({ worker: 'gpu-a', stopAsked: true });
    expect(remote.silentMs).toBeGreaterThanOrEqual(900);
    expect(remote.leaseEndsInMs).toBeLessThanOrEqual(2_100);
    expect(remote.silentMs + remote.leaseEndsInMs).toBeGreaterThanOrEqual(2_900);

    // its lease ran out: the job ended, and says no more about a worker
    await jobUntil(app, id, (job) => job.status !== 'running');
    expect((await getJob(app, id)).remote).toBeUndefined();
  }, 30_000);

  it('is in the OpenAPI document', async () => {
    const app = await makeApp();
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(JSON.stringify(doc)).toMatch(
      /"remote":\{[\s\S]*"worker"[\s\S]*"silentMs"[\s\S]*"leaseEndsInMs"[\s\S]*"stopAsked"/,
    );
  });
});
