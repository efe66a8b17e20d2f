// src/server/plugins/refused-body.ts — a refused request whose body the server did not read to its end (a screenshot
// upload for a character that is not there, a token refused, a LoRA or checkpoint too large, a lease gone): the
// refusal goes out, then the server goes on reading and dropping what the client still sends, for a while, before it
// closes. Closing at once with bytes unread makes the server's TCP stack reset the connection, and a client still
// sending (a worker's checkpoint of gigabytes) then sees ECONNRESET / EPIPE instead of the refusal's reason; reading
// on without end held the socket until Node's requestTimeout for a client trickling a huge declared body. One hook
// for every route (the API, the worker routes, the web app's files). A fetch (undici) client closes the connection
// itself once it has the reply.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** How long the server goes on reading a refused request's body after its refusal went out, before it closes. */
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

async function refusedBodyPlugin(app: FastifyInstance): Promise<void> {
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode >= 400) lingerAfterRefusal(request.raw, reply.raw);
    return payload;
  });
}

export default fp(refusedBodyPlugin, { name: 'toonlora-refused-body', fastify: '5.x' });
