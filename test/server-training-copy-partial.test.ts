// test/server-training-copy-partial.test.ts — a train job's training copy (jobs/<id>/train-data) is written whole
// before it takes its place: a copy cut short (here a copy of an image that fails midway, as a killed server would
// leave it) is never taken for the copy. Before, it was written in place: the half-written train-data stayed, and a
// resume after its dataset version was deleted was let through to train on it; a rewrite that failed had already
// removed the previous copy. The start removes the half-written folder a killed server left, and says so. The
// previous copy is renamed aside before the new one takes its place and removed last: before, it was removed first, so
// a removal cut short (an undeletable file, a kill -9) left a half-emptied train-data that a resume after the version's
// delete trained on, and a rename that failed left no copy at all. The start puts a copy moved aside back where
// train-data is missing (a server killed between the renames), else removes it.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type * as fsPromises from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTrainRunner } from '../src/jobs/runners/train-runner.js';
import { countingWorkerSpawn } from './helpers/counting-spawn.js';
import { seedDataset, stderrOfStartAndClose, tempDataDir } from './helpers/server-fixtures.js';
import { stoppedTrainJob, stoppedWithCopy } from './helpers/stopped-train-job.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

/** The image whose copy fails (ENOSPC, as a full disk would), when set; whether the rename of the finished copy
 * into place fails (EPERM); whether the removal of the previous copy stops partway (one file gone, then EACCES). */
const failing: { image?: string; rename?: boolean; removal?: boolean } = {};

/** Whether `path` is where the previous copy is removed from (`.train-data.old`; `train-data` itself, before). */
const isPreviousCopy = (path: string) => path.endsWith('/train-data') || path.endsWith('/.train-data.old');

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof fsPromises>();
  return {
    ...real,
    copyFile: async (...args: Parameters<typeof real.copyFile>) => {
      if (failing.image && String(args[0]).endsWith(failing.image)) {
        throw Object.assign(new Error(`ENOSPC: no space left on device, copyfile '${String(args[0])}'`), {
          code: 'ENOSPC',
        });
      }
      return real.copyFile(...args);
    },
    rename: async (...args: Parameters<typeof real.rename>) => {
      if (failing.rename && String(args[0]).endsWith('.train-data.partial')) {
        throw Object.assign(new Error(`EPERM: operation not permitted, rename '${String(args[0])}'`), {
          code: 'EPERM',
        });
      }
      return real.rename(...args);
    },
    rm: async (...args: Parameters<typeof real.rm>) => {
      const path = String(args[0]);
      if (failing.removal && isPreviousCopy(path) && existsSync(path)) {
        rmSync(join(path, '10_mina_tl girl', 'a1.png'), { force: true });
        throw Object.assign(new Error(`EACCES: permission denied, rmdir '${path}'`), { code: 'EACCES' });
      }
      return real.rm(...args);
    },
  };
});

afterEach(() => {
  failing.image = undefined;
  failing.rename = undefined;
  failing.removal = undefined;
});

const { makeApp } = appsClosedAfterEach('training-copy-partial');

/** An app whose train runner starts `false` instead of the Python worker. */
async function trainApp(): Promise<FastifyInstance> {
  const { spawn } = countingWorkerSpawn();
  return makeApp({ runners: (deps) => ({ train: createTrainRunner(deps, { spawn }) }) });
}

