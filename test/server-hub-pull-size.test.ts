// test/server-hub-pull-size.test.ts — the web API's pull of a Hub repo `owner/name` states the model's total size
// (`modelBytes`) once the pull has listed the repo, as a registry model's pull does from the start, against the
// fake Hub of fake-sd15-hub.ts; and a second pull of the complete copy states it too.
import type { FastifyInstance } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { fakeHubForFile } from './helpers/fake-hub-server.js';
import { hubPullApp } from './helpers/hub-pull-app.js';
import { HELD_FILE, SD15_HUB, SD15_PULL_BYTES, SD15_REPO } from './helpers/fake-sd15-hub.js';
import { pullEnded, pullOf } from './helpers/model-pull-polls.js';

const URL_ID = encodeURIComponent(SD15_REPO);
const apps: FastifyInstance[] = [];
const hub = fakeHubForFile(SD15_HUB, apps);

describe('POST /api/models/owner%2Fname/pull: the model size', () => {
  it('states modelBytes from the listing while the first file downloads, and again for a complete copy', async () => {
    const { app } = await hubPullApp(hub, apps, 'hubsize');
    hub.hold = true;
    await app.inject({ method: 'POST', url: `/api/models/${URL_ID}/pull` });
    await hub.halfSent();
    await vi.waitFor(async () => expect(await pullOf(app, SD15_REPO)).toMatchObject({ file: HELD_FILE }), {
      timeout: 10_000,
      interval: 25,
    });
    expect((await pullOf(app, SD15_REPO)).modelBytes).toBe(SD15_PULL_BYTES); // before (no hook): null
    hub.release();
    expect((await pullEnded(app, SD15_REPO)).status).toBe('succeeded');
    await app.inject({ method: 'POST', url: `/api/models/${URL_ID}/pull` });
    expect((await pullEnded(app, SD15_REPO)).status).toBe('succeeded');
    expect(await pullOf(app, SD15_REPO)).toMatchObject({ modelBytes: SD15_PULL_BYTES, filesDone: 0 });
  }, 30_000);
});
