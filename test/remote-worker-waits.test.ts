// test/remote-worker-waits.test.ts — `toonlora worker`'s claim loop (in process, a loopback server that switches its
// answers, an injected clock, resolver and network state, no real waits) while its claims fail in ways that may
// mend: once serve answered, a login page's 200 and a proxy's HTML 400 in its place are said at each claim, naming
// what came, the address and what to check, and the claims go on (before: the first said as "not a toonlora server
// reply", then silence for 30 s, and no word of serve having answered there); a host name that does not resolve
// (ENOTFOUND) is waited for when the worker started before the network was up, or for --wait-for-server seconds,
// saying what it waits for (before: the worker ended after 3 claims, ~15 s); with the network up and no flag, a
// mistyped host name still ends it after 3 claims.
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { work } from '../src/cli/commands/worker.js';
import { protocolHeaders } from '../src/jobs/remote/protocol.js';
import { fakeMachine, workerFlags } from './helpers/fake-worker-machine.js';
import { loopbackServer } from './helpers/loopback-server.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A loopback server answering its `n`th request (1, 2, …) with `answer`: its URL. */
async function switchingServer(answer: (res: ServerResponse, n: number) => void): Promise<string> {
  let count = 0;
  return loopbackServer((req, res) => {
    req.resume();
    count += 1;
    answer(res, count);
  }, closers);
}

/** serve's answer to a claim when no job came: 204 with the worker protocol. */
const noJob = (res: ServerResponse) => {
  res.writeHead(204, protocolHeaders());
  res.end();
};

const LOGIN_PAGE = '<!doctype html><html><head><title>Sign in</title></head><body>Sign in</body></html>';

/** fetch as a resolver that cannot resolve `host` for the first `failures` requests, then sends them to `url`. */
function resolvingLater(host: string, url: string, failures: number): typeof fetch {
  let calls = 0;
  return (input, init) => {
    calls += 1;
    const target = String(input);
    if (calls <= failures) {
      const cause = Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return Promise.reject(new TypeError('fetch failed', { cause }));
    }
    return fetch(target.replace(`http://${host}:7860`, url), init);
  };
}

describe('toonlora worker: another page in place of serve, after serve answered', () => {
  it('says a login page and a proxy 400 at each claim, with what came and what to check, and goes on', async () => {
    const fake = fakeMachine();
    const url = await switchingServer((res, n) => {
      if (n === 2 || n === 3) {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(LOGIN_PAGE);
      } else if (n === 4) {
        res.writeHead(400, { 'content-type': 'text/html' });
        res.end('<html><body><h1>400 Bad Request</h1></body></html>');
      } else {
        if (n >= 6) fake.stop(); // the 5th answer is serve's again
        noJob(res);
      }
    });
    expect(await work(workerFlags(url), fake.machine)).toBe(0);
    const inPlace = (claims: number, got: string, wait: string) =>
      `something else answers at ${url} in place of toonlora serve, which answered there before: ${claims} ` +
      `claim${claims === 1 ? '' : 's'} in a row (POST ${url}/api/worker/claim) got ${got}. A proxy or login page in ` +
      'front of serve answers instead (a login session that expired, a proxy rule changed), or another server took ' +
      `the address: check that ${url}/api/worker/ reaches toonlora serve; trying again in ${wait}`;
    const login = `HTTP 200 OK, content-type text/html, ${LOGIN_PAGE.length} bytes: "${LOGIN_PAGE.slice(0, 80)}"…`;
    expect(fake.lines.slice(1)).toEqual([
      inPlace(1, login, '5 s'),
      inPlace(2, login, '10 s'),
      inPlace(
        3,
        'HTTP 400 Bad Request, content-type text/html, 50 bytes: "<html><body><h1>400 Bad Request</h1></body></html>"',
        '20 s',
      ),
      'the server answers again, after 3 failed calls in 35 s',
    ]);
    expect(fake.waits).toEqual([5_000, 10_000, 20_000]);
  }, 30_000);
});

describe('toonlora worker: a host name that does not resolve yet', () => {
  it('started with no network address: waits, saying so at each claim, and claims once the name resolves', async () => {
    const fake = fakeMachine({ networkUp: () => false });
    const url = await switchingServer((res, n) => {
      if (n >= 2) fake.stop(); // the 1st answer is serve's
      noJob(res);
    });
    fake.machine.fetchImpl = resolvingLater('gpu-host.lan', url, 5);
    expect(await work(workerFlags('http://gpu-host.lan:7860'), fake.machine)).toBe(0);
    const waiting = (wait: string, sofar: string) =>
      `waiting for gpu-host.lan to resolve (ENOTFOUND): this machine had no network address when the worker ` +
      `started (the network is still coming up?); trying again in ${wait}, for up to 5 min after the start ` +
      `(--wait-for-server), ${sofar} so far`;
    expect(fake.lines.slice(1)).toEqual([
      waiting('5 s', '0 s'),
      waiting('10 s', '5 s'),
      waiting('20 s', '15 s'),
      waiting('40 s', '35 s'),
      waiting('1 min', '1 min 15 s'),
      'the server answers again, after 5 failed calls in 2 min 15 s',
    ]);
  }, 30_000);

  it('started with no network address: ends once the 5 min are over, saying how long it waited', async () => {
    const fake = fakeMachine({ networkUp: () => false });
    fake.machine.fetchImpl = resolvingLater('gpu-host.lan', 'http://127.0.0.1:9', 1000);
    await expect(work(workerFlags('http://gpu-host.lan:7860'), fake.machine)).rejects.toThrow(
      'gpu-host.lan does not resolve: 9 claims in a row over 5 min 15 s (POST http://gpu-host.lan:7860/api/worker/' +
        'claim) failed (ENOTFOUND: no DNS name or hosts-file entry for it). Check the --server address',
    );
    expect(fake.lines).toHaveLength(1 + 8);
  }, 30_000);

  it('with the network up: --wait-for-server waits that long (a VPN or DNS starting after the network)', async () => {
    const fake = fakeMachine();
    fake.machine.fetchImpl = resolvingLater('gpu-host.lan', 'http://127.0.0.1:9', 1000);
    await expect(
      work(workerFlags('http://gpu-host.lan:7860', { waitForServer: '60' }), fake.machine),
    ).rejects.toThrow('gpu-host.lan does not resolve: 5 claims in a row over 1 min 15 s');
    expect(fake.lines[1]).toBe(
      'waiting for gpu-host.lan to resolve (ENOTFOUND): no DNS name or hosts-file entry for it yet (a VPN or DNS ' +
        'server still starting?); trying again in 5 s, for up to 1 min after the start (--wait-for-server), 0 s so far',
    );
  }, 30_000);

  it('with the network up and no --wait-for-server: a mistyped host name still ends it after 3 claims', async () => {
    const fake = fakeMachine();
    fake.machine.fetchImpl = resolvingLater('gpu-hots.lan', 'http://127.0.0.1:9', 1000);
    await expect(work(workerFlags('http://gpu-hots.lan:7860'), fake.machine)).rejects.toThrow(
      'gpu-hots.lan does not resolve: 3 claims in a row (POST http://gpu-hots.lan:7860/api/worker/claim) failed',
    );
    expect(fake.waits).toEqual([5_000, 10_000]);
  }, 30_000);

  it('refuses a --wait-for-server that is not whole seconds', async () => {
    const fake = fakeMachine();
    await expect(
      work(workerFlags('http://gpu-host.lan:7860', { waitForServer: '5m' }), fake.machine),
    ).rejects.toThrow('--wait-for-server: expected whole seconds, e.g. 300, got "5m".');
  });
});
