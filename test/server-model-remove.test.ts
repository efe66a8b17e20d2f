// test/server-model-remove.test.ts — DELETE /api/models/:id against a fake Hub (fake-sd15-hub.ts): a pulled Hub
// repo removed with the bytes freed and gone from the Models list; 404 once it is not there; 409 while its pull
// runs or a queued job trains on it; a release model's folder; an unknown id.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { currentLockOwner } from '../src/host/lock-owner.js';
import { rootsOf } from '../src/models/pull-options.js';
import { removeModel } from '../src/models/remove.js';
import { inUseMarkerPath } from '../src/models/remove-in-use.js';
import type { ModelRow } from '../src/schemas/models-api.js';
import { HELD_FILE, HUB_COMMIT, SD15_HUB, SD15_PULL_BYTES, SD15_REPO } from './helpers/fake-sd15-hub.js';
import { fakeHubForFile } from './helpers/fake-hub-server.js';
import { hubPullApp } from './helpers/hub-pull-app.js';
import { pullEnded, pullOf } from './helpers/model-pull-polls.js';
import { seedDataset } from './helpers/server-fixtures.js';

const URL_ID = encodeURIComponent(SD15_REPO);
const apps: FastifyInstance[] = [];
const hub = fakeHubForFile(SD15_HUB, apps);

async function startApp(extra: { remoteWorkers?: { leaseMs: number; jobs: number } } = {}) {
  const { app, homeDir } = await hubPullApp(hub, apps, 'model-rm', extra);
  const repoDir = join(homeDir, '.cache', 'huggingface', 'hub', `models--${SD15_REPO.replace('/', '--')}`);
  return { app, homeDir, repoDir };
}

async function pulled(app: FastifyInstance): Promise<void> {
  expect((await app.inject({ method: 'POST', url: `/api/models/${URL_ID}/pull` })).statusCode).toBe(202);
  expect((await pullEnded(app, SD15_REPO)).status).toBe('succeeded');
}

const ids = async (app: FastifyInstance) =>
  ((await app.inject({ method: 'GET', url: '/api/models' })).json().models as ModelRow[]).map((r) => r.id);

