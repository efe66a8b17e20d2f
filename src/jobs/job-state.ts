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

/** Throws TL_ERR_CONFLICT naming the job, both statuses and what is allowed instead. */
export function assertTransition(jobId: string, kind: JobKind, from: JobStatus, to: JobStatus): void {
  if (canTransition(kind, from, to)) return;
  const allowed = TRANSITIONS[from].filter((next) => canTransition(kind, from, next));
  throw new ToonloraError(
    'TL_ERR_CONFLICT',
    `job ${jobId}: cannot go from ${from} to ${to} (${kind} job; allowed: ${allowed.join(', ') || 'none'}).`,
    { details: { jobId, from, to } },
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
