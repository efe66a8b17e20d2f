// src/jobs/queue-admission.ts — the queue's rules at its two edges (pure): whether it takes one more job (not
// while the server shuts down: 503; not past its limit of queued jobs: 429), and whether a runner that threw
// while a shutdown stopped it failed on its own.
import { isToonloraError, ToonloraError } from '../errors.js';

export interface AdmissionState {
  /** close() was called: the server is shutting down. */
  closing: boolean;
  /** How many jobs are queued now (read only when there is a limit to compare with). */
  queued: () => number;
  /** Jobs that may wait queued at once (Infinity: no limit). */
  maxQueued: number;
}

/**
 * Refuses one more job (a submit, or a resume, which queues it again) when the queue cannot take it: a job
 * accepted while the server shuts down would wait for a start that may never come, and a client that loops
 * would fill the database and the GPU's days ahead.
 * @throws ToonloraError TL_ERR_UNAVAILABLE (503) while closing; TL_ERR_QUEUE_FULL (429) naming the limit and
 * the queued count
 */
export function checkQueueAdmission(state: AdmissionState): void {
  if (state.closing) {
    throw new ToonloraError(
      'TL_ERR_UNAVAILABLE',
      'server is shutting down: it takes no new job. Submit it again once the server is started again.',
    );
  }
  if (!Number.isFinite(state.maxQueued)) return;
  const queued = state.queued();
  if (queued < state.maxQueued) return;
  throw new ToonloraError(
    'TL_ERR_QUEUE_FULL',
    `the job queue is full: ${queued} job${queued === 1 ? ' is' : 's are'} queued and the limit is ${state.maxQueued} ` +
      '(whoever runs the server sets it). Wait for queued jobs to start, or cancel one, then submit again.',
    { details: { queued, maxQueued: state.maxQueued } },
  );
}

/**
 * Whether a runner that threw while a shutdown stopped it failed on its own (its real end is `failed`) rather
 * than because it was stopped: a coded product error (a worker crash, a diverged run, a full disk), except the
 * worker error that only says it was stopped (`details.stopped`). A plain Error is how runners report the stop.
 */
export function isOwnFailure(error: unknown): boolean {
  return isToonloraError(error) && error.details.stopped !== true;
}
