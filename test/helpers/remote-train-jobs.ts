// test/helpers/remote-train-jobs.ts — a train job on a `serve --remote-workers` app, driven by inject: submitted,
// offered to workers (the runner logs "waiting for a GPU worker" once the queue has started it and its dataset's
// images are checked; a claim before that line gets a 204), then claimed by one worker.
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { protocolHeaders } from '../../src/jobs/remote/protocol.js';
import { waitFor } from './job-stand-ins.js';
import { seedDataset } from './server-fixtures.js';

/** The headers `toonlora worker` sends on every /api/worker request (its worker protocol and toonlora version). */
export const WORKER_HEADERS = protocolHeaders();

/** The start of the log line a remote train job writes each time it is offered to workers. */
export const OFFERED_LINE = 'waiting for a GPU worker';

/** How many times job `id` has been offered to workers (its first attempt, then each resume). */
export function offerCount(app: FastifyInstance, id: string): number {
  return app.jobStore
    .listEvents(id)
    .filter((e) => e.body.type === 'log' && e.body.message.startsWith(OFFERED_LINE)).length;
}

/** Until job `id` has been offered exactly `times` times (5 s, or `timeoutMs`). */
export async function waitForOffers(app: FastifyInstance, id: string, times: number, timeoutMs?: number) {
  await waitFor(
    () => offerCount(app, id),
    (count) => count === times,
    timeoutMs,
  );
}

/** A train job on `seeded` (a new seeded dataset by default), submitted and offered to workers: its id. */
export async function offeredTrainJob(
  app: FastifyInstance,
  seeded?: { characterId: string; datasetId: string },
): Promise<string> {
  const { characterId, datasetId } = seeded ?? (await seedDataset(app));
  const res = await app.inject({
    method: 'POST',
    url: '/api/jobs',
    payload: { kind: 'train', characterId, params: { datasetId } },
  });
  expect(res.statusCode).toBe(201);
  const id = String(res.json().id);
  await waitForOffers(app, id, 1);
  return id;
}

/** A train job on a new seeded dataset, offered and claimed by `worker`: its id and the lease. */
export async function claimedTrainJob(
  app: FastifyInstance,
  worker = 'w1',
): Promise<{ id: string; leaseId: string }> {
  const id = await offeredTrainJob(app);
  return { id, leaseId: String((await claimAs(app, worker)).leaseId) };
}

/** `worker`'s claim of the next offered job, not waiting (a failure unless it got one): the claim's body. */
export async function claimAs(app: FastifyInstance, worker: string) {
  const claim = await app.inject({
    method: 'POST',
    url: '/api/worker/claim',
    headers: WORKER_HEADERS,
    payload: { worker, waitS: 0 },
  });
  expect(claim.statusCode).toBe(200);
  return claim.json();
}
