// src/server/routes/workers/refused-upload.ts — a refused /api/worker upload (too large, lease gone, another protocol)
// whose body the server did not read to its end: the refusal goes out, then the server goes on reading and dropping
// what the worker still sends, for a while, before it closes. Closing at once with bytes unread makes the server's
// TCP stack reset the connection, and a worker still sending (a checkpoint of gigabytes) then sees ECONNRESET / EPIPE
// instead of the refusal's reason. A worker using fetch (undici) closes the connection itself once it has the reply.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** How long the server goes on reading a refused upload's body after its refusal went out, before it closes. */
export const REFUSED_UPLOAD_LINGER_MS = 5_000;

/**
 * After `res` (a refusal) is sent: reads and drops the rest of `req`'s body, closing the connection once
 * `lingerMs` passed with the body still coming. Nothing to do when the body was read whole.
 */
export function lingerAfterRefusal(
  req: IncomingMessage,
  res: ServerResponse,
  lingerMs = REFUSED_UPLOAD_LINGER_MS,
): void {
  if (req.complete) return;
  res.once('finish', () => {
    const socket = req.socket;
    if (req.complete || !socket || socket.destroyed) return;
    const timer = setTimeout(() => socket.destroy(), lingerMs);
    timer.unref();
    const done = () => clearTimeout(timer);
    req.once('end', done);
    socket.once('close', done);
    req.resume();
  });
}
