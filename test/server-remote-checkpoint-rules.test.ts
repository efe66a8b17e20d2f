// test/server-remote-checkpoint-rules.test.ts — the rules of the checkpoint a remote worker uploads and unpacks
// (inject, no port, no Python): the highest step is kept (before, a step 0 after step 10 replaced it); `?step=` is
// digits only (`1e3` was read as 1000); a lease whose job never uploaded one says none was uploaded (it said "it was
// deleted"); an upload holding a symbolic link is refused; a worker's unzip refuses, before writing anything, a zip
// bomb, a zip past its size or entry limits and a symbolic link (before: a 306 KB zip of 300 MiB was unpacked whole).
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { zipCheckpoint } from '../src/jobs/remote/checkpoint-archive.js';
import { type UnzipLimits, unzipFileTo } from '../src/jobs/remote/unzip.js';
import { claimedTrainJob, WORKER_HEADERS } from './helpers/remote-train-jobs.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('remote-ckpt-rules');

async function checkpointFolder(step: number): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'tl-ckpt-rules-'));
  writeFileSync(join(folder, 'adapter_model.safetensors'), Buffer.alloc(300, step));
  writeFileSync(join(folder, 'adapter_config.json'), '{"r": 4}');
  writeFileSync(join(folder, 'training_state.pt'), Buffer.alloc(500, step + 1));
  return folder;
}

async function checkpointZip(step: number): Promise<Buffer> {
  return buffer((await zipCheckpoint(await checkpointFolder(step))).stream);
}

/** A zip of `entries` (name, data, options); yazl writes the Unix mode given (a symbolic link: 0o120777). */
async function zipOf(
  entries: Array<[string, Buffer, { mode?: number; compress?: boolean }?]>,
): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, data, options] of entries) zip.addBuffer(data, name, options ?? {});
  zip.end();
  return buffer(zip.outputStream);
}

const upload = (app: FastifyInstance, leaseId: string, step: string, body: Buffer) =>
  app.inject({
    method: 'POST',
    url: `/api/worker/leases/${leaseId}/checkpoint?step=${step}`,
    headers: { ...WORKER_HEADERS, 'content-type': 'application/zip' },
    payload: body,
  });

function runFolderFiles(app: FastifyInstance, id: string): string[] {
  const jobDir = join(app.dataDir, 'jobs', id);
  const [run] = readdirSync(jobDir);
  return readdirSync(join(jobDir, String(run))).filter((name) => name.startsWith('worker-checkpoint'));
}

describe('serve --remote-workers: checkpoint rules', () => {
  it('keeps the highest step; ?step is digits only; none uploaded says so; a symbolic link is refused', async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 60_000, jobs: 8 } });
    const { id, leaseId } = await claimedTrainJob(app);
    const none = await app.inject({
      method: 'GET',
      url: `/api/worker/leases/${leaseId}/checkpoint`,
      headers: WORKER_HEADERS,
    });
    expect(none.statusCode).toBe(404);
    expect(none.json().error.message).toBe(
      `job ${id}: the server keeps no checkpoint of it (none was uploaded, or it was deleted).`,
    );
    const tenth = await checkpointZip(10);
    expect((await upload(app, leaseId, '10', tenth)).statusCode).toBe(200);
    const zeroth = await upload(app, leaseId, '0', await checkpointZip(0));
    expect(zeroth.statusCode).toBe(200);
    expect(zeroth.json()).toEqual({ step: 10, bytes: tenth.length }); // the kept one
    expect(runFolderFiles(app, id)).toEqual(['worker-checkpoint-step-000010.zip', 'worker-checkpoint.json']);
    for (const step of ['1e3', '0x10', '1.0', '-1']) {
      const res = await upload(app, leaseId, step, tenth);
      expect(res.statusCode, step).toBe(400);
      expect(res.json().error.message, step).toContain('query.step: a whole number written in digits');
    }
    expect(runFolderFiles(app, id)).toEqual(['worker-checkpoint-step-000010.zip', 'worker-checkpoint.json']);
    const linked = await zipOf([
      ['adapter_model.safetensors', Buffer.alloc(10)],
      ['training_state.pt', Buffer.alloc(10)],
      ['evil', Buffer.from('/etc/passwd'), { mode: 0o120777 }],
    ]);
    const refused = await upload(app, leaseId, '20', linked);
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.message).toContain('"evil" is a symbolic link');
    expect(runFolderFiles(app, id)).toEqual(['worker-checkpoint-step-000010.zip', 'worker-checkpoint.json']);
  }, 60_000);
});

describe("a worker's unzip", () => {
  const outDir = () => join(tmpdir(), `tl-unzip-${process.pid}-${Math.random().toString(36).slice(2)}`);
  /** Unpacks `zip` as a worker does: from a file on disk (it downloads the dataset zip to one). */
  const unzipTo = async (zip: Buffer, out: string, limits?: UnzipLimits) => {
    const file = join(await mkdtemp(join(tmpdir(), 'tl-unzip-file-')), 'dataset.zip');
    writeFileSync(file, zip);
    return unzipFileTo(file, out, 'dataset zip', limits);
  };

  it('refuses a zip bomb before writing anything, naming the limit', async () => {
    const bomb = await zipOf([['a.png', Buffer.alloc(20 * 1024 ** 2)]]); // 20 MiB of zeros, deflated to ~20 KB
    expect(bomb.length).toBeLessThan(100_000);
    const out = outDir();
    await expect(unzipTo(bomb, out)).rejects.toThrow(
      /^dataset zip: "a\.png" unpacks to 20 MiB from \d+ bytes, over 100 times its size, the most it unpacks \(a zip bomb\); download it again\.$/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a zip past its total size or entry count, or holding a symbolic link; unpacks one within them', async () => {
    const files = await zipOf([
      ['a.txt', Buffer.alloc(600, 1), { compress: false }],
      ['b.txt', Buffer.alloc(600, 2), { compress: false }],
    ]);
    const out = outDir();
    await expect(unzipTo(files, out, { maxBytes: 1000, maxEntries: 10, maxRatio: 100 })).rejects.toThrow(
      'dataset zip: it unpacks to more than 0 MiB, the most it unpacks',
    );
    await expect(unzipTo(files, out, { maxBytes: 10_000, maxEntries: 1, maxRatio: 100 })).rejects.toThrow(
      'dataset zip: more than 1 entries, the most it unpacks',
    );
    expect(existsSync(out)).toBe(false);
    const link = await zipOf([['l', Buffer.from('/etc'), { mode: 0o120777 }]]);
    await expect(unzipTo(link, out)).rejects.toThrow(
      'dataset zip: "l" is a symbolic link, which is not unpacked',
    );
    expect(await unzipTo(files, out)).toBe(2);
    mkdirSync(out, { recursive: true });
    expect(readdirSync(out).sort()).toEqual(['a.txt', 'b.txt']);
  });
});
