// test/server-refused-body.test.ts — any route refusing a request whose body it did not read (a screenshot upload
// for a character that is not there, a JSON body over the limit), over a real socket, by a client that declares
// 1 GB and trickles it: the refusal comes back and the connection closes, an upload's REFUSED_UPLOAD_LINGER_MS later. Before,
// only the worker routes closed it; the others held the socket until Node's requestTimeout (20 s and more).
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { REFUSED_UPLOAD_LINGER_MS } from '../src/server/plugins/refused-body.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('refused-body');

/** POSTs `path` declaring 1 GB of `contentType`, sending a byte every 200 ms: the reply's status line and how long
 * after the request the connection closed (null: still open after `giveUpMs`). */
function trickle(port: number, path: string, contentType: string, giveUpMs: number) {
  return new Promise<{ status: string; closedAfterMs: number | null }>((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write('x');
    }, 200);
    const end = (closedAfterMs: number | null) => {
      clearInterval(drip);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ status: reply.split('\r\n')[0] ?? '', closedAfterMs });
    };
    const giveUp = setTimeout(() => end(null), giveUpMs);
    socket.on('data', (data) => {
      reply += data.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => end(Date.now() - started));
    socket.write(
      `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: ${contentType}\r\ncontent-length: 1000000000\r\n\r\n`,
    );
  });
}

describe('a refused request whose body is still coming', () => {
  it('gets its refusal, then the connection closes after the linger, on the API routes as on the worker routes', async () => {
    const app = await makeApp();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const giveUp = REFUSED_UPLOAD_LINGER_MS + 7_000;
    const [upload, json] = await Promise.all([
      trickle(port, '/api/characters/nope/images', 'multipart/form-data; boundary=XX', giveUp),
      trickle(port, '/api/characters', 'application/json', giveUp),
    ]);
    expect(upload.status).toBe('HTTP/1.1 404 Not Found');
    expect(json.status).toBe('HTTP/1.1 413 Payload Too Large');
    // neither is held open while the client trickles on (before, the upload's was, past 20 s)
    for (const outcome of [upload, json])
      expect(outcome.closedAfterMs ?? Number.POSITIVE_INFINITY, JSON.stringify(outcome)).toBeLessThan(
        REFUSED_UPLOAD_LINGER_MS + 3_000,
      );
    // the upload's body was read and dropped for the linger first (a client still sending gets the reply, no reset)
    expect(upload.closedAfterMs).toBeGreaterThanOrEqual(REFUSED_UPLOAD_LINGER_MS - 100);
  }, 30_000);
});
