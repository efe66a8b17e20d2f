// test/server-remote-workers-samples.test.ts — a remote worker's sample images reach the server (inject, no port,
// no Python): an uploaded PNG becomes the job's `sample` artifact and `sample` event (what the Train page shows),
// downloadable; a file that is not a PNG, a name with a path in it, and a lease that is gone are refused.
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { claimedTrainJob, WORKER_HEADERS } from './helpers/remote-train-jobs.js';
import { solidPng } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('remote-samples');

const upload = (app: FastifyInstance, leaseId: string, step: number, images: Record<string, Buffer>) =>
  app.inject({
    method: 'POST',
    url: `/api/worker/leases/${leaseId}/samples`,
    headers: WORKER_HEADERS,
    payload: {
      step,
      images: Object.entries(images).map(([name, file]) => ({ name, png: file.toString('base64') })),
    },
  });

describe('serve --remote-workers: sample images', () => {
  it("stores an uploaded sample as the job's sample artifact and event, as a local run does", async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 60_000, jobs: 8 } });
    const { id, leaseId } = await claimedTrainJob(app);
    const png = await solidPng(8, 8);
    const other = await solidPng(8, 8, [10, 20, 30]);
    const res = await upload(app, leaseId, 50, {
      'step-000050-0-seed42.png': png,
      'step-000050-0-seed43.png': other,
    });
    expect(res.statusCode, res.body).toBe(200);
    const { artifactIds } = res.json();
    expect(artifactIds).toHaveLength(2);
    const events = (await app.inject({ method: 'GET', url: `/api/jobs/${id}/events` }))
      .json()
      .events.map((e: { body: Record<string, unknown> }) => e.body);
    // one event for the step, its images in the run's order (the Train page labels them by their place)
    const samples = events.filter((e: { type: string }) => e.type === 'sample');
    expect(samples).toEqual([expect.objectContaining({ type: 'sample', step: 50, artifactIds })]);
    const sample = samples[0];
    const artifacts = (
      await app.inject({ method: 'GET', url: `/api/artifacts?jobId=${id}&kind=sample` })
    ).json();
    expect(JSON.stringify(artifacts)).toContain('step 50 · step-000050-0-seed42.png');
    const image = await app.inject({ method: 'GET', url: String(sample.urls[0]) });
    expect(image.statusCode).toBe(200);
    expect(image.rawPayload.equals(png)).toBe(true);
    const second = await app.inject({ method: 'GET', url: String(sample.urls[1]) });
    expect(second.rawPayload.equals(other)).toBe(true);
  });

  it('refuses a file that is not a PNG, a name with a path, and a lease that is gone', async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 60_000, jobs: 8 } });
    const { leaseId } = await claimedTrainJob(app);
    const png = await solidPng(8, 8);
    expect((await upload(app, leaseId, 1, { 'a.png': Buffer.from('not a png') })).statusCode).toBe(415);
    expect((await upload(app, leaseId, 1, { '../../x.png': png })).statusCode).toBe(400);
    const fail = await app.inject({
      method: 'POST',
      url: `/api/worker/leases/${leaseId}/fail`,
      headers: WORKER_HEADERS,
      payload: { error: { code: 'TL_ERR_WORKER', message: 'boom' } },
    });
    expect(fail.statusCode).toBe(200);
    expect((await upload(app, leaseId, 1, { 'a.png': png })).statusCode).toBe(409);
  });
});
