// test/server-remote-workers-protocol.test.ts — the worker protocol on a `serve --remote-workers` server (inject,
// and a real worker client on loopback): a worker of another protocol, or an older one that sends none, is refused
// with one line naming both toonlora versions and which to upgrade, said once per worker in the server's log, and
// the job stays offered for a worker that fits; a matching worker claims it. Before, an older worker's unknown
// fields were a schema 400 ("body/x: unknown field") and a newer one's missing field went unnoticed.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { permanentClaimError } from '../src/cli/commands/worker.js';
import { PROTOCOL_HEADER, VERSION_HEADER, WORKER_PROTOCOL } from '../src/jobs/remote/protocol.js';
import { WorkerClient } from '../src/jobs/remote/worker-client.js';
import { TOONLORA_VERSION } from '../src/version.js';
import { offeredTrainJob, WORKER_HEADERS } from './helpers/remote-train-jobs.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('remote-protocol');
afterEach(() => {
  vi.restoreAllMocks();
});

const remoteApp = () => makeApp({ remoteWorkers: { leaseMs: 60_000, jobs: 8 } });

/** What the server writes on stderr (its operator lines without `serve --log`) while `run` runs. */
async function stderrOf(run: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (String(chunk).startsWith('toonlora serve: ')) {
      lines.push(String(chunk).trim());
      return true;
    }
    return write(chunk, ...(rest as []));
  });
  await run();
  vi.restoreAllMocks();
  return lines;
}

describe('the worker protocol on the server', () => {
  it('refuses other protocols and none with one line, logged once per worker; the job waits for a fitting worker', async () => {
    const app = await remoteApp();
    const id = await offeredTrainJob(app);
    const claim = (worker: string, headers: Record<string, string>) =>
      app.inject({ method: 'POST', url: '/api/worker/claim', headers, payload: { worker, waitS: 0 } });
    const older = { [PROTOCOL_HEADER]: String(WORKER_PROTOCOL - 1), [VERSION_HEADER]: '0.0.1' };
    const newer = { [PROTOCOL_HEADER]: String(WORKER_PROTOCOL + 1), [VERSION_HEADER]: '9.9.9' };
    const replies: Array<{ status: number; message: string; protocol: unknown; version: unknown }> = [];
    const logged = await stderrOf(async () => {
      for (const [worker, headers] of [
        ['old-a', older],
        ['old-a', older],
        ['new-b', newer],
        ['none-c', {}],
        ['none-c', { 'x-toonlora-worker-protocol': 'one' }],
      ] as const) {
        const res = await claim(worker, headers);
        replies.push({
          status: res.statusCode,
          message: res.json().error.message,
          protocol: res.headers[PROTOCOL_HEADER],
          version: res.headers[VERSION_HEADER],
        });
      }
    });
    const install = 'install the same toonlora on both (toonlora --version prints the protocol)';
    const olderLine =
      `the toonlora on worker old-a is older than on the server: worker protocol ${WORKER_PROTOCOL - 1} on worker ` +
      `old-a, ${WORKER_PROTOCOL} on the server (toonlora 0.0.1 on worker old-a, ${TOONLORA_VERSION} on the server); ${install}`;
    const newerLine =
      `the toonlora on the server is older than on worker new-b: worker protocol ${WORKER_PROTOCOL} on the server, ` +
      `${WORKER_PROTOCOL + 1} on worker new-b (toonlora 9.9.9 on worker new-b, ${TOONLORA_VERSION} on the server); ${install}`;
    const noneLine =
      'the toonlora on worker none-c is older than on the server: it sends no worker protocol version, the server ' +
      `speaks worker protocol ${WORKER_PROTOCOL} (toonlora ${TOONLORA_VERSION} on the server); ${install}`;
    expect(replies.map((r) => [r.status, r.message])).toEqual([
      [400, olderLine],
      [400, olderLine],
      [400, newerLine],
      [400, noneLine],
      [400, noneLine],
    ]);
    // every reply says the server's protocol and version, a refusal too
    expect(new Set(replies.map((r) => `${r.protocol} ${r.version}`))).toEqual(
      new Set([`${WORKER_PROTOCOL} ${TOONLORA_VERSION}`]),
    );
    // once per worker (and version), not per request
    expect(logged).toEqual([
      `toonlora serve: ${olderLine}`,
      `toonlora serve: ${newerLine}`,
      `toonlora serve: ${noneLine}`,
    ]);
    expect(app.remoteBoard?.remoteState(id)).toMatchObject({ worker: null }); // still offered
    const fits = await claim('fits-d', WORKER_HEADERS);
    expect(fits.statusCode).toBe(200);
    expect(fits.json().job.id).toBe(id);
    expect(fits.headers[PROTOCOL_HEADER]).toBe(String(WORKER_PROTOCOL));
  }, 60_000);

  it('refuses a lease route of another protocol before reading its upload', async () => {
    const app = await remoteApp();
    const res = await app.inject({
      method: 'POST',
      url: '/api/worker/leases/lease1/complete?steps=4',
      headers: { 'content-type': 'application/octet-stream' },
      payload: Buffer.alloc(1000),
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers.connection).toBe('keep-alive'); // its body is read and dropped for a while (plugins/refused-body.ts)
    expect(res.json().error.message).toMatch(
      /^the toonlora on worker at [\d.:a-f]+ is older than on the server: it sends no worker protocol version/,
    );
  }, 60_000);

  it("an older worker (no header) gets the refusal's words through its own 400 line", async () => {
    const app = await remoteApp();
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    // an older toonlora's client: the same requests without the protocol headers
    const older: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      headers.delete(PROTOCOL_HEADER);
      headers.delete(VERSION_HEADER);
      return fetch(input, { ...init, headers });
    };
    const error = await new WorkerClient(url, undefined, older).claim('gpu-old', 0).catch((e: unknown) => e);
    expect(permanentClaimError(error, url)?.message).toMatch(
      /^the server refused this worker's request \(400: POST \/api\/worker\/claim: the toonlora on worker gpu-old is older than on the server: it sends no worker protocol version, .*; install the same toonlora on both \(toonlora --version prints the protocol\)\)/,
    );
    // the same client with the headers claims (nothing offered: 204)
    expect(await new WorkerClient(url).claim('gpu-new', 0)).toBeUndefined();
  }, 60_000);
});
