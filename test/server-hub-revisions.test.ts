// test/server-hub-revisions.test.ts — GET /api/models names every ref a Hub base was pulled at, main too, so the
// Models page can say which bases a repo is: it listed refs other than main only, and a repo pulled at main and v1.0
// read the same as one pulled only at v1.0 (whose card then said "base owner/name", a base it is not).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSd15Snapshot } from '../src/models/sd15-testing.js';
import type { ModelRow } from '../src/schemas/models-api.js';
import { buildApp } from '../src/server/app.js';
import { tempDataDir } from './helpers/server-fixtures.js';

const REPO = 'someone/toon-sd15';
const apps: Array<{ close(): Promise<unknown> }> = [];
afterAll(async () => {
  for (const app of apps) await app.close();
});

async function hubRow(refs: Record<string, string>): Promise<ModelRow | undefined> {
  const homeDir = mkdtempSync(join(tmpdir(), 'toonlora-hubrefs-home-'));
  const repoDir = join(homeDir, '.cache', 'huggingface', 'hub', 'models--someone--toon-sd15');
  for (const [ref, commit] of Object.entries(refs)) {
    writeSd15Snapshot(join(repoDir, 'snapshots', commit)); // writes refs/main when there is none
    mkdirSync(join(repoDir, 'refs'), { recursive: true });
    writeFileSync(join(repoDir, 'refs', ref), commit);
  }
  if (!('main' in refs)) rmSync(join(repoDir, 'refs', 'main'));
  const app = await buildApp({
    dataDir: tempDataDir('hubrefs'),
    webDir: '/nonexistent',
    deferJobs: true,
    modelCache: { env: {}, homeDir },
  });
  apps.push(app);
  const reply = await app.inject({ method: 'GET', url: '/api/models' });
  return (reply.json() as { models: ModelRow[] }).models.find((row) => row.id === REPO);
}

describe('GET /api/models: the refs of a Hub base', () => {
  it('lists main beside the other refs, and only the refs pulled', async () => {
    const both = await hubRow({ main: 'a'.repeat(40), 'v1.0': 'b'.repeat(40) });
    expect(both).toMatchObject({ state: 'complete', revisions: ['main', 'v1.0'] });
    const tagOnly = await hubRow({ 'v1.0': 'b'.repeat(40) });
    // the bare id is main, which is not on disk: it said complete, while --base someone/toon-sd15 was refused
    expect(tagOnly).toMatchObject({
      state: 'missing',
      revisions: ['v1.0'],
      source: `huggingface:${REPO}@v1.0`, // was @main, which it does not have
      whenMissing: `pulled only at v1.0 (the base ${REPO}@v1.0); ${REPO} itself (main) is not pulled`,
    });
    expect((await hubRow({ main: 'a'.repeat(40) }))?.revisions).toBeUndefined();
  }, 30_000);
});
