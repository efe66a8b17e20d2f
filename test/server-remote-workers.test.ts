// test/server-remote-workers.test.ts — `serve --remote-workers`' queue side through the API (inject, no port, no
// Python): claims racing (one job each, one 204), a lease left to expire (the job interrupted, resumable, claimed
// again as a resume), a cancel reaching the worker in its events reply, the LoRA upload ending the job (downloadable),
// the token on the worker routes, and the dataset zip unpacked as the worker does.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { parseServerUrl } from '../src/cli/commands/worker.js';
import { FIX_SLOT } from '../src/error-fix.js';
import { ToonloraError } from '../src/errors.js';
import { WorkerClient } from '../src/jobs/remote/worker-client.js';
import { parseWorkerLease } from '../src/cli/commands/serve.js';
import { unzipFileTo } from '../src/jobs/remote/unzip.js';
import { waitFor as waitForValue } from './helpers/job-stand-ins.js';
import { offeredTrainJob, WORKER_HEADERS, waitForOffers } from './helpers/remote-train-jobs.js';
import { seedDataset } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('remote');

/** A minimal safetensors file: header length, a JSON header, no tensors. */
const SAFETENSORS = (() => {
  const header = Buffer.from('{"__metadata__":{"ss_network_module":"networks.lora"}}');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([length, header]);
})();

/** Until `ok()` holds (5 s, or `timeoutMs`). */
const waitFor = (ok: () => boolean, timeoutMs?: number) => waitForValue(ok, (held) => held, timeoutMs);

const remoteApp = (leaseMs = 60_000, token?: string) =>
  makeApp({ remoteWorkers: { leaseMs, jobs: 8 }, ...(token ? { token } : {}) });

const claim = (app: FastifyInstance, worker: string, waitS = 0) =>
  app.inject({
    method: 'POST',
    url: '/api/worker/claim',
    headers: WORKER_HEADERS,
    payload: { worker, waitS },
  });

