// web/src/components/uploads-follow.ts — the Upload page follows its character's stream (GET
// /api/characters/:id/stream): an `uploads` event (another tab uploaded or removed a screenshot) or a `prep` event
// (a prep job of the character was submitted or changed status) says what to re-read; nothing is polled (it re-read
// both every 5 s). The server replays nothing, so the page re-reads both each time the stream opens, the first time
// included (a change made while the page's first reads and the stream were under way sent it no event). A stream
// that breaks (a restarted server) is opened again after a backoff, unless the character is gone (404): then
// following stops and the page says so.
import { type UploadsLiveEvent, uploadsLiveEventSchema } from '../../../src/schemas/api.js';
import { ApiError, api } from '../api.js';
import { RECONNECT_BASE_MS, RECONNECT_MAX_MS } from './job-follow.js';

export interface UploadsFollowHandlers {
  /** `event` arrived: its part of the page changed elsewhere. */
  changed: (event: UploadsLiveEvent) => void;
  /** The stream is open (the first time, or again after it broke): anything may have changed before. */
  opened: () => void;
  /** The character is gone (deleted elsewhere): the stream is not opened again. */
  gone: () => void;
}

/** The delay before the stream is opened again after `failures` breaks in a row (ms). */
export function uploadsReconnectDelayMs(failures: number): number {
  return Math.min(RECONNECT_BASE_MS * 2 ** failures, RECONNECT_MAX_MS);
}

/** Whether the server still has `characterId` (EventSource does not say why a stream failed: a 404 looks like a
 * server down). Yes when the answer is anything but a 404 (a server down is retried as before). */
export function characterStillThere(characterId: string): Promise<boolean> {
  return api.character(characterId).then(
    () => true,
    (error: unknown) => !(error instanceof ApiError && error.status === 404),
  );
}

/** Follows `characterId`'s stream until the returned function is called; after a break, `stillThere` says whether
 * to open it again. */
export function followUploads(
  characterId: string,
  on: UploadsFollowHandlers,
  stillThere: (characterId: string) => Promise<boolean> = characterStillThere,
): () => void {
  let source: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let failures = 0;
  const open = () => {
    if (stopped) return;
    const current = new EventSource(`/api/characters/${encodeURIComponent(characterId)}/stream`);
    source = current;
    current.onopen = () => {
      failures = 0;
      on.opened();
    };
    for (const event of uploadsLiveEventSchema.options)
      current.addEventListener(event, () => on.changed(event));
    // EventSource's own retry has no backoff (a server down for a while) and goes on after a 404; retry here
    current.onerror = () => {
      current.close();
      if (stopped) return;
      stillThere(characterId).then((there) => {
        if (stopped) return;
        if (!there) {
          stopped = true;
          on.gone();
          return;
        }
        timer = setTimeout(open, uploadsReconnectDelayMs(failures));
        failures += 1;
      });
    };
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    source?.close();
  };
}
