// web/src/components/remote-job.ts — what the status line says of a train job run by a remote GPU worker (the
// `remote` field of GET /api/jobs/:id, src/schemas/api-jobs.ts): waiting for a worker (the badge says waiting,
// not running), which worker runs it, and a worker that has gone silent — after a cancel, how long until its
// lease runs out and the job ends. Pure; use-remote-job.ts reads the field.
import type { JobRemote } from '../../../src/schemas/api.js';

/** How often a running job's `remote` is read again. */
export const REMOTE_POLL_MS = 2000;
/** A worker silent longer than this is said to be (it reports about every second while it runs). */
export const SILENT_AFTER_MS = 5000;

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
