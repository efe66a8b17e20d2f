// test/remote-upload-refusal.test.ts — an upload the server refuses before reading it to its end (a LoRA or a
// checkpoint larger than it takes, a lease gone, another worker protocol), over a real socket, by a worker still
// sending its body and not reading meanwhile (as a worker on a slow link is): the refusal reaches it. Before, the
// server closed at once with bytes unread, its TCP stack reset the connection, and the worker saw EPIPE / ECONNRESET
// instead of the reason.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { storeCheckpoint } from '../src/jobs/remote/checkpoint-store.js';
import { isTransient, WorkerClient } from '../src/jobs/remote/worker-client.js';
import { claimedTrainJob, WORKER_HEADERS } from './helpers/remote-train-jobs.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('remote-refusal');

/** What a worker got: the reply's bytes (as far as it came) and the socket's error code, if any. */
interface Outcome {
  reply: string;
  error?: string;
}

/**
 * POSTs `path` declaring `declared` bytes (null: chunked, no length said) and sends body bytes for `sendMs` without reading (the socket is paused),
 * then reads: the reply, once whole, or what came before the connection ended.
 */
function busyUpload(
  port: number,
  path: string,
  declared: number | null,
  headers: Record<string, string>,
  sendMs = 400,
) {
  return new Promise<Outcome>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    let error: string | undefined;
    const end = () => {
      socket.destroy();
      resolve({ reply, ...(error ? { error } : {}) });
    };
    socket.pause();
    socket.on('data', (data) => {
      reply += data.toString('latin1');
      const [head = '', body] = reply.split('\r\n\r\n');
      const length = /\r\ncontent-length: (\d+)/i.exec(head)?.[1];
      if (body !== undefined && length !== undefined && Buffer.byteLength(body, 'latin1') >= Number(length))
        end();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error ??= e.code ?? e.message;
    });
    socket.on('close', end);
    const lines = [
      `POST ${path} HTTP/1.1`,
      `host: 127.0.0.1:${port}`,
      'content-type: application/octet-stream',
      declared === null ? 'transfer-encoding: chunked' : `content-length: ${declared}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    const chunk = Buffer.alloc(64 * 1024);
    const until = Date.now() + sendMs;
    let sent = 0;
    const send = () => {
      if (socket.destroyed) return;
      if (Date.now() > until || sent >= (declared ?? Number.POSITIVE_INFINITY)) {
        socket.resume();
        return;
      }
      const part = chunk.subarray(0, Math.min(chunk.length, (declared ?? Number.POSITIVE_INFINITY) - sent));
      sent += part.length;
      if (declared === null) socket.write(`${part.length.toString(16)}\r\n`);
      socket.write(part, () => {});
      if (declared === null) socket.write('\r\n');
      setTimeout(send, 1);
    };
    send();
  });
}

/** The reply's status line and its JSON error message. */
function refusal(outcome: Outcome): { status: string; message: string } {
  const [head = '', body = ''] = outcome.reply.split('\r\n\r\n');
  const message = body ? (JSON.parse(body) as { error: { message: string } }).error.message : '';
  return { status: head.split('\r\n')[0] ?? '', message };
}

describe('an upload refused before the server read it all', () => {
  it('reaches a worker still sending: too large, lease gone, another protocol', async () => {
    const app = await makeApp({
      remoteWorkers: { leaseMs: 60_000, jobs: 2 },
      uploads: { maxLoraBytes: 64 * 1024 },
    });
    const { leaseId } = await claimedTrainJob(app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const lease = `/api/worker/leases/${leaseId}`;

    const lora = await busyUpload(port, `${lease}/complete?steps=4`, 1024 ** 3, WORKER_HEADERS);
    expect(refusal(lora), JSON.stringify(lora)).toEqual({
      status: 'HTTP/1.1 413 Payload Too Large',
      message: expect.stringMatching(
        /^the LoRA upload \(1024 MiB\) is larger than the server takes \(64 KiB/,
      ),
    });
    // no length said: refused once more than the limit came
    const counted = await busyUpload(port, `${lease}/complete?steps=4`, null, WORKER_HEADERS);
    expect(refusal(counted), JSON.stringify(counted)).toEqual({
      status: 'HTTP/1.1 413 Payload Too Large',
      message: expect.stringMatching(/^the LoRA upload is larger than the server takes \(64 KiB/),
    });
    const checkpoint = await busyUpload(port, `${lease}/checkpoint?step=3`, 5 * 1024 ** 3, {
      ...WORKER_HEADERS,
      'content-type': 'application/zip',
    });
    expect(refusal(checkpoint), JSON.stringify(checkpoint)).toEqual({
      status: 'HTTP/1.1 413 Payload Too Large',
      message: expect.stringMatching(/^the checkpoint upload \(5120 MiB\) is larger than the server takes/),
    });
    const gone = await busyUpload(
      port,
      `/api/worker/leases/${randomUUID()}/checkpoint?step=3`,
      1024 ** 3,
      WORKER_HEADERS,
    );
    expect(refusal(gone), JSON.stringify(gone)).toEqual({
      status: expect.stringMatching(/^HTTP\/1\.1 (404|409) /),
      message: expect.stringMatching(/lease/),
    });
    const older = await busyUpload(port, `${lease}/complete?steps=4`, 1024 ** 3, {});
    expect(refusal(older), JSON.stringify(older)).toEqual({
      status: 'HTTP/1.1 400 Bad Request',
      message: expect.stringContaining('it sends no worker protocol version'),
    });

    // and through the worker's own client: the server's words, not a reset
    const file = join(await mkdtemp(join(tmpdir(), 'tl-refused-')), 'big.safetensors');
    await writeFile(file, Buffer.alloc(32 * 1024 * 1024));
    const error = await new WorkerClient(`http://127.0.0.1:${port}`)
      .complete(leaseId, file, { steps: 4, lastLoss: null })
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /the LoRA upload \(32 MiB\) is larger than the server takes \(64 KiB/,
    );
  }, 60_000);
});

describe('a checkpoint upload refused by its byte count', () => {
  it('leaves the request whole (its 413 is still to be answered), and no file', async () => {
    const runDir = await mkdtemp(join(tmpdir(), 'tl-ckpt-refused-'));
    const body = new PassThrough();
    body.write(Buffer.alloc(600));
    body.write(Buffer.alloc(600));
    const stored = storeCheckpoint(runDir, 3, body, { maxBytes: 1000, keep: () => {} });
    await expect(stored).rejects.toMatchObject({ code: 'TL_ERR_PAYLOAD_TOO_LARGE' });
    expect(body.destroyed).toBe(false);
    expect(await readdir(runDir)).toEqual([]);
  });
});

describe('an upload whose connection is reset with no answer', () => {
  it('is said as that (the server may have refused it), not as a server it cannot reach', async () => {
    const server = createServer((req) => {
      let seen = 0;
      req.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen > 64 * 1024) req.socket.resetAndDestroy();
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const file = join(await mkdtemp(join(tmpdir(), 'tl-reset-')), 'big.safetensors');
    await writeFile(file, Buffer.alloc(8 * 1024 * 1024));
    try {
      const error = await new WorkerClient(url)
        .complete('lease1', file, { steps: 4, lastLoss: null })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'TL_ERR_UNAVAILABLE' });
      expect((error as Error).message).toMatch(
        new RegExp(
          `^POST /api/worker/leases/lease1/complete: the connection to ${url} ended during the upload \\((ECONNRESET|EPIPE|UND_ERR_SOCKET)\\) with no answer: the server may have refused it`,
        ),
      );
      expect(isTransient(error)).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  }, 30_000);
});
