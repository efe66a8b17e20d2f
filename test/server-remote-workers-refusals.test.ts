// test/server-remote-workers-refusals.test.ts — `toonlora worker` against a server that cannot take it (in
// process, servers on loopback): one without --remote-workers, a --server with a wrong path, and a 400 (another
// version) end the worker with a line saying what to do, not a retry every 5 s; a server that accepts a request and
// never answers (SIGSTOPped) is "cannot reach … (no answer in …)" after the request's time limit.
import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { work } from '../src/cli/commands/worker.js';
import { WorkerClient } from '../src/jobs/remote/worker-client.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('remote-refusals');
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  }
});

/** A plain HTTP server answering every request with `answer` (undefined: never answers). */
async function fakeServer(answer?: { status: number; body: unknown }): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    if (!answer) return;
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

const runWorker = (server: string) =>
  work({ server, name: 'gpu-a', dir: mkdtempSync(join(tmpdir(), 'tl-refused-')), once: true, json: false });

describe('toonlora worker refused by the server', () => {
  it('ends with a line saying to start the server with --remote-workers, not a retry', async () => {
    const app = await makeApp();
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    await expect(runWorker(url)).rejects.toMatchObject({
      code: 'TL_ERR_USAGE',
      message: expect.stringMatching(
        /does not run remote workers \(POST \/api\/worker\/claim: no such route\.\): start it with --remote-workers/,
      ),
    });
  }, 20_000);

  it('names the route once for a --server with a wrong path', async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 60_000, jobs: 8 } });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const error = await runWorker(`${url}/typo`).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TL_ERR_USAGE' });
    const message = (error as Error).message;
    expect(message).toContain('(POST /typo/api/worker/claim: no such route.)');
    expect(message.match(/worker\/claim/g)).toHaveLength(1);
  }, 20_000);

  it('asks whether both are the same version on a 400', async () => {
    const url = await fakeServer({
      status: 400,
      body: { error: { code: 'TL_ERR_USAGE', message: 'body/waitS: unknown field' } },
    });
    await expect(runWorker(url)).rejects.toMatchObject({
      message: expect.stringMatching(
        /the server refused this worker's request \(400: POST \/api\/worker\/claim: body\/waitS: unknown field\): are both the same toonlora version\?/,
      ),
    });
  }, 20_000);
});

describe('a server that never answers', () => {
  it('is "cannot reach" after the time limit of each request', async () => {
    const url = await fakeServer();
    const client = new WorkerClient(url, undefined, fetch, { jsonMs: 300, claimMarginMs: 300 });
    const started = Date.now();
    await expect(client.events('lease1', [])).rejects.toMatchObject({
      code: 'TL_ERR_UNAVAILABLE',
      message: `cannot reach ${url} (no answer in 300 ms)`,
    });
    await expect(client.claim('gpu-a', 1)).rejects.toMatchObject({
      message: `cannot reach ${url} (no answer in 1 s)`,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 20_000);
});
