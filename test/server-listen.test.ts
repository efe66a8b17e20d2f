// test/server-listen.test.ts — a `serve` whose port is taken refuses before it creates anything: no data
// folder, no database (a second server pointed at a new --data folder used to leave one behind).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServer } from '../src/server/server.js';
import { tempDataDir } from './helpers/server-fixtures.js';

describe('a server whose port is taken', () => {
  it('says so and creates no data folder or database', async () => {
    const busy = await startServer({ host: '127.0.0.1', port: 0, dataDir: tempDataDir('listen') });
    try {
      const port = Number(new URL(busy.url).port);
      const dataDir = join(tempDataDir('listen'), 'new-data');
      await expect(startServer({ host: '127.0.0.1', port, dataDir })).rejects.toMatchObject({
        code: 'TL_ERR_USAGE',
        message: expect.stringContaining(`--port ${port}: 127.0.0.1:${port} is already in use`),
      });
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      await busy.app.close();
    }
  });
});
