// web/src/components/job-follow.ts — when to follow a job's event stream again (pure): the last event seen
// (the stream resumes after it), whether a final status arrived (then following stops), and the backoff
// between reconnects after the stream broke (a server restarted, a network drop); after a final status, whether
// to keep checking a stopped train job that may be resumed elsewhere (another tab, the API); and each message
// read through the event schema, so one the page cannot read is reported instead of trusted.
import { canTransition, isFinalStatus } from '../../../src/jobs/job-state.js';
import { type Job, type JobEvent, jobEventSchema } from '../../../src/schemas/api.js';

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

/** One message of a job's stream as EventSource delivers it: event name, data line and id (the seq). */
export interface StreamMessage {
  type: string;
  data: string;
  lastEventId: string;
}

/** A stream message read: the job event, or why it is not one (with its seq when the message's id gives one). */
export type StreamMessageRead =
  | { ok: true; event: JobEvent }
  | { ok: false; seq: number | null; problem: string };

/**
 * Parses one stream message with jobEventSchema. A message that is not JSON or not an event the schema
 * knows (a server of another version, a proxy's page) is not an error thrown in the listener: it comes back
 * with a sentence for the user naming the event, the fields at fault and what to do.
 */
export function readStreamMessage(message: StreamMessage): StreamMessageRead {
  const id = Number(message.lastEventId);
  const seq = message.lastEventId !== '' && Number.isInteger(id) && id > 0 ? id : null;
  const unreadable = (why: string): StreamMessageRead => ({
    ok: false,
    seq,
    problem: `The server sent a "${message.type}" event${seq === null ? '' : ` (#${seq})`} this page cannot read (${why}); it is not shown. Reload the page; if this stays, the server and the web app are from different versions.`,
  });
  let json: unknown;
  try {
    json = JSON.parse(message.data);
  } catch {
    return unreadable('its data is not JSON');
  }
  const parsed = jobEventSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'the event'}: ${issue.message}`,
    );
    return unreadable(issues.join('; '));
  }
  return { ok: true, event: parsed.data };
}

/**
 * `state` after a message that could not be read; `fresh` is false when its seq was seen already (a replay
 * after a reconnect: reported once). With a seq, the stream resumes after it, so it is not fetched again.
 */
export function followStateAfterUnreadable(
  state: FollowState,
  seq: number | null,
): { state: FollowState; fresh: boolean } {
  if (seq === null) return { state, fresh: true };
  if (seq <= state.lastSeq) return { state, fresh: false };
  return { state: { ...state, lastSeq: seq, failures: 0 }, fresh: true };
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
