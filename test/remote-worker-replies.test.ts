// test/remote-worker-replies.test.ts — replies that are not a toonlora server's (fake servers on loopback): a proxy's
// HTML error page, a captive portal's 200 page, a JSON body cut short or of another shape, on the claim and on a
// lease's events. The worker says in one line what came (status, content-type, length, the first bytes escaped) and
// that it is not a toonlora server reply, and tries again (with growing waits), instead of calling it a version
// mismatch and exiting, dropping the lease on a proxy's 404, or printing a multi-line page. (Which of them end a worker
// that never reached a toonlora server: src/jobs/remote/reply-check.test.ts, test/remote-worker-wrong-server.test.ts.)
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { claimRetryMs, permanentClaimError } from '../src/cli/commands/worker.js';
import { protocolHeaders } from '../src/jobs/remote/protocol.js';
import { NotToonloraReplyError } from '../src/jobs/remote/reply-check.js';
import {
  isTransient,
  LeaseLostError,
  ProtocolMismatchError,
  WorkerClient,
} from '../src/jobs/remote/worker-client.js';
import { loopbackServer } from './helpers/loopback-server.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A loopback server answering every request with `handle`: its base URL. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  return loopbackServer((req, res) => {
    req.resume();
    handle(req, res);
  }, closers);
}

const PROXY_PAGE =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n' +
  '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