describe('serve --remote-workers', () => {
  it('gives two workers claiming at once one job each, and a third a 204', async () => {
    const app = await remoteApp();
    const seeded = await seedDataset(app);
    const jobs = [await offeredTrainJob(app, seeded), await offeredTrainJob(app, seeded)];
    const replies = await Promise.all(['w1', 'w2', 'w3'].map((worker) => claim(app, worker)));
    const claimed = replies.filter((r) => r.statusCode === 200).map((r) => r.json().job.id);
    expect(replies.map((r) => r.statusCode).sort()).toEqual([200, 200, 204]);
    expect(claimed.sort()).toEqual([...jobs].sort());
    // the leases are in the store: one per attempt, each job once
    const rows = app.jobStore.db.prepare('SELECT job_id, worker FROM job_leases').all();
    expect(rows).toHaveLength(2);
    expect(app.jobStore.claimLease(jobs[0] as string, 1, 'another-lease', 'w9')).toBe(false);
  });

  it('a long-polling claim gets the job submitted while it waits', async () => {
    const app = await remoteApp();
    const seeded = await seedDataset(app);
    const waiting = claim(app, 'w1', 5);
    const id = await offeredTrainJob(app, seeded);
    const reply = await waiting;
    expect(reply.statusCode).toBe(200);
    expect(reply.json()).toMatchObject({
      job: { id, attempt: 1, resume: false, datasetZipPath: `/api/datasets/${seeded.datasetId}/zip` },
    });
  });

  it('marks the job interrupted when its lease is not renewed, and a resume is claimed again', async () => {
    const app = await remoteApp(400);
    const id = await offeredTrainJob(app, await seedDataset(app));
    const lease = (await claim(app, 'gpu-1')).json();
    const events = await app.inject({
      method: 'POST',
      url: `/api/worker/leases/${lease.leaseId}/events`,
      headers: WORKER_HEADERS,
      payload: {
        events: [
          { type: 'progress', progress: { step: 2, total: 10, loss: 0.5 } },
          { type: 'checkpoint', step: 2, path: 'run/checkpoint-2' },
        ],
      },
    });
    expect(events.json()).toMatchObject({ stop: false });
    await waitFor(() => app.jobStore.getJob(id).status === 'interrupted', 5_000);
    const job = app.jobStore.getJob(id);
    expect(job).toMatchObject({
      checkpoint: 'gpu-1:run/checkpoint-2',
      progress: { step: 2 },
      error: {
        code: 'TL_ERR_INTERRUPTED',
        message: expect.stringMatching(/^worker gpu-1 stopped reporting/),
      },
    });
    // the worker that comes back late is told its lease is gone
    const late = await app.inject({
      method: 'POST',
      url: `/api/worker/leases/${lease.leaseId}/events`,
      headers: WORKER_HEADERS,
      payload: { events: [] },
    });
    expect(late.statusCode).toBe(409);
    expect((await app.inject({ method: 'POST', url: `/api/jobs/${id}/resume` })).statusCode).toBe(200);
    // offered again once the runner has started it and checked its dataset (a claim before that gets a 204)
    await waitForOffers(app, id, 2);
    expect((await claim(app, 'gpu-1')).json()).toMatchObject({ job: { id, attempt: 2, resume: true } });
  });

  it('a cancel reaches the worker in its events reply; its stop ends the job cancelled', async () => {
    const app = await remoteApp();
    const id = await offeredTrainJob(app, await seedDataset(app));
    const lease = (await claim(app, 'w1')).json();
    await app.inject({ method: 'POST', url: `/api/jobs/${id}/cancel` });
    const reply = await app.inject({
      method: 'POST',
      url: `/api/worker/leases/${lease.leaseId}/events`,
      headers: WORKER_HEADERS,
      payload: { events: [] },
    });
    expect(reply.json()).toMatchObject({ stop: true });
    expect(app.jobStore.getJob(id).status).toBe('running');
    const fail = await app.inject({
      method: 'POST',
      url: `/api/worker/leases/${lease.leaseId}/fail`,
      headers: WORKER_HEADERS,
      payload: { error: { code: 'TL_ERR_WORKER', message: 'stopped at step 3' }, stopped: true },
    });
    expect(fail.statusCode).toBe(200);
    await waitFor(() => app.jobStore.getJob(id).status === 'cancelled');
  });

  it("a worker's failure names its fix as data: the job's error has it in the web app's words", async () => {
    const app = await remoteApp();
    const id = await offeredTrainJob(app, await seedDataset(app));
    const lease = (await claim(app, 'w1')).json();
    // what remote-run.ts sends for a run that died after a checkpoint: the text, with the fix's place, and the fix
    const message = `run died. The checkpoint at step 4 is on disk (run/c4): ${FIX_SLOT} continue from it.`;
    const fail = await app.inject({
      method: 'POST',
      url: `/api/worker/leases/${lease.leaseId}/fail`,
      headers: WORKER_HEADERS,
      payload: { error: { code: 'TL_ERR_WORKER', message, fix: { kind: 'resume' } } },
    });
    expect(fail.statusCode).toBe(200);
    await waitFor(() => app.jobStore.getJob(id).status === 'failed');
    expect(app.jobStore.getJob(id).error?.message).toBe(
      'worker w1: run died. The checkpoint at step 4 is on disk (run/c4): press Resume from checkpoint on the Train page to continue from it.',
    );
  });

  it("a worker's missing model is pulled on the worker's machine, not on the Models page (the server's)", async () => {
    const app = await remoteApp();
    const id = await offeredTrainJob(app, await seedDataset(app));
    const lease = (await claim(app, 'w1')).json();
    const message =
      'anything-v5: base model not found on this machine. Run: toonlora models pull anything-v5';
    const fix = { kind: 'pull-model', id: 'anything-v5' };
    await app.inject({
      method: 'POST',
      url: `/api/worker/leases/${lease.leaseId}/fail`,
      headers: WORKER_HEADERS,
      payload: { error: { code: 'TL_ERR_MODEL_MISSING', message, fix } },
    });
    await waitFor(() => app.jobStore.getJob(id).status === 'failed');
    // before: "… (In the web app: the Models page pulls anything-v5.)", a pull on the server the worker never sees
    expect(app.jobStore.getJob(id).error?.message).toBe(
      "anything-v5 is not downloaded on worker w1: pull it on the worker's machine (toonlora models pull anything-v5 there).",
    );
  });

  it("stores the uploaded LoRA as the job's and ends it succeeded; a file that is not safetensors is refused", async () => {
    const app = await remoteApp();
    const id = await offeredTrainJob(app, await seedDataset(app));
    const lease = (await claim(app, 'w1')).json();
    const complete = (body: Buffer) =>
      app.inject({
        method: 'POST',
        url: `/api/worker/leases/${lease.leaseId}/complete?steps=4&lastLoss=0.25`,
        headers: { ...WORKER_HEADERS, 'content-type': 'application/octet-stream' },
        payload: body,
      });
    expect((await complete(Buffer.from('not a lora'))).statusCode).toBe(422);
    expect((await complete(SAFETENSORS)).statusCode).toBe(200);
    await waitFor(() => app.jobStore.getJob(id).status === 'succeeded');
    const job = app.jobStore.getJob(id);
    expect(job.result).toMatchObject({ steps: 4, lastLoss: 0.25, worker: 'w1' });
    const download = await app.inject({ method: 'GET', url: `/api/loras/${job.result?.loraId}/download` });
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload.equals(SAFETENSORS)).toBe(true);
    expect((await complete(SAFETENSORS)).statusCode).toBe(409);
  });

  it('the worker routes need the token when the server has one, and /openapi.json declares them', async () => {
    const app = await remoteApp(60_000, 'sekret-token-for-tests-0123456789');
    const res = await claim(app, 'w1');
    expect(res.statusCode).toBe(401);
    const paths = (await app.inject({ method: 'GET', url: '/openapi.json' })).json().paths;
    expect(Object.keys(paths).filter((path: string) => path.startsWith('/api/worker'))).toEqual([
      '/api/worker/claim',
      '/api/worker/leases/{id}/events',
      '/api/worker/leases/{id}/samples',
      '/api/worker/leases/{id}/checkpoint',
      '/api/worker/leases/{id}/complete',
      '/api/worker/leases/{id}/fail',
    ]);
    expect(Object.keys(paths['/api/worker/claim'].post.responses).sort()).toEqual(
      expect.arrayContaining(['200', '204', '400', '401']),
    );
    // a checkpoint is uploaded as a zip stream (413 past the limit), and downloaded by a resume
    const checkpoint = paths['/api/worker/leases/{id}/checkpoint'];
    expect(Object.keys(checkpoint.post.requestBody.content)).toEqual(['application/zip']);
    expect(Object.keys(checkpoint.post.responses)).toEqual(expect.arrayContaining(['200', '413', '422']));
    expect(Object.keys(checkpoint.get.responses)).toEqual(expect.arrayContaining(['404', '409']));
    const ok = await app.inject({
      method: 'POST',
      url: '/api/worker/claim',
      headers: { ...WORKER_HEADERS, authorization: 'Bearer sekret-token-for-tests-0123456789' },
      payload: { worker: 'w1', waitS: 0 },
    });
    expect(ok.statusCode).toBe(204);
  });

  it('fails a job whose dataset image was deleted at once, naming the item, not after a worker claims it', async () => {
    const app = await remoteApp();
    const seeded = await seedDataset(app);
    rmSync(join(app.dataDir, app.catalog.getDatasetItem(seeded.datasetId, 'a').imagePath));
    const res = await app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { kind: 'train', characterId: seeded.characterId, params: { datasetId: seeded.datasetId } },
    });
    const id = String(res.json().id);
    await waitFor(() => app.jobStore.getJob(id).status === 'failed');
    expect(app.jobStore.getJob(id).error).toMatchObject({
      code: 'TL_ERR_NOT_FOUND',
      message: expect.stringContaining('the dataset image a.png is missing'),
    });
    expect((await claim(app, 'w1')).statusCode).toBe(204);
  });

  it('a worker with a wrong or no token is told to set TOONLORA_TOKEN, the route named once', async () => {
    const app = await remoteApp(60_000, 'sekret-token-for-tests-0123456789');
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    for (const token of ['wrong-token', undefined]) {
      const error = await new WorkerClient(url, token).claim('w1', 0).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ToonloraError);
      expect((error as ToonloraError).code).toBe('TL_ERR_UNAUTHORIZED');
      expect((error as ToonloraError).message).toMatch(
        /refused this worker's token: set TOONLORA_TOKEN here/,
      );
    }
    // any other refusal names its route once (it read "POST /api/worker/claim: POST /api/worker/claim: ...")
    const bad = await new WorkerClient(url, 'sekret-token-for-tests-0123456789')
      .downloadTo('/api/datasets/nope/zip', join(mkdtempSync(join(tmpdir(), 'tl-dl-')), 'z.zip'), 1000)
      .catch((e: unknown) => e);
    expect((bad as Error).message.match(/GET \/api\/datasets\/nope\/zip/g)).toHaveLength(1);
  });

  it('a worker that cannot reach the server says why (ECONNREFUSED), not "fetch failed"', async () => {
    const gone = await makeApp(); // a port nothing listens on any more
    const url = await gone.listen({ port: 0, host: '127.0.0.1' });
    await gone.close();
    const error = await new WorkerClient(url).claim('w1', 0).catch((e: unknown) => e);
    expect((error as ToonloraError).code).toBe('TL_ERR_UNAVAILABLE');
    expect((error as Error).message).toBe(`cannot reach ${url} (ECONNREFUSED)`);
  });

  it('unpacks the dataset zip as a worker does', async () => {
    const app = await remoteApp();
    const { datasetId } = await seedDataset(app);
    const zip = await app.inject({ method: 'GET', url: `/api/datasets/${datasetId}/zip` });
    const out = mkdtempSync(join(tmpdir(), 'tl-unzip-'));
    writeFileSync(join(out, 'dataset.zip'), zip.rawPayload);
    expect(await unzipFileTo(join(out, 'dataset.zip'), join(out, 'data'), 'dataset zip')).toBe(4);
    expect(readFileSync(join(out, 'data', '10_mina_tl girl', 'a.txt'), 'utf8').trim()).toBe(
      'mina_tl, girl a',
    );
  });

  it('reads the flags: --worker-lease in seconds, --server as an http(s) address', () => {
    expect(parseWorkerLease('2.5')).toBe(2500);
    expect(() => parseWorkerLease('0')).toThrow(/--worker-lease: expected a number of seconds above 0/);
    expect(parseServerUrl('http://gpu-host:7860/')).toBe('http://gpu-host:7860');
    expect(() => parseServerUrl('gpu-host:7860')).toThrow(/--server: expected the server's address/);
  });
});
