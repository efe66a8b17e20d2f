// src/server/event-stream.ts — the head every server-sent-events route writes on its hijacked response (jobs'
// events, a character's Upload-page stream, a model pull's stream), so they all open the stream the same way.
import type { ServerResponse } from 'node:http';

/** The status and headers of an event stream: no caching, the connection kept open. */
export const EVENT_STREAM_HEAD = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
} as const;

/** Writes the event-stream head (200) on `raw`, a response the route has hijacked from Fastify. */
export function writeEventStreamHead(raw: ServerResponse): void {
  raw.writeHead(200, EVENT_STREAM_HEAD);
}
