// web/src/components/remote-job.ts — what the status line says of a train job run by a remote GPU worker (its
// stream's `remote` event, the shape of GET /api/jobs/:id's `remote`, src/schemas/api-jobs.ts): waiting for a
// worker (the badge says waiting, not running), which worker runs it, and a worker that has gone silent — after a
// cancel, how long until its lease runs out and the job ends. The event is sent when the worker reports; the
// silence is counted on here from when it arrived (remoteAsOf, nextRemoteTickMs). Pure; use-remote-job.ts reads it.
import type { JobRemote } from '../../../src/schemas/api.js';

/** A worker silent longer than this is said to be (it reports about every second while it runs). */
export const SILENT_AFTER_MS = 5000;
/** While the warning shows, how often its seconds are counted again (on the page: no request). */
export const SILENT_TICK_MS = 1000;

/** `remote` as it stands `ageMs` after it was sent: silent that much longer, its lease that much nearer its end. */
export function remoteAsOf(remote: JobRemote, ageMs: number): JobRemote {
  const age = Math.max(0, ageMs);
  return {
    ...remote,
    silentMs: remote.silentMs === null ? null : remote.silentMs + age,
    leaseEndsInMs: remote.leaseEndsInMs === null ? null : Math.max(0, remote.leaseEndsInMs - age),
  };
}

/**
 * How long after `ageMs` the line of `remote` (as sent) next changes without a new event: when the worker's
 * silence reaches SILENT_AFTER_MS, then every SILENT_TICK_MS while the warning counts; null when it cannot change
 * (no worker holds the job, or its lease has run out: the job's status event comes next).
 */
export function nextRemoteTickMs(remote: JobRemote, ageMs: number): number | null {
  const now = remoteAsOf(remote, ageMs);
  if (now.worker === null || now.silentMs === null || now.leaseEndsInMs === null) return null;
  if (now.silentMs < SILENT_AFTER_MS) return SILENT_AFTER_MS - now.silentMs;
  return now.leaseEndsInMs > 0 ? SILENT_TICK_MS : null;
}

export interface RemoteJobLine {
  /** The badge's text in place of `running`, or null to keep it. */
  badge: string | null;
  /** "on worker gpu-a", "waiting for a GPU worker". */
  text: string;
  /** A worker that has not answered, and what happens next; null while it reports. */
  warning: string | null;
}

const secondsText = (ms: number) => `${Math.max(1, Math.round(ms / 1000))} s`;

export function remoteJobLine(remote: JobRemote | null): RemoteJobLine | null {
  if (!remote) return null;
  if (remote.worker === null) return { badge: 'waiting', text: 'waiting for a GPU worker', warning: null };
  const text = `on worker ${remote.worker}`;
  const silent = remote.silentMs ?? 0;
  if (silent < SILENT_AFTER_MS || remote.leaseEndsInMs === null) return { badge: null, text, warning: null };
  const ends = secondsText(remote.leaseEndsInMs);
  const warning = remote.stopAsked
    ? `the worker has not answered for ${secondsText(silent)}; the job ends when its lease runs out in ${ends}`
    : `the worker has not reported for ${secondsText(silent)}; the job is interrupted (resumable) if it stays silent ${ends} more`;
  return { badge: null, text, warning };
}