/** What `call` threw (it must throw). */
async function thrown(call: () => Promise<unknown>): Promise<Error> {
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

/** The error is a NotToonloraReplyError in one line saying `what`, that a claim tries again after (or stops on
 * by the wrong-server rule), which a run tries again after when `transient` (a 200 page is not: a login page). */
function expectForeign(transient: boolean, error: Error, url: string, ...what: string[]) {
  expect(error).toBeInstanceOf(NotToonloraReplyError);
  expect(error).not.toBeInstanceOf(ProtocolMismatchError);
  expect(error.message).not.toMatch(/[\r\n]/);
  expect(error.message).toContain('not a toonlora server reply');
  expect(error.message).toContain(`another server answers at ${url}`);
  for (const part of what) expect(error.message).toContain(part);
  expect(isTransient(error)).toBe(transient);
  expect(permanentClaimError(error, url)).toBeUndefined();
}

const expectNotToonlora = (error: Error, url: string, ...what: string[]) =>
  expectForeign(true, error, url, ...what);

describe('a reply that is not a toonlora server reply', () => {
  it("a proxy's HTML error page on a claim (502, and a 404 of its own) is said as what it is", async () => {
    for (const status of [502, 404]) {
      const url = await serve((_req, res) => {
        res.writeHead(status, { 'content-type': 'text/html' });
        res.end(PROXY_PAGE);
      });
      const error = await thrown(() => new WorkerClient(url).claim('gpu-a', 0));
      expectNotToonlora(
        error,
        url,
        `POST /api/worker/claim: not a toonlora server reply: HTTP ${status} `,
        `content-type text/html, ${PROXY_PAGE.length} bytes: "<html>\\r\\n<head><title>502 Bad Gateway</title></head>\\r\\n<body>\\r\\n<center>`,
      );
    }
  }, 30_000);

  it("an auth proxy's 401 / 403 page is a refusal that stays, naming a login in front of serve", async () => {
    for (const status of [401, 403]) {
      const url = await serve((_req, res) => {
        res.writeHead(status, { 'content-type': 'text/html' });
        res.end(PROXY_PAGE);
      });
      const error = await thrown(() => new WorkerClient(url).claim('gpu-a', 0));
      expect(error).toBeInstanceOf(NotToonloraReplyError);
      expect(error.message).toContain(`: HTTP ${status} `);
      expect(error.message).toContain(
        `; something in front of ${url} refused this worker: an auth proxy or a login page stands in front of toonlora serve`,
      );
      expect(isTransient(error)).toBe(false);
      expect(permanentClaimError(error, url)).toMatchObject({
        code: 'TL_ERR_UNAUTHORIZED',
        message: error.message,
      });
    }
  }, 30_000);

  it('a 200 page with no protocol header (a captive portal) is not taken for an older toonlora', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Sign in to the hotel wifi</title>');
    });
    const error = await thrown(() => new WorkerClient(url).claim('gpu-a', 0));
    expectForeign(
      false,
      error,
      url,
      'HTTP 200 OK, content-type text/html; charset=utf-8',
      '"<!doctype html><title>Sign in',
    );
    // an older toonlora answers a claim (JSON with a leaseId) without the header: still a version mismatch
    const older = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"leaseId":"abc","job":{}}');
    });
    expect(await thrown(() => new WorkerClient(older).claim('gpu-a', 0))).toBeInstanceOf(
      ProtocolMismatchError,
    );
  }, 30_000);

  it("another JSON API's 200 to a claim is not taken for an older toonlora (before: a version mismatch)", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
    });
    const error = await thrown(() => new WorkerClient(url).claim('gpu-a', 0));
    expectForeign(
      false,
      error,
      url,
      '(no worker protocol header, and not a claim): HTTP 200 OK, content-type application/json, 15 bytes: "{\\"status\\":\\"ok\\"}"',
    );
  }, 30_000);

  it('carries what the stop rule reads: status, cut short, the protocol header', async () => {
    const cases = [
      [404, 'text/html', {}, false],
      [200, 'text/html', {}, false],
      [404, 'application/json', {}, false],
      [502, 'text/html', {}, false],
      [200, 'text/html', protocolHeaders(), true],
    ] as const;
    for (const [status, type, headers, toonloraHeader] of cases) {
      const url = await serve((_req, res) => {
        res.writeHead(status, { 'content-type': type, ...headers });
        res.end(type === 'text/html' ? PROXY_PAGE : '{"detail":"Not Found"}');
      });
      const error = await thrown(() => new WorkerClient(url).claim('gpu-a', 0));
      expect(error).toBeInstanceOf(NotToonloraReplyError);
      expect((error as NotToonloraReplyError).reply).toEqual({ status, cut: false, toonloraHeader });
      expect((error as NotToonloraReplyError).described).toMatch(
        new RegExp(`^HTTP ${status} .*, content-type ${type}, `),
      );
    }
  }, 30_000);

  it('a claim cut short, or not JSON, or JSON of another shape, under the protocol header', async () => {
    const claim = '{"leaseId":"abc","leaseExpiresAt":"2026-01-01T00:00:00Z","renewEveryMs":5000,"job":{';
    const cut = await serve((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': '400',
        ...protocolHeaders(),
      });
      res.write(claim);
      setTimeout(() => res.destroy(), 50);
    });
    const cutError = await thrown(() => new WorkerClient(cut).claim('gpu-a', 0));
    expectNotToonlora(
      cutError,
      cut,
      `${claim.length} bytes read, cut off after ${claim.length} bytes`,
      '"{\\"leaseId\\":\\"abc\\"',
    );
    expect((cutError as NotToonloraReplyError).reply).toEqual({
      status: 200,
      cut: true,
      toonloraHeader: true,
    });
    const binary = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', ...protocolHeaders() });
      res.end(Buffer.from([0x00, 0x1b, 0x7f, 0x41]));
    });
    expectNotToonlora(
      await thrown(() => new WorkerClient(binary).claim('gpu-a', 0)),
      binary,
      '(not JSON)',
      '4 bytes: "\\u0000\\u001b\\u007fA"',
    );
    const shape = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', ...protocolHeaders() });
      res.end('{"lease":1}');
    });
    expectNotToonlora(
      await thrown(() => new WorkerClient(shape).claim('gpu-a', 0)),
      shape,
      '(not what toonlora answers: leaseId: ',
    );
  }, 30_000);

  it("on a lease's events: a proxy's 404 page does not drop the lease, an HTML 200 is not an events reply", async () => {
    for (const [status, headers] of [
      [404, {}],
      [200, protocolHeaders()],
    ] as const) {
      const url = await serve((_req, res) => {
        res.writeHead(status, { 'content-type': 'text/html', ...headers });
        res.end(PROXY_PAGE);
      });
      const error = await thrown(() => new WorkerClient(url).events('lease1', []));
      expect(error).not.toBeInstanceOf(LeaseLostError);
      expectNotToonlora(error, url, 'POST /api/worker/leases/', `HTTP ${status}`);
    }
  }, 30_000);

  it('the claims go on with growing waits: 5 s, doubled after each failure in a row, at most 60 s', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map(claimRetryMs)).toEqual([
      5_000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000,
    ]);
  });
});
