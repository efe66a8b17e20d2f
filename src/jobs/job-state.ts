// src/jobs/job-state.ts — the job state machine (pure): which status may follow which, and which
// statuses are final. queued -> running -> succeeded | failed | cancelled | interrupted; a stopped
// train job may go back to queued to resume from its last checkpoint.
import { ToonloraError } from '../errors.js';
import type { JobKind, JobStatus } from '../schemas/api.js';

const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  queued: ['running', 'cancelled'],
  running: ['succeeded', 'failed', 'cancelled', 'interrupted'],
  succeeded: [],
  failed: ['queued'],
  cancelled: ['queued'],
  interrupted: ['queued', 'cancelled'],
};

/** Statuses after which nothing runs until a user acts. */
export const FINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled', 'interrupted'];

export function isFinalStatus(status: JobStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

/** Whether `from -> to` is allowed for a job of `kind` (only train jobs are resumed). */
export function canTransition(kind: JobKind, from: JobStatus, to: JobStatus): boolean {
  if (to === 'queued' && kind !== 'train') return false;
  return TRANSITIONS[from].includes(to);
}

/** What a move to each status is, as the refusal names it (`cannot be resumed`). */
const MOVE_WORDS: Readonly<Record<JobStatus, string>> = {
  queued: 'resumed',
  running: 'started',
  cancelled: 'cancelled',
  succeeded: 'marked succeeded',
  failed: 'marked failed',
  interrupted: 'marked interrupted',
};

/** `a`, `a or b`, `a, b or c`. */
function orList(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** Why `from -> to` is refused: only train jobs resume, the job has ended, it has not stopped yet, or the statuses
 * it can still reach (what the queue moves it to, not moves for the user). */
function refusalReason(kind: JobKind, from: JobStatus, to: JobStatus): string {
  if (to === 'queued' && kind !== 'train') return 'only train jobs are resumed; start it again as a new job';
  const reachable = TRANSITIONS[from].filter((next) => canTransition(kind, from, next));
  if (reachable.length === 0) return `a ${from} job does not change any more`;
  if (to === 'queued' && from === 'queued') return 'it waits in the queue already';
  if (to === 'queued') return 'it runs now; only a stopped job is resumed';
  return `from ${from} it can next become only ${orList(reachable)}`;
}

/**
 * Throws TL_ERR_CONFLICT naming the job, its status, the refused move in words (`cannot be resumed`) and why; the
 * statuses it can still reach are said as where it ends up, not as moves the user may ask for.
 */
export function assertTransition(jobId: string, kind: JobKind, from: JobStatus, to: JobStatus): void {
  if (canTransition(kind, from, to)) return;
  throw new ToonloraError(
    'TL_ERR_CONFLICT',
    `${kind} job ${jobId} is ${from}; it cannot be ${MOVE_WORDS[to]} (${refusalReason(kind, from, to)}).`,
    { details: { jobId, from, to } },
  );
}

/** The 409 for a cancel of a job that has ended (succeeded, failed): nothing runs to stop. */
export function nothingToCancel(job: { id: string; kind: JobKind; status: JobStatus }): ToonloraError {
  return new ToonloraError(
    'TL_ERR_CONFLICT',
    `${job.kind} job ${job.id} already ${job.status}; nothing to cancel.`,
    { details: { jobId: job.id, from: job.status, to: 'cancelled' } },
  );
}

/** `01:02:03 UTC`: the time of day a cancel was asked, as a refusal names it. */
function clockTime(at: Date): string {
  return `${at.toISOString().slice(11, 19)} UTC`;
}

/**
 * The 409 for a delete or resume of a job whose cancel was asked and that is still stopping (a train job ends its
 * step and checkpoints first; a remote one waits for its worker): the user did cancel it, so the words say to wait.
 */
export function stillStopping(
  job: { id: string; kind: JobKind },
  cancelAskedAt: Date,
  action: 'delete' | 'resume',
): ToonloraError {
  return new ToonloraError(
    'TL_ERR_CONFLICT',
    `${job.kind} job ${job.id} is stopping (cancel asked at ${clockTime(cancelAskedAt)}); ` +
      `${action} it once it shows cancelled.`,
    { details: { id: job.id, status: 'running', cancelAskedAt: cancelAskedAt.toISOString() } },
  );
}

/**
 * The error of a job the server stopped under (`how`: it `shut down`, or `stopped` and found it on start),
 * with what the user can do: a train job resumes (POST /api/jobs/<id>/resume: from its last checkpoint, or
 * from step 1 without one); a prep or generate job is not resumed, it is submitted again.
 */
export function interruptedMessage(kind: JobKind, how: 'shut down' | 'stopped'): string {
  const next = canTransition(kind, 'interrupted', 'queued')
    ? 'resume it (from its last checkpoint, or from the start if none was written)'
    : 'start it again as a new job (only train jobs resume)';
  return `the server ${how} while this job ran; ${next}`;
}
