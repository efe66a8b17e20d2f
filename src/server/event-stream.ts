// src/server/event-stream.ts — how every server-sent-events route (a job's events, a character's Upload-page stream,
// a model pull's stream) opens its stream on the hijacked reply, keeps it from looking idle, and cleans up: one
// place, so each stream gets the same head, the same keep-alive comment and the same end, whichever way it ends.
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';

/** The status and headers of an event stream: no caching, the connection kept open. */
export const EVENT_STREAM_HEAD = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
} as const;

/** How often an open stream sends a comment line: a proxy drops a connection idle for 60 s (nginx's
 * proxy_read_timeout), and a queued job or an Upload page with nothing happening sends nothing else. */
export const KEEP_ALIVE_MS = 15_000;

/** The comment line the keep-alive sends (EventSource ignores it). */
export const KEEP_ALIVE_LINE = ': keep-alive\n\n';

/** An open event stream. Writing to one that ended does nothing. */
export interface EventStream {
  /** The response under it (the routes' close hooks track it to end it as the server closes). */
  readonly raw: ServerResponse;
  /** Whether it ended (here, by the client going away, by the server's close, or on an error). */
  readonly ended: boolean;
  /** Sends `chunk` (one or more whole events) unless the stream ended. */
  write(chunk: string): void;
  /** Ends the stream: the keep-alive stops now, not once a slow client has read the rest. */
  end(): void;
  /** Runs `run` once when the stream ends, whichever way (a route's subscriptions go); at once if it has. */
  onEnd(run: () => void): void;
}

export interface EventStreamOptions {
  /** Between keep-alive comments (ms; default KEEP_ALIVE_MS). */
  keepAliveMs?: number;
}

/** Whether `raw` can take no more writes: ended (by anyone), destroyed, or its connection closed. */
function isClosed(raw: ServerResponse): boolean {
  return raw.writableEnded || raw.destroyed || raw.socket?.destroyed === true;
}

/**
 * Hijacks `reply` and opens an event stream on it (200 and EVENT_STREAM_HEAD), with a keep-alive comment every
 * `keepAliveMs`. The timer and the `onEnd` callbacks go once, on whichever ending comes first: end() here,
 * `raw.end()` by others (the server's close), the client gone (`close`), an `error`, or a client already gone
 * before the route got here (no `close` would come). A keep-alive that finds the stream ended stops instead of
 * writing: a write after the end made the response emit `error`, which with a client not reading (its data still
 * queued, so no `close` yet) came twice, 15 s apart, and the second one had no listener and crashed the server.
 */
export function openEventStream(reply: FastifyReply, options: EventStreamOptions = {}): EventStream {
  reply.hijack();
  const raw = reply.raw;
  let done = false;
  const endings: Array<() => void> = [];
  const cleanUp = () => {
    if (done) return;
    done = true;
    clearInterval(timer);
    raw.off('close', cleanUp);
    raw.off('finish', cleanUp);
    for (const run of endings.splice(0)) run();
  };
  const timer = setInterval(() => {
    if (isClosed(raw)) cleanUp();
    else raw.write(KEEP_ALIVE_LINE);
  }, options.keepAliveMs ?? KEEP_ALIVE_MS);
  raw.on('close', cleanUp);
  raw.on('finish', cleanUp);
  // kept after the end: a late error (the socket reset under a write) is this stream's, not an uncaught one
  raw.on('error', cleanUp);
  if (isClosed(raw)) cleanUp();
  else raw.writeHead(200, EVENT_STREAM_HEAD);
  return {
    raw,
    get ended() {
      return done || isClosed(raw);
    },
    write(chunk) {
      if (!done && !isClosed(raw)) raw.write(chunk);
    },
    end() {
      if (!raw.writableEnded && !raw.destroyed) raw.end();
      cleanUp();
    },
    onEnd(run) {
      if (done) run();
      else endings.push(run);
    },
  };
}

/** Ends an event stream and its connection (a keep-alive socket would hold the server's close up). */
export function endEventStream(raw: ServerResponse): void {
  const socket = raw.socket;
  if (raw.writableEnded) socket?.destroy();
  else raw.end(() => socket?.destroy());
}
