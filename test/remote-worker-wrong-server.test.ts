// test/remote-worker-wrong-server.test.ts — a real `toonlora worker` process pointed at servers that are not a
// toonlora server (fake ones on loopback): another web server's HTML 404, a login portal's 200 page, another API's
// JSON. It stops within 3 claims, exit 2, with what came (status, content type, the first bytes) and what to check;
// before, it polled forever with a line every 30 s. A proxy's HTML 502 (serve restarting behind it), and a 404 from
// an address that answered as toonlora earlier in the run (a proxy dropping a restarting backend), are still tried
// again. An https:// address answering plain HTTP stops the same way. A toonlora server without --remote-workers
// still says so (its JSON 404 names the route).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { protocolHeaders } from '../src/jobs/remote/protocol.js';
import { buildApp } from '../src/server/app.js';
import { tempDataDir, tempModelCache } from './helpers/server-fixtures.js';
import { launcher } from './helpers/tiny-training.js';

const root = mkdtempSync(join(tmpdir(), 'tl-wrong-server-'));
const cleanups: Array<() => void | Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A loopback server answering the `n`th request (1, 2, …) with `answer`: its URL, and a wait for `n` requests. */
async function fakeServer(answer: (res: ServerResponse, n: number) => void) {
  let count = 0;
  const waiting: Array<{ n: number; done: () => void }> = [];
  const server = createServer((req, res) => {
    req.resume();
    count += 1;
    answer(res, count);
    for (const w of waiting.filter((w) => w.n <= count)) w.done();
  });
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const requests = (n: number) =>
    n <= count ? Promise.resolve() : new Promise<void>((done) => waiting.push({ n, done }));
  return { url, requests, count: () => count };
}

/** `toonlora worker --server url` as a process: its output, its exit code. */
function worker(url: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, TOONLORA_HOME: join(root, 'home'), NO_COLOR: '1' };
  delete env.TOONLORA_TOKEN;
  const child: ChildProcess = spawn(
    launcher,
    ['worker', '--server', url, '--name', 'gpu-a', '--dir', join(root, 'work')],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, exit, output: () => output };
}

const NGINX_404 =
  '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n' +
  '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe.concurrent('toonlora worker --server naming another server', () => {
  it.each([
    [
      'an HTML 404 page (another web server)',
      404,
      'text/html',
      NGINX_404,
      '"<html>\\r\\n<head><title>404 Not Found',
    ],
    [
      "a login portal's 200 page",
      200,
      'text/html; charset=utf-8',
      '<!doctype html><title>Sign in to the hotel wifi</title>',
      '"<!doctype html><title>Sign in to the hotel wifi</title>"',
    ],
    [
      "another API's JSON 404",
      404,
      'application/json',
      '{"detail":"Not Found"}',
      '"{\\"detail\\":\\"Not Found\\"}"',
    ],
    ["another API's JSON 200", 200, 'application/json', '{"status":"ok"}', '"{\\"status\\":\\"ok\\"}"'],
  ] as const)(
    '%s: stops after 3 claims, exit 2, saying what came and what to check',
    async (_what, status, type, body, quoted) => {
      const fake = await fakeServer((res) => {
        res.writeHead(status, { 'content-type': type });
        res.end(body);
      });
      const run = worker(fake.url);
      expect(await run.exit, run.output()).toBe(2);
      expect(fake.count()).toBe(3);
      const last = run.output().trim().split('\n').at(-1);
      expect(last).toContain(
        `toonlora worker: ${fake.url} is not a toonlora server: 3 claims in a row (POST ${fake.url}/api/worker/claim) got HTTP ${status} `,
      );
      expect(last).toContain(`, content-type ${type}, ${Buffer.byteLength(body)} bytes: ${quoted}`);
      expect(last).toContain(
        'Check the --server address: the scheme, host, port and path that `toonlora serve` prints',
      );
      expect(last).toMatch(/\[TL_ERR_USAGE\]$/);
    },
    120_000,
  );

  it('https:// at a plain HTTP server: stops after 3 claims, exit 2, naming the http:// address', async () => {
    const fake = await fakeServer((res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end(NGINX_404);
    });
    const https = fake.url.replace(/^http:/, 'https:');
    const run = worker(https);
    expect(await run.exit, run.output()).toBe(2);
    expect(run.output().trim().split('\n').at(-1)).toMatch(
      new RegExp(
        `^toonlora worker: ${https} answers plain HTTP, not HTTPS: 3 claims in a row \\(POST ${https}/api/worker/claim\\) ` +
          `failed \\(ERR_SSL_[A-Z_]+\\)\\. A server started without --tls-cert is at ${fake.url}\\. Check the --server address`,
      ),
    );
  }, 120_000);

  it("a proxy's HTML 502 (serve restarting behind it) is tried again past 3 claims", async () => {
    const fake = await fakeServer((res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><title>502 Bad Gateway</title></html>');
    });
    const run = worker(fake.url);
    await fake.requests(3);
    await sleep(3_000); // where a wrong server's worker has exited
    expect(run.child.exitCode, run.output()).toBeNull();
    expect(run.output()).toContain('not a toonlora server reply: HTTP 502 Bad Gateway');
    run.child.kill('SIGTERM');
    expect(await run.exit, run.output()).toBe(0);
    expect(run.output()).not.toContain('is not a toonlora server:');
  }, 120_000);

  it('a 404 page from an address that answered as toonlora before (a proxy dropping a restarting serve) is tried again', async () => {
    const fake = await fakeServer((res, n) => {
      if (n === 1) {
        res.writeHead(204, protocolHeaders()); // toonlora's: nothing to claim
        res.end();
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 page not found\n');
    });
    const run = worker(fake.url);
    await fake.requests(4); // 3 not-toonlora replies after it
    await sleep(3_000);
    expect(run.child.exitCode, run.output()).toBeNull();
    expect(run.output()).toContain(
      'not a toonlora server reply: HTTP 404 Not Found, content-type text/plain',
    );
    run.child.kill('SIGTERM');
    expect(await run.exit, run.output()).toBe(0);
  }, 120_000);

  it('a toonlora server without --remote-workers answers JSON naming the route: the worker says so at once', async () => {
    const dataDir = tempDataDir('wrong-server');
    const app = await buildApp({
      dataDir,
      modelCache: tempModelCache(dataDir),
      runners: {},
      webDir: '/nonexistent',
    });
    cleanups.push(() => app.close()); // not after each test: the tests run at once
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`${url}/api/worker/claim`, { method: 'POST', headers: protocolHeaders() });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({
      error: { code: 'TL_ERR_NOT_FOUND', message: 'POST /api/worker/claim: no such route.' },
    });
    const run = worker(url);
    expect(await run.exit, run.output()).toBe(2);
    expect(run.output()).toContain(
      `${url} does not run remote workers (POST /api/worker/claim: no such route.)`,
    );
  }, 120_000);
});
