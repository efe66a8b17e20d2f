// test/helpers/test-apps.ts — apps for the server tests that `inject` (no port): one built per call on a fresh
// data folder and closed after each test, and a character created through the API.
import type { FastifyInstance } from 'fastify';
import { afterEach, expect } from 'vitest';
import { type AppOptions, buildApp } from '../../src/server/app.js';
import { tempDataDir, tempModelCache } from './server-fixtures.js';

export interface TestApps {
  /** Builds and readies an app: a fresh `tempDataDir(label)` with its own model homes (`tempModelCache`), no
   * runners, no web folder, then `options`. */
  makeApp: (options?: Partial<AppOptions>) => Promise<FastifyInstance>;
  /** The apps still open; a test that closes one itself takes it out of this list. */
  apps: FastifyInstance[];
}

/** Call at a test file's top level: every app `makeApp` builds is closed after each test. */
export function appsClosedAfterEach(label = 'server'): TestApps {
  const apps: FastifyInstance[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });
  const makeApp = async (options: Partial<AppOptions> = {}) => {
    const dataDir = tempDataDir(label);
    const app = await buildApp({
      dataDir,
      modelCache: tempModelCache(dataDir),
      runners: {},
      webDir: '/nonexistent',
      ...options,
    });
    apps.push(app);
    await app.ready();
    return app;
  };
  return { makeApp, apps };
}

/** POSTs a character (trigger mina_tl, class girl), expects 201 and resolves to its id. */
export async function createCharacter(
  app: FastifyInstance,
  headers: Record<string, string> = {},
  name = 'Mina',
): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/characters',
    headers,
    payload: { name, trigger: 'mina_tl', classWord: 'girl' },
  });
  expect(res.statusCode).toBe(201);
  return res.json().id;
}
