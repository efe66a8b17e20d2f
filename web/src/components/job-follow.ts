// web/src/components/job-follow.ts — when to follow a job's event stream again (pure): the last event seen
// (the stream resumes after it), whether a final status arrived (then following stops), and the backoff
// between reconnects after the stream broke (a server restarted, a network drop); after a final status, whether
// to keep checking a stopped train job that may be resumed elsewhere (another tab, the API).
import { canTransition, isFinalStatus } from '../../../src/jobs/job-state.js';
import type { Job, JobEvent } from '../../../src/schemas/api.js';

export interface FollowState {
  /** The seq of the last event seen; 0 before the first. */
  lastSeq: number;
  /** Whether a final status (succeeded, failed, cancelled, interrupted) was the last status seen. */
  final: boolean;
  /** Reconnects since the last event arrived. */
  failures: number;
}

export const FOLLOW_START: FollowState = { lastSeq: 0, final: false, failures: 0 };

/** First reconnect after 0.5 s, doubling up to 15 s. */
export const RECONNECT_BASE_MS = 500;
export const RECONNECT_MAX_MS = 15_000;

/** `state` after `event` arrived; `fresh` is false for an event already seen (a replay to skip). */
export function followStateAfter(
  state: FollowState,
  event: JobEvent,
): { state: FollowState; fresh: boolean } {
  if (event.seq <= state.lastSeq) return { state, fresh: false };
  const final = event.body.type === 'status' ? isFinalStatus(event.body.status) : state.final;
  return { state: { lastSeq: event.seq, final, failures: 0 }, fresh: true };
}

/**
 * After the stream ended or broke: null once a final status arrived (the server ends the stream then; nothing
 * more will come until a user acts), else how long to wait before opening it again.
 */
export function reconnectDelayMs(state: FollowState): number | null {
  if (state.final) return null;
  return Math.min(RECONNECT_BASE_MS * 2 ** state.failures, RECONNECT_MAX_MS);
}

/** The stream's URL: from the start, or after the last event seen. */
export function streamUrl(jobId: string, state: FollowState): string {
  const base = `/api/jobs/${encodeURIComponent(jobId)}/stream`;
  return state.lastSeq > 0 ? `${base}?after=${state.lastSeq}` : base;
}

/** How often a page re-reads a stopped job that can still be resumed elsewhere (slow: nothing runs). */
export const RESUME_WATCH_MS = 5_000;

/**
 * What to do after re-reading a job whose stream ended on a final status. `follow`: it runs again, or ran
 * again since `seenAttempts` (resumed elsewhere): open the stream after the last event seen. `watch`: it is
 * stopped but resumable (an interrupted, cancelled or failed train job): read it again in RESUME_WATCH_MS.
 * `stop`: nothing will bring it back (succeeded, or a prep / generate job, which is never resumed).
 */
export function afterFinalCheck(
  job: Pick<Job, 'kind' | 'status' | 'attempts'>,
  seenAttempts: number | null,
): 'follow' | 'watch' | 'stop' {
  if (!isFinalStatus(job.status)) return 'follow';
  if (seenAttempts !== null && job.attempts !== seenAttempts) return 'follow';
  return canTransition(job.kind, job.status, 'queued') ? 'watch' : 'stop';
}
