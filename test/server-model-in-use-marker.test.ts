// test/server-model-in-use-marker.test.ts — the server's models in-use marker follows its jobs as the job store
// commits them, with no timer: read right after a job is created, ends (succeeded / failed / cancelled) or is
// marked interrupted at start-up, it is already right, so `toonlora models rm` run just after a job ends is not
// refused by a stale marker (it was up to 1 s behind, re-listed every second).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { currentLockOwner } from '../src/host/lock-owner.js';
import { rootsOf } from '../src/models/pull-options.js';
import { removeModel } from '../src/models/remove.js';
import { inUseMarkerPath } from '../src/models/remove-in-use.js';
import { buildApp } from '../src/server/app.js';
import { seedDataset, tempDataDir } from './helpers/server-fixtures.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

const REPO = 'someone/toon';

async function startApp() {
  const homeDir = mkdtempSync(join(tmpdir(), 'toonlora-marker-home-'));
  const app = await buildApp({
    dataDir: tempDataDir('in-use-marker'),
    webDir: '/nonexistent',
    runners: {},
    deferJobs: true, // nothing runs on its own: the test moves the jobs
    modelCache: { env: {}, homeDir },
  });
  apps.push(app);
  await app.ready();
  const home = rootsOf({ homeDir }).toonloraHome;
  const own = inUseMarkerPath(home, currentLockOwner());
  // the same marker as another live process sees it (`models rm` skips its own process's marker)
  const other = { ...currentLockOwner(), pid: process.ppid };
  const seenByCli = inUseMarkerPath(home, other);
  const mirrorForCli = () => {
    if (!existsSync(own)) return rmSync(seenByCli, { force: true });
    const marker = JSON.parse(readFileSync(own, 'utf8'));
    writeFileSync(seenByCli, JSON.stringify({ ...marker, owner: { ...marker.owner, ...other } }));
  };
  const dir = join(homeDir, '.cache', 'huggingface', 'hub', `models--${REPO.replace('/', '--')}`);
  mkdirSync(join(dir, 'blobs'), { recursive: true });
  writeFileSync(join(dir, 'blobs', 'x'), 'x'.repeat(10));
  const { characterId } = await seedDataset(app);
  return { app, homeDir, own, mirrorForCli, dir, characterId };
}

const markerJobs = (own: string): string[] =>
  existsSync(own) ? JSON.parse(readFileSync(own, 'utf8')).jobs.map((job: { id: string }) => job.id) : [];

describe("the server's models in-use marker", () => {
  it('is right the moment a job is created or ends, with no timer; `models rm` just after the end removes the model', async () => {
    const { app, homeDir, own, mirrorForCli, dir, characterId } = await startApp();
    const train = (status?: 'succeeded' | 'failed' | 'cancelled') => {
      const job = app.jobStore.createJob('train', characterId, { training: { baseModel: REPO } });
      expect(markerJobs(own)).toEqual([job.id]); // no waiting: written before createJob returned
      if (status === 'cancelled') return { job, end: () => app.jobStore.transition(job.id, 'cancelled') };
      app.jobStore.transition(job.id, 'running');
      expect(markerJobs(own)).toEqual([job.id]);
      return { job, end: () => app.jobStore.transition(job.id, status ?? 'succeeded') };
    };
    for (const status of ['succeeded', 'failed', 'cancelled'] as const) {
      const { end } = train(status);
      mirrorForCli();
      await expect(removeModel({ origin: 'hub', id: REPO }, { homeDir })).rejects.toThrow(/a job uses it/);
      end();
      expect(existsSync(own)).toBe(false); // at once: the job ended in that call
    }
    mirrorForCli();
    await removeModel({ origin: 'hub', id: REPO }, { homeDir });
    expect(existsSync(dir)).toBe(false);
  }, 60_000);

  it('drops a job a dead server left running as soon as the start marks it interrupted', async () => {
    const { app, own, characterId } = await startApp();
    const left = app.jobStore.createJob('train', characterId, { training: { baseModel: REPO } });
    app.jobStore.transition(left.id, 'running'); // as a server killed mid-run left it
    expect(markerJobs(own)).toEqual([left.id]);
    app.queue.start(); // marks it interrupted
    expect(app.jobStore.getJob(left.id).status).toBe('interrupted');
    expect(existsSync(own)).toBe(false); // no waiting: no job needs a model any more
  }, 60_000);
});
