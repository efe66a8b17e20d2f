// test/helpers/hub-pull-app.ts — a server whose model pulls go to a fake Hub (fakeHubForFile): no retries, a 5 s
// idle timeout, its models home in a new temporary folder; jobs deferred unless the test gives runners.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type AppOptions, buildApp } from '../../src/server/app.js';
import type { FakeHubServer } from './fake-hub-server.js';
import { tempDataDir } from './server-fixtures.js';

/** The app (pushed on `apps`, which fakeHubForFile closes after each test), its model cache and its home folder;
 * `env` adds to the cache's environment. */
export async function hubPullApp(
  hub: FakeHubServer,
  apps: FastifyInstance[],
  label: string,
  options: Pick<AppOptions, 'runners' | 'remoteWorkers'> & { env?: Record<string, string> } = {},
) {
  const { env = {}, ...rest } = options;
  const homeDir = mkdtempSync(join(tmpdir(), `toonlora-${label}-home-`));
  const cache = { env: { HF_ENDPOINT: hub.endpoint, ...env }, homeDir };
  const app = await buildApp({
    ...rest,
    dataDir: tempDataDir(label),
    webDir: '/nonexistent',
    deferJobs: !rest.runners,
    modelCache: cache,
    modelPulls: { retries: 0, retryDelayMs: 1, idleTimeoutMs: 5_000 },
  });
  apps.push(app);
  await app.ready();
  return { app, cache, homeDir };
}
