// src/jobs/remote/worker-client.test.ts — the worker's files go to and from disk as streams (servers on loopback):
// a download past its limit is cut off as it arrives (declared or counted) and leaves no file; the LoRA upload
// arrives byte-identical with its length declared; a server answering another worker protocol, or an older one
// answering none, is refused naming both versions and which to upgrade (before: a 400 of unknown fields, or nothing).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { permanentClaimError } from '../../cli/commands/worker.js';
import { TOONLORA_VERSION } from '../../version.js';
import { PROTOCOL_HEADER, protocolHeaders, VERSION_HEADER, WORKER_PROTOCOL } from './protocol.js';
import { loopbackServer } from '../../../test/helpers/loopback-server.js';
import { ProtocolMismatchError, WorkerClient } from './worker-client.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A loopback server answering with `handle`: its base URL. */
const serve = (handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> =>
  loopbackServer(handle, closers);

const tempFile = (name: string) => join(mkdtempSync(join(tmpdir(), 'tl-client-')), name);

describe('WorkerClient.downloadTo', () => {
  it('stops a body past the limit as it arrives, and removes the partial file', async () => {
    let sent = 0;
    let cutOff = false;
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/zip' }); // chunked: no length declared
      const chunk = Buffer.alloc(64 * 1024, 7);
      const timer = setInterval(() => {
        if (sent >= 50 * 1024 * 1024) {
          clearInterval(timer);
          res.end();
          return;
        }
        sent += chunk.length;
        res.write(chunk);
      }, 1);
      res.once('close', () => {
        clearInterval(timer);
        cutOff = sent < 50 * 1024 * 1024;
      });
    });
    const dest = tempFile('dataset.zip');
    await expect(
      new WorkerClient(url).downloadTo('/api/datasets/ds1/zip', dest, 256 * 1024),
    ).rejects.toMatchObject({
      code: 'TL_ERR_DOWNLOAD',
      message:
        'GET /api/datasets/ds1/zip: the body went on past 262144 bytes, the most this worker downloads; nothing was kept.',
    });
    expect(existsSync(dest)).toBe(false);
    await expect.poll(() => cutOff, { timeout: 5_000 }).toBe(true);
  }, 30_000);

  it('refuses a declared length past the limit before reading the body', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '5000000' });
      res.write(Buffer.alloc(1000));
    });
    const dest = tempFile('dataset.zip');
    await expect(new WorkerClient(url).downloadTo('/api/datasets/ds1/zip', dest, 1000)).rejects.toThrow(
      'GET /api/datasets/ds1/zip: the server sends 5000000 bytes, past 1000 bytes, the most this worker downloads; nothing was kept.',
    );
    expect(existsSync(dest)).toBe(false);
  }, 30_000);

  it('writes a body within the limit whole', async () => {
    const body = randomBytes(300_000);
    const url = await serve((_req, res) => res.end(body));
    const dest = tempFile('dataset.zip');
    expect(await new WorkerClient(url).downloadTo('/api/datasets/ds1/zip', dest, body.length)).toBe(
      body.length,
    );
    expect(readFileSync(dest)).toEqual(body);
  }, 30_000);
});

describe('WorkerClient.complete', () => {
  it('uploads the LoRA file from disk byte-identical, its length declared', async () => {
    const lora = randomBytes(3 * 1024 * 1024 + 17);
    const file = tempFile('Mina.safetensors');
    writeFileSync(file, lora);
    let got: { length: string | undefined; type: string | undefined; sha: string; url: string } | undefined;
    const url = await serve(async (req, res) => {
      const body = await buffer(req);
      got = {
        length: req.headers['content-length'],
        type: req.headers['content-type'],
        sha: createHash('sha256').update(body).digest('hex'),
        url: req.url ?? '',
      };
      res.writeHead(200, { 'content-type': 'application/json', ...protocolHeaders() });
      res.end(JSON.stringify({ jobId: 'job1' }));
    });
    await new WorkerClient(url).complete('lease1', file, { steps: 4, lastLoss: 0.25 });
    expect(got).toEqual({
      length: String(lora.length),
      type: 'application/octet-stream',
      sha: createHash('sha256').update(lora).digest('hex'),
      url: '/api/worker/leases/lease1/complete?steps=4&lastLoss=0.25',
    });
  }, 30_000);
});

describe('the worker protocol, on the worker', () => {
  /** A server answering every request 200 `{}` with `headers`; the request headers it saw. */
  async function answering(headers: Record<string, string>, status = 200) {
    const seen: IncomingMessage['headers'][] = [];
    const url = await serve((req, res) => {
      seen.push(req.headers);
      req.resume();
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(
        status === 204 ? '' : status === 200 ? '{}' : '{"error":{"code":"TL_ERR_USAGE","message":"refused"}}',
      );
    });
    return { url, seen };
  }

  it('sends its protocol and version, and is refused by a newer server, naming both protocols and that the worker is older', async () => {
    const { url, seen } = await answering({
      [PROTOCOL_HEADER]: String(WORKER_PROTOCOL + 1),
      [VERSION_HEADER]: '9.9.9',
    });
    const error = await new WorkerClient(url).claim('gpu-a', 0).catch((e: unknown) => e);
    expect(seen[0]?.[PROTOCOL_HEADER]).toBe(String(WORKER_PROTOCOL));
    expect(seen[0]?.[VERSION_HEADER]).toBe(TOONLORA_VERSION);
    expect(error).toBeInstanceOf(ProtocolMismatchError);
    expect(error).toMatchObject({ code: 'TL_ERR_USAGE', exitCode: 2 });
    expect((error as Error).message).toBe(
      `${url}: the toonlora on the worker is older than on the server: worker protocol ${WORKER_PROTOCOL} on the ` +
        `worker, ${WORKER_PROTOCOL + 1} on the server (toonlora ${TOONLORA_VERSION} on the worker, 9.9.9 on the server); ` +
        'install the same toonlora on both (toonlora --version prints the protocol).',
    );
    // the worker's loop ends on it (as for a server without --remote-workers), in its own words
    expect(permanentClaimError(error, url)).toBe(error);
  }, 30_000);

  it('refuses an older server that answers no protocol (even a 200), naming the server as older', async () => {
    const { url } = await answering({});
    const error = await new WorkerClient(url).events('lease1', []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolMismatchError);
    expect((error as Error).message).toContain(
      'the toonlora on the server is older than on the worker: it answers no worker protocol version, the worker ' +
        `speaks worker protocol ${WORKER_PROTOCOL} (toonlora ${TOONLORA_VERSION} on the worker); install the same toonlora on both`,
    );
    expect(permanentClaimError(error, url)).toBe(error);
  }, 30_000);

  it('reads an error reply without a protocol as before (no --remote-workers: 404)', async () => {
    const { url } = await answering({}, 404);
    const error = await new WorkerClient(url).claim('gpu-a', 0).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(ProtocolMismatchError);
    expect(permanentClaimError(error, url)?.message).toMatch(/does not run remote workers/);
  }, 30_000);

  it('works with a server of the same protocol', async () => {
    const { url } = await answering(protocolHeaders(), 204);
    expect(await new WorkerClient(url).claim('gpu-a', 0)).toBeUndefined();
  }, 30_000);
});