describe('DELETE /api/models/:id', () => {
  it('removes a pulled Hub repo, answering the bytes freed; the Models list drops it; then 404', async () => {
    const { app, repoDir } = await startApp();
    await pulled(app);
    expect(await ids(app)).toContain(SD15_REPO);
    const res = await app.inject({ method: 'DELETE', url: `/api/models/${URL_ID}` });
    expect(res.statusCode).toBe(200);
    // its files and refs/main (the commit's 40 characters)
    expect(res.json()).toEqual({
      id: SD15_REPO,
      paths: [repoDir],
      freedBytes: SD15_PULL_BYTES + HUB_COMMIT.length,
    });
    expect(existsSync(repoDir)).toBe(false);
    expect(await ids(app)).not.toContain(SD15_REPO); // before the pull was forgotten, a "pulled here" row stayed
    const again = await app.inject({ method: 'DELETE', url: `/api/models/${URL_ID}` });
    expect(again.statusCode).toBe(404);
    expect(again.json().error.message).toBe(
      `${SD15_REPO}: not present (the Hugging Face cache has no folder of it); nothing was removed`,
    );
  }, 30_000);

  it('is refused (409) while its pull runs, and while a queued train job uses it', async () => {
    const { app, repoDir } = await startApp();
    hub.hold = true;
    await app.inject({ method: 'POST', url: `/api/models/${URL_ID}/pull` });
    await hub.halfSent();
    await vi.waitFor(async () => expect((await pullOf(app, SD15_REPO)).file).toBe(HELD_FILE), {
      timeout: 10_000,
    });
    const during = await app.inject({ method: 'DELETE', url: `/api/models/${URL_ID}` });
    expect(during.statusCode).toBe(409);
    expect(during.json().error.message).toContain(`${SD15_REPO}: a pull of it is running`);
    hub.release();
    expect((await pullEnded(app, SD15_REPO)).status).toBe('succeeded');
    const { characterId } = await seedDataset(app);
    const job = app.jobStore.createJob('train', characterId, {
      training: { baseModel: `${SD15_REPO}@v1.0` },
    });
    const used = await app.inject({ method: 'DELETE', url: `/api/models/${URL_ID}` });
    expect(used.statusCode).toBe(409);
    expect(used.json().error.message).toContain(`a job uses it (train job ${job.id}, queued)`);
    expect(existsSync(repoDir)).toBe(true);
    app.jobStore.transition(job.id, 'cancelled');
    expect((await app.inject({ method: 'DELETE', url: `/api/models/${URL_ID}` })).statusCode).toBe(200);
  }, 30_000);

  it("removes a release model's folder; an unknown id is 404", async () => {
    const { app, homeDir } = await startApp();
    const dir = join(homeDir, '.cache', 'toonlora', 'models', 'u2net');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'u2net.onnx'), 'x'.repeat(77));
    const res = await app.inject({ method: 'DELETE', url: '/api/models/u2net' });
    expect(res.json()).toEqual({ id: 'u2net', paths: [dir], freedBytes: 77 });
    const row = ((await app.inject({ method: 'GET', url: '/api/models' })).json().models as ModelRow[]).find(
      (r) => r.id === 'u2net',
    );
    expect(row?.state).toBe('missing');
    expect((await app.inject({ method: 'DELETE', url: '/api/models/nonsense' })).statusCode).toBe(404);
  });

  /** A Hub repo's folder in the app's HF cache (what removal deletes), with one file. */
  function fakeRepo(homeDir: string, repo: string): string {
    const dir = join(homeDir, '.cache', 'huggingface', 'hub', `models--${repo.replace('/', '--')}`);
    mkdirSync(join(dir, 'blobs'), { recursive: true });
    writeFileSync(join(dir, 'blobs', 'x'), 'x'.repeat(10));
    return dir;
  }

  it("`models rm` in another process is refused while a job of the server uses the model (the server's marker)", async () => {
    const { app, homeDir } = await startApp();
    const dir = fakeRepo(homeDir, 'someone/toon');
    const { characterId } = await seedDataset(app);
    const job = app.jobStore.createJob('train', characterId, {
      training: { baseModel: 'someone/toon@main' },
    });
    const home = rootsOf({ homeDir }).toonloraHome;
    const own = inUseMarkerPath(home, currentLockOwner());
    await vi.waitFor(() => expect(readFileSync(own, 'utf8')).toContain(job.id), { timeout: 5_000 });
    // the same marker as a live process other than this one writes it (the CLI skips its own process's)
    const marker = JSON.parse(readFileSync(own, 'utf8'));
    const other = { ...marker, owner: { ...marker.owner, pid: process.ppid } };
    writeFileSync(inUseMarkerPath(home, other.owner), JSON.stringify(other));
    await expect(removeModel({ origin: 'hub', id: 'someone/toon' }, { homeDir })).rejects.toThrow(
      `someone/toon: a job uses it (train job ${job.id}, queued) in the server of process ${process.ppid}`,
    );
    expect(existsSync(dir)).toBe(true);
    app.jobStore.transition(job.id, 'cancelled');
    await vi.waitFor(() => expect(existsSync(own)).toBe(false), { timeout: 5_000 }); // no job needs a model
  }, 30_000);

  it('a model not on disk is 404 though a job uses it; with remote workers a train job does not hold the base', async () => {
    const { app, homeDir } = await startApp({ remoteWorkers: { leaseMs: 60_000, jobs: 1 } });
    const { characterId } = await seedDataset(app);
    app.jobStore.createJob('generate', characterId, { generation: { baseModel: 'someone/gone' } });
    const gone = await app.inject({
      method: 'DELETE',
      url: `/api/models/${encodeURIComponent('someone/gone')}`,
    });
    expect(gone.statusCode).toBe(404);
    const dir = fakeRepo(homeDir, 'someone/toon');
    app.jobStore.createJob('train', characterId, { training: { baseModel: 'someone/toon' } });
    const res = await app.inject({
      method: 'DELETE',
      url: `/api/models/${encodeURIComponent('someone/toon')}`,
    });
    expect(res.statusCode).toBe(200);
    expect(existsSync(dir)).toBe(false);
  }, 30_000);
});
