// test/server-in-use-marker-dead.test.ts — a server killed with kill -9 leaves its models in-use marker
// (`downloads/in-use/<host>-<pid>.json`); the next start removes those of dead processes of this host, and keeps a
// live process's and another host's (a home on a shared disk), and a file that is not a marker.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rootsOf } from '../src/models/pull-options.js';
import { inUseFolder, inUseMarkerPath } from '../src/models/remove-in-use.js';
import { buildApp } from '../src/server/app.js';
import { tempDataDir } from './helpers/server-fixtures.js';

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid as number;
}

describe('a server start', () => {
  it('removes the in-use markers killed servers of this host left, and no other', async () => {
    const homeDir = mkdtempSync(join(tmpdir(), 'toonlora-dead-marker-home-'));
    const home = rootsOf({ homeDir }).toonloraHome;
    mkdirSync(inUseFolder(home), { recursive: true });
    const put = (owner: { host: string; pid: number }) => {
      const path = inUseMarkerPath(home, owner);
      const marker = { owner: { ...owner, startedAt: new Date().toISOString() }, dataDir: '/d', jobs: [] };
      writeFileSync(path, JSON.stringify(marker));
      return path;
    };
    const dead = [put({ host: hostname(), pid: deadPid() }), put({ host: hostname(), pid: deadPid() })];
    const kept = [
      put({ host: hostname(), pid: process.ppid }), // alive
      put({ host: 'another-host', pid: deadPid() }), // cannot be checked from here
    ];
    const notMarker = join(inUseFolder(home), 'notes.json');
    writeFileSync(notMarker, '{"mine": true}');
    kept.push(notMarker);

    const app = await buildApp({
      dataDir: tempDataDir('dead-marker'),
      webDir: '/nonexistent',
      runners: {},
      deferJobs: true,
      modelCache: { env: {}, homeDir },
    });
    try {
      await app.ready();
      for (const path of dead) expect(existsSync(path)).toBe(false);
      for (const path of kept) expect(existsSync(path)).toBe(true);
    } finally {
      await app.close();
    }
  });
});
