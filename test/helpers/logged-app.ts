// test/helpers/logged-app.ts — a test server app whose fastify log (warn and up) is kept as parsed JSON lines, for
// the tests that check what the server log says of a file it could not remove or read.
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/server/app.js';
import { tempDataDir, tempModelCache } from './server-fixtures.js';

/** An app on a new data folder named after `label` (with its own model cache unless `modelCache: false`), pushed on
 * `open` for the caller's afterEach to close, and the log lines it writes. */
export async function appWithLog(
  label: string,
  open: FastifyInstance[],
  { modelCache = true }: { modelCache?: boolean } = {},
): Promise<{ app: FastifyInstance; lines: Array<Record<string, unknown>> }> {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const dataDir = tempDataDir(label);
  const app = await buildApp(
    {
      dataDir,
      ...(modelCache ? { modelCache: tempModelCache(dataDir) } : {}),
      runners: {},
      webDir: '/nonexistent',
    },
    { logger: { level: 'warn', stream } },
  );
  open.push(app);
  await app.ready();
  return { app, lines };
}
