// test/server-remote-workers-checkpoint.test.ts — the checkpoint a remote worker uploads (inject, no port, no Python):
// the server keeps the newest one per job (renamed into place, the one before deleted; a failed upload leaves the
// kept one as it was), refuses one too large (413, saying the limit) or not a checkpoint (422); the interrupted job
// says a resume continues from it; a resume's claim names it and GETs it; the job's success deletes it.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { zipCheckpoint } from '../src/jobs/remote/checkpoint-archive.js';
import { storeCheckpoint } from '../src/jobs/remote/checkpoint-store.js';
import { unzipFileTo } from '../src/jobs/remote/unzip.js';
import { MAX_CHECKPOINT_BYTES } from '../src/server/routes/workers/index.js';
import { waitFor } from './helpers/job-stand-ins.js';
import { claimAs, offeredTrainJob, WORKER_HEADERS, waitForOffers } from './helpers/remote-train-jobs.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('remote-ckpt');

/** A checkpoint folder as the trainer writes it (adapter, config, training state, text encoder), zipped. */
async function checkpointZip(step: number): Promise<Buffer> {
  const folder = await mkdtemp(join(tmpdir(), 'tl-ckpt-'));
  writeFileSync(join(folder, 'adapter_model.safetensors'), Buffer.alloc(300, step));
  writeFileSync(join(folder, 'adapter_config.json'), '{"r": 4}');
  writeFileSync(join(folder, 'training_state.pt'), Buffer.alloc(500, step + 1));
  mkdirSync(join(folder, 'text_encoder'));
  writeFileSync(join(folder, 'text_encoder', 'adapter_model.safetensors'), Buffer.alloc(100, 7));
  const zip = await zipCheckpoint(folder);
  const bytes = await buffer(zip.stream);
  expect(bytes.length).toBe(zip.bytes);
  return bytes;
}

const claim = (app: FastifyInstance) => claimAs(app, 'w1');

const upload = (app: FastifyInstance, leaseId: string, step: number, body: Buffer, headers = {}) =>
  app.inject({
    method: 'POST',
    url: `/api/worker/leases/${leaseId}/checkpoint?step=${step}`,
    headers: { ...WORKER_HEADERS, 'content-type': 'application/zip', ...headers },
    payload: body,
  });

/** The files of the job's run folder on the server (its only folder under jobs/<id>/). */
function runFolderFiles(app: FastifyInstance, id: string): string[] {
  const jobDir = join(app.dataDir, 'jobs', id);
  const [run] = readdirSync(jobDir);
  return readdirSync(join(jobDir, String(run))).sort();
}