describe('a training copy cut short', () => {
  it('is not left as train-data: a resume after the version is deleted is refused, not trained on half of it', async () => {
    const app = await trainApp();
    const { characterId, datasetId } = await seedDataset(app);
    const job = stoppedTrainJob(app, characterId, datasetId);
    failing.image = 'b.png'; // a.png and its caption are copied first
    expect((await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` })).statusCode).toBe(200);
    await app.queue.whenIdle();
    expect(app.jobStore.getJob(job.id).status).toBe('failed');
    const jobDir = join(app.dataDir, 'jobs', job.id);
    expect(existsSync(join(jobDir, 'train-data'))).toBe(false);
    expect(existsSync(join(jobDir, '.train-data.partial'))).toBe(false);
    failing.image = undefined;
    expect((await app.inject({ method: 'DELETE', url: `/api/datasets/${datasetId}` })).statusCode).toBe(204);
    const refused = await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` });
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json().error.message).toContain(`no training copy of it is kept on the server`);
  });

  it('leaves the previous copy as it was', async () => {
    const app = await trainApp();
    const { characterId, datasetId } = await seedDataset(app);
    const { job, caption } = stoppedWithCopy(app, characterId, datasetId);
    failing.image = 'b.png';
    expect((await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` })).statusCode).toBe(200);
    await app.queue.whenIdle();
    expect(app.jobStore.getJob(job.id).status).toBe('failed');
    expect(readFileSync(caption, 'utf8')).toBe('mina_tl, girl kept');
    expect(existsSync(join(caption, '..', 'a.png'))).toBe(false);
    expect(existsSync(join(app.dataDir, 'jobs', job.id, '.train-data.partial'))).toBe(false);
  });

  it('a rename into place that fails leaves the previous copy as it was', async () => {
    const app = await trainApp();
    const { characterId, datasetId } = await seedDataset(app);
    const { job, caption } = stoppedWithCopy(app, characterId, datasetId);
    failing.rename = true;
    expect((await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` })).statusCode).toBe(200);
    await app.queue.whenIdle();
    expect(app.jobStore.getJob(job.id).status).toBe('failed');
    expect(readFileSync(caption, 'utf8')).toBe('mina_tl, girl kept');
    const jobDir = join(app.dataDir, 'jobs', job.id);
    expect(existsSync(join(jobDir, '.train-data.partial'))).toBe(false);
    expect(existsSync(join(jobDir, '.train-data.old'))).toBe(false);
  });

  it('a removal of the previous copy cut short leaves the new copy whole in train-data, the rest beside it', async () => {
    const app = await trainApp();
    const { characterId, datasetId } = await seedDataset(app);
    const job = stoppedTrainJob(app, characterId, datasetId);
    const jobDir = join(app.dataDir, 'jobs', job.id);
    const previous = join(jobDir, 'train-data', '10_mina_tl girl');
    mkdirSync(previous, { recursive: true });
    for (const name of ['a1', 'a2']) {
      writeFileSync(join(previous, `${name}.png`), 'x');
      writeFileSync(join(previous, `${name}.txt`), 'mina_tl, girl');
    }
    failing.removal = true;
    expect((await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` })).statusCode).toBe(200);
    await app.queue.whenIdle();
    expect(readdirSync(join(jobDir, 'train-data', '10_mina_tl girl')).sort()).toEqual([
      'a.png',
      'a.txt',
      'b.png',
      'b.txt',
    ]);
    expect(readdirSync(join(jobDir, '.train-data.old', '10_mina_tl girl')).sort()).toEqual([
      'a1.txt',
      'a2.png',
      'a2.txt',
    ]);
    expect(existsSync(join(jobDir, '.train-data.partial'))).toBe(false);
  });

  it('a half-written folder a killed server left is removed at the next write, and the copy made whole', async () => {
    const app = await trainApp();
    const { characterId, datasetId } = await seedDataset(app);
    const job = stoppedTrainJob(app, characterId, datasetId);
    const partial = join(app.dataDir, 'jobs', job.id, '.train-data.partial', '10_mina_tl girl');
    mkdirSync(partial, { recursive: true });
    writeFileSync(join(partial, 'stale.txt'), 'from a killed server');
    expect((await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` })).statusCode).toBe(200);
    await app.queue.whenIdle();
    const copy = join(app.dataDir, 'jobs', job.id, 'train-data', '10_mina_tl girl');
    expect(readFileSync(join(copy, 'b.txt'), 'utf8').trim()).toBe('mina_tl, girl b');
    expect(existsSync(join(copy, 'stale.txt'))).toBe(false);
    expect(existsSync(join(app.dataDir, 'jobs', job.id, '.train-data.partial'))).toBe(false);
  });
});

describe('the start', () => {
  it('removes the half-written training copy a killed server left, and says so', async () => {
    const dataDir = tempDataDir('training-copy-start');
    const partial = join(dataDir, 'jobs', 'j1', '.train-data.partial');
    mkdirSync(join(partial, '10_sks girl'), { recursive: true });
    writeFileSync(join(partial, '10_sks girl', 'a.txt'), 'sks, girl');
    const kept = join(dataDir, 'jobs', 'j1', 'train-data', '10_sks girl', 'a.txt');
    mkdirSync(join(kept, '..'), { recursive: true });
    writeFileSync(kept, 'sks, girl');
    const written = await stderrOfStartAndClose(dataDir);
    expect(existsSync(partial)).toBe(false);
    expect(existsSync(kept)).toBe(true);
    expect(written).toContain(
      `toonlora serve: removed the half-written training copies a stopped server left (train jobs write them again): ${partial}\n`,
    );
  });

  it('puts back the copy a server killed between the renames moved aside, and removes one already replaced', async () => {
    const dataDir = tempDataDir('training-copy-start-old');
    const caption = (jobId: string, folder: string) =>
      join(dataDir, 'jobs', jobId, folder, '10_sks girl', 'a.txt');
    const folders: ReadonlyArray<readonly [string, string, string]> = [
      ['j1', '.train-data.old', 'moved aside'],
      ['j2', '.train-data.old', 'replaced'],
      ['j2', 'train-data', 'new'],
    ];
    for (const [jobId, folder, text] of folders) {
      mkdirSync(join(caption(jobId, folder), '..'), { recursive: true });
      writeFileSync(caption(jobId, folder), text);
    }
    const written = await stderrOfStartAndClose(dataDir);
    expect(readFileSync(caption('j1', 'train-data'), 'utf8')).toBe('moved aside');
    expect(existsSync(join(dataDir, 'jobs', 'j1', '.train-data.old'))).toBe(false);
    expect(readFileSync(caption('j2', 'train-data'), 'utf8')).toBe('new');
    expect(existsSync(join(dataDir, 'jobs', 'j2', '.train-data.old'))).toBe(false);
    expect(written).toContain(
      `toonlora serve: put back the training copies a stopped server had moved aside to replace them, stopped before the new copy took their place: ${join(dataDir, 'jobs', 'j1', 'train-data')}\n`,
    );
    expect(written).toContain(
      `toonlora serve: removed the training copies a stopped server had replaced (the new copy is in place): ${join(dataDir, 'jobs', 'j2', '.train-data.old')}\n`,
    );
  });
});
