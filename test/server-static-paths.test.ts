// test/server-static-paths.test.ts — the server's static files (fastify `inject`, no port): no path spelling
// reaches outside the web folder or the data folder.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDataDir } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach();

describe('paths', () => {
  it('serves nothing outside the web folder or the data folder', async () => {
    const webDir = tempDataDir('web-static');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>toonlora</title>');
    writeFileSync(join(webDir, '..', 'secret.txt'), 'secret');
    const app = await makeApp({ webDir });
    for (const url of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/api/images/..%2f..%2fsecret.txt/file',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.body, url).not.toBe('secret');
    }
  });
});