describe('serve --remote-workers: the checkpoint kept for a resume', () => {
  it('keeps the newest upload only, refuses one too large or not a checkpoint, and a resume downloads it', async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 1_500, jobs: 8 } });
    const id = await offeredTrainJob(app);
    const lease = await claim(app);
    expect(lease.job.checkpoint).toBeNull();
    const second = await checkpointZip(2);
    const first = await upload(app, lease.leaseId, 2, second);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ step: 2, bytes: second.length });
    expect(runFolderFiles(app, id)).toEqual(['worker-checkpoint-step-000002.zip', 'worker-checkpoint.json']);
    const fourth = await checkpointZip(4);
    expect((await upload(app, lease.leaseId, 4, fourth)).statusCode).toBe(200);
    // as the worker reports it (a job without a reported checkpoint starts over)
    const events = await app.inject({
      method: 'POST',
      url: `/api/worker/leases/${lease.leaseId}/events`,
      headers: WORKER_HEADERS,
      payload: { events: [{ type: 'checkpoint', step: 4, path: `${id}/run/checkpoints/step-000004` }] },
    });
    expect(events.statusCode).toBe(200);
    // the one before is deleted once the new one is in place
    expect(runFolderFiles(app, id)).toEqual(['worker-checkpoint-step-000004.zip', 'worker-checkpoint.json']);

    // refused uploads leave the kept checkpoint as it was, and no temporary file
    const notZip = await upload(app, lease.leaseId, 6, Buffer.from('not a zip at all'));
    expect(notZip.statusCode).toBe(422);
    expect(notZip.json().error.message).toMatch(/not a zip of a checkpoint folder/);
    const tooLarge = await upload(app, lease.leaseId, 6, fourth, {
      'content-length': String(MAX_CHECKPOINT_BYTES + 1),
    });
    expect(tooLarge.statusCode).toBe(413);
    // not closed at once: the rest is read and dropped first, so the refusal reaches a worker still sending it
    // (test/remote-upload-refusal.test.ts)
    expect(tooLarge.headers.connection).toBe('keep-alive');
    expect(tooLarge.json().error).toMatchObject({
      code: 'TL_ERR_PAYLOAD_TOO_LARGE',
      message: expect.stringMatching(/is larger than the server takes \(4096 MiB\)/),
    });
    expect(runFolderFiles(app, id)).toEqual(['worker-checkpoint-step-000004.zip', 'worker-checkpoint.json']);

    // the lease lapses: the job says where a resume continues from
    await waitFor(
      () => app.jobStore.getJob(id).status,
      (status) => status === 'interrupted',
    );
    expect(app.jobStore.getJob(id).error?.message).toMatch(
      /Resume the job: any worker continues from the checkpoint of step 4 this server keeps/,
    );
    expect((await app.inject({ method: 'POST', url: `/api/jobs/${id}/resume` })).statusCode).toBe(200);
    await waitForOffers(app, id, 2);
    const resumed = await claim(app);
    expect(resumed.job).toMatchObject({
      resume: true,
      checkpoint: { step: 4, bytes: fourth.length, path: `/api/worker/leases/${resumed.leaseId}/checkpoint` },
    });
    const got = await app.inject({
      method: 'GET',
      url: resumed.job.checkpoint.path,
      headers: WORKER_HEADERS,
    });
    expect(got.statusCode).toBe(200);
    expect(got.headers['x-checkpoint-step']).toBe('4');
    expect(got.rawPayload.equals(fourth)).toBe(true);
    // as the worker unpacks it: the checkpoint folder again
    const zipPath = join(await mkdtemp(join(tmpdir(), 'tl-ckpt-dl-')), 'c.zip');
    writeFileSync(zipPath, got.rawPayload);
    const out = await mkdtemp(join(tmpdir(), 'tl-ckpt-out-'));
    expect(await unzipFileTo(zipPath, out, 'checkpoint zip')).toBe(4);
    expect((await readdir(join(out, 'text_encoder'))).sort()).toEqual(['adapter_model.safetensors']);

    // the job succeeds: its kept checkpoint is deleted (a finished job is not resumed)
    const header = Buffer.from('{"__metadata__":{}}');
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    const done = await app.inject({
      method: 'POST',
      url: `/api/worker/leases/${resumed.leaseId}/complete?steps=8`,
      headers: { ...WORKER_HEADERS, 'content-type': 'application/octet-stream' },
      payload: Buffer.concat([length, header]),
    });
    expect(done.statusCode, done.body).toBe(200);
    // the note that one was kept stays: a resume after the LoRA's delete is refused by it (lease-board.ts)
    expect(runFolderFiles(app, id).filter((name) => name.includes('checkpoint'))).toEqual([
      'worker-checkpoint.json',
    ]);
  });

  it('an upload over the limit with no length said is cut off by its byte count, leaving no file', async () => {
    const runDir = await mkdtemp(join(tmpdir(), 'tl-ckpt-store-'));
    const body = Readable.from([Buffer.alloc(600), Buffer.alloc(600)]);
    const stored = storeCheckpoint(runDir, 3, body, { maxBytes: 1000, keep: () => {} });
    await expect(stored).rejects.toMatchObject({ code: 'TL_ERR_PAYLOAD_TOO_LARGE' });
    expect(await readdir(runDir)).toEqual([]);
  });
});
