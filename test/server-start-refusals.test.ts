// test/server-start-refusals.test.ts — when `startServer` refuses to start (a port in use, a data folder another
// server holds, a short token, no token beyond loopback) and its --log request log on stderr.
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CatalogStore } from '../src/jobs/catalog-store.js';
import { DATABASE_FILE } from '../src/jobs/data-layout.js';
import { openDatabase } from '../src/jobs/database.js';
import { JobStore } from '../src/jobs/job-store.js';
import { startServer } from '../src/server/server.js';
import { tempDataDir } from './helpers/server-fixtures.js';

describe('starting the server', () => {
  it('a server that cannot bind its port marks, starts or changes no job', async () => {
    const busy = await startServer({ host: '127.0.0.1', port: 0, dataDir: tempDataDir() });
    try {
      const dataDir = tempDataDir();
      // a job that a crashed server left running in this folder
      const db = openDatabase(join(dataDir, DATABASE_FILE));
      const character = new CatalogStore(db, dataDir).createCharacter({
        name: 'a',
        trigger: 'sks',
        classWord: 'girl',
      });
      const job = new JobStore(db).createJob('train', character.id, {});
      new JobStore(db).transition(job.id, 'running');
      db.close();
      const port = Number(new URL(busy.url).port);
      await expect(startServer({ host: '127.0.0.1', port, dataDir })).rejects.toMatchObject({
        code: 'TL_ERR_USAGE',
        message: expect.stringContaining(`--port ${port}: 127.0.0.1:${port} is already in use`),
      });
      const after = openDatabase(join(dataDir, DATABASE_FILE), { exclusive: true }); // closed again, not held
      expect(new JobStore(after).getJob(job.id).status).toBe('running');
      after.close();
    } finally {
      await busy.app.close();
    }
  });

  it('a second server on the same data folder refuses to start', async () => {
    const dataDir = tempDataDir();
    const first = await startServer({ host: '127.0.0.1', port: 0, dataDir });
    try {
      await expect(startServer({ host: '127.0.0.1', port: 0, dataDir })).rejects.toMatchObject({
        code: 'TL_ERR_CONFLICT',
        message: expect.stringContaining('in use by another toonlora serve'),
      });
    } finally {
      await first.app.close();
    }
    const again = await startServer({ host: '127.0.0.1', port: 0, dataDir }); // the first one let go on close
    await again.app.close();
  }, 20_000);

  it('--log writes the request log to stderr, leaving stdout to the --json document', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const { app, url } = await startServer({ host: '127.0.0.1', port: 0, dataDir: tempDataDir(), log: true });
    try {
      expect((await fetch(`${url}/api/health`)).status).toBe(200);
    } finally {
      await app.close();
      spy.mockRestore();
    }
    const lines = written.map((line) => JSON.parse(line) as { msg: string; req?: { url: string } });
    expect(lines).toContainEqual(expect.objectContaining({ msg: `Server listening at ${url}` }));
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'incoming request',
        req: expect.objectContaining({ url: '/api/health' }),
      }),
    );
  });

  it('refuses a token shorter than 16 characters, naming TOONLORA_TOKEN', async () => {
    await expect(
      startServer({ host: '127.0.0.1', port: 0, dataDir: tempDataDir(), token: 'short-token-123' }),
    ).rejects.toMatchObject({
      code: 'TL_ERR_USAGE',
      message:
        'TOONLORA_TOKEN: 15 characters is too short. Set a token of at least 16 characters, e.g. a random one: export TOONLORA_TOKEN=$(openssl rand -hex 16) (32 characters), and start serve again; or unset TOONLORA_TOKEN to serve on loopback only.',
    });
    const { app } = await startServer({
      host: '127.0.0.1',
      port: 0,
      dataDir: tempDataDir(),
      token: 'long-token-12345',
    });
    await app.close();
  });

  it('refuses to listen beyond loopback without a token', async () => {
    await expect(startServer({ host: '0.0.0.0', port: 0, dataDir: tempDataDir() })).rejects.toMatchObject({
      code: 'TL_ERR_USAGE',
      message: expect.stringContaining('TOONLORA_TOKEN'),
    });
  });
});
