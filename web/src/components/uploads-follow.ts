// web/src/components/uploads-follow.ts — the Upload page follows its character's stream (GET
// /api/characters/:id/stream): an `uploads` event (another tab uploaded or removed a screenshot) or a `prep` event
// (a prep job of the character was submitted or changed status) says what to re-read; nothing is polled (it re-read
// both every 5 s). A stream that breaks (a restarted server) is opened again after a backoff, and the page re-reads
// both then, since changes made meanwhile sent no event.
import { type UploadsLiveEvent, uploadsLiveEventSchema } from '../../../src/schemas/api.js';
import { RECONNECT_BASE_MS, RECONNECT_MAX_MS } from './job-follow.js';

export interface UploadsFollowHandlers {
  /** `event` arrived: its part of the page changed elsewhere. */
  changed: (event: UploadsLiveEvent) => void;
  /** The stream is open again after it broke: anything may have changed meanwhile. */
  reopened: () => void;
}

/** The delay before the stream is opened again after `failures` breaks in a row (ms). */
export function uploadsReconnectDelayMs(failures: number): number {
  return Math.min(RECONNECT_BASE_MS * 2 ** failures, RECONNECT_MAX_MS);
}

/** Follows `characterId`'s stream until the returned function is called. */
export function followUploads(characterId: string, on: UploadsFollowHandlers): () => void {
  let source: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let failures = 0;
  let broke = false;
  const open = () => {
    if (stopped) return;
    const current = new EventSource(`/api/characters/${encodeURIComponent(characterId)}/stream`);
    source = current;
    current.onopen = () => {
      failures = 0;
      if (broke) on.reopened();
      broke = false;
    };
    for (const event of uploadsLiveEventSchema.options)
      current.addEventListener(event, () => on.changed(event));
    // EventSource's own retry has no backoff (a server down for a while); retry here with one
    current.onerror = () => {
      current.close();
      if (stopped) return;
      broke = true;
      timer = setTimeout(open, uploadsReconnectDelayMs(failures));
      failures += 1;
    };
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    source?.close();
  };
}
