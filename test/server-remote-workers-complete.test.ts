// test/server-remote-workers-complete.test.ts — a worker's finished LoRA (POST .../complete) is streamed to a temporary
// file in the job's folder, never held whole in server memory: an upload over the limit (uploads.maxLoraBytes) is
// refused while it streams and leaves no file; a normal one arrives byte-identical. And a shutdown does not wait for
// a remote worker a cancel asked to stop: the job is recorded interrupted at once, as for every remote job.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { stopServer } from '../src/server/server.js';
import { waitFor } from './helpers/job-stand-ins.js';
import { claimedTrainJob, WORKER_HEADERS } from './helpers/remote-train-jobs.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp, apps } = appsClosedAfterEach('remote-complete');

/** A safetensors file of `bytes` bytes (its JSON header padded with spaces). */
function safetensors(bytes: number): Buffer {
  const header = Buffer.from('{"__metadata__":{"ss_network_module":"networks.lora"}}'.padEnd(bytes - 8, ' '));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([length, header]);
}

/** Every file under `dir`. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));

/** `file` as a stream of 1 KiB chunks without a content-length: only counting while it streams can refuse it. */
const chunked = (file: Buffer) =>
  Readable.from(
    Array.from({ length: Math.ceil(file.length / 1024) }, (_, i) => file.subarray(i * 1024, (i + 1) * 1024)),
  );

describe('a remote worker completing its job', () => {
  it('an upload over the limit is refused while it streams and leaves no file; a normal one arrives intact', async () => {
    const app = await makeApp({
      remoteWorkers: { leaseMs: 60_000, jobs: 2 },
      uploads: { maxLoraBytes: 64 * 1024 },
    });
    const { id, leaseId } = await claimedTrainJob(app);
    const complete = (file: Buffer) =>
      app.inject({
        method: 'POST',
        url: `/api/worker/leases/${leaseId}/complete?steps=4&lastLoss=0.25`,
        headers: { ...WORKER_HEADERS, 'content-type': 'application/octet-stream' },
        payload: chunked(file),
      });
    const tooLarge = await complete(safetensors(256 * 1024));
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json().error.message).toMatch(/the LoRA upload is larger than the server takes \(64 KiB/);
    // not closed at once: the rest is read and dropped first, so the refusal reaches a worker still sending it
    // (test/remote-upload-refusal.test.ts)
    expect(tooLarge.headers.connection).toBe('keep-alive');
    const jobDir = join(app.dataDir, 'jobs');
    expect(filesUnder(jobDir).filter((path) => /partial|safetensors/.test(path))).toEqual([]);
    expect(app.jobStore.getJob(id).status).toBe('running'); // the lease holds: the worker may send it again
    const file = safetensors(60 * 1024);
    expect((await complete(file)).statusCode).toBe(200);
    await waitFor(
      () => app.jobStore.getJob(id).status,
      (status) => status === 'succeeded',
    );
    const download = await app.inject({
      method: 'GET',
      url: `/api/loras/${app.jobStore.getJob(id).result?.loraId}/download`,
    });
    expect(download.rawPayload.equals(file)).toBe(true);
    expect(filesUnder(jobDir).filter((path) => path.includes('partial'))).toEqual([]);
  }, 60_000);

  it('a shutdown while a cancel waits for the worker returns at once and records the job interrupted', async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 5_000, jobs: 2 } });
    const { id } = await claimedTrainJob(app, 'gpu-a');
    expect((await app.inject({ method: 'POST', url: `/api/jobs/${id}/cancel` })).statusCode).toBe(200);
    expect(app.remoteBoard?.remoteState(id)).toMatchObject({ worker: 'gpu-a', stopAsked: true });
    const started = Date.now();
    const stopped = await stopServer(app);
    apps.splice(apps.indexOf(app), 1);
    expect(Date.now() - started).toBeLessThan(2_000); // the lease (5 s) is not waited out
    expect(stopped.map(({ job }) => [job.id, job.status])).toEqual([[id, 'interrupted']]);
    expect(stopped[0]?.message).toMatch(/the server shut down while a cancel waited for worker gpu-a/);
  }, 60_000);
});
