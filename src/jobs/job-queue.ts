// src/jobs/job-queue.ts — the job queue contract the server codes against (so a networked queue can
// replace the embedded one) and what a job runner receives. No implementation here.
import type { Job, JobEvent, JobEventBody, JobKind, JobProgress } from '../schemas/api.js';
import type { JobListFilter } from './job-store.js';

/** Why a running job's `signal` was aborted (its `reason`): the user cancelled it, or the server shuts down. */
export type StopReason = 'cancel' | 'shutdown';

/** What a runner gets for one attempt of one job. */
export interface JobContext {
  readonly job: Job;
  /**
   * Aborted when the user cancels or the server shuts down, with a StopReason as its `reason`; runners stop and
   * save what they can. A runner that has finished its work when the shutdown reaches it returns its result (the
   * job succeeded); after a cancel, the job is cancelled whatever the runner returns.
   */
  readonly signal: AbortSignal;
  /**
   * Aborted when a shutdown cannot wait any longer (the job did not stop within the grace time, or a second
   * Ctrl-C): runners end their worker at once (what it saved stays, the steps since are lost).
   */
  readonly kill: AbortSignal;
  /**
   * Aborted when the server shuts down, also when `signal` was aborted before by a cancel (its reason stays
   * 'cancel'): a runner waiting on another machine to stop (a remote worker) stops waiting. Optional: the queue
   * gives it; a runner without it waits as for a cancel.
   */
  readonly shutdown?: AbortSignal;
  /** True when this attempt continues a stopped train job from `job.checkpoint`. */
  readonly resume: boolean;
  progress(progress: JobProgress): void;
  /** Records a sample / log event in the job's log (status events belong to the queue). */
  emit(body: Exclude<JobEventBody, { type: 'status' | 'progress' }>): void;
}

/**
 * What a runner throws when its job was interrupted by something other than this server's shutdown (a remote
 * worker stopped renewing its lease): the job ends `interrupted` with this message, resumable as after a restart.
 */
export class JobInterruptedError extends Error {
  override readonly name = 'JobInterruptedError';
}

/** Runs one kind of job; resolves with the job's result (JSON) or throws (a ToonloraError when it can). */
export type JobRunner = (context: JobContext) => Promise<Record<string, unknown>>;
export type JobRunners = Partial<Record<JobKind, JobRunner>>;

export interface JobQueue {
  /** How long close() waits for running jobs to stop on their own before it kills them. */
  readonly shutdownGraceMs: number;
  /** Adds a job in `queued`; it starts when a slot is free.
   * @throws ToonloraError TL_ERR_UNAVAILABLE once close() was called (the server is shutting down), and
   * TL_ERR_QUEUE_FULL when the queue already holds its limit of queued jobs */
  submit(kind: JobKind, characterId: string, params: Record<string, unknown>): Job;
  /** Cancels a queued job at once, or aborts a running one (it turns `cancelled` when its runner stops); a job
   * cancelled already is given as it is.
   * @throws ToonloraError TL_ERR_CONFLICT for a job that ended otherwise (succeeded, failed): nothing to cancel */
  cancel(jobId: string): Job;
  /** When the user's cancel of running job `jobId` was asked, while it is still stopping; undefined otherwise. */
  cancelAskedAt(jobId: string): Date | undefined;
  /** Puts a stopped train job back in the queue; it continues from its last checkpoint.
   * @throws ToonloraError TL_ERR_UNAVAILABLE once close() was called, TL_ERR_QUEUE_FULL as submit, TL_ERR_CONFLICT
   *   while a cancel of it is still stopping it */
  resume(jobId: string): Job;
  /** One job. @throws ToonloraError TL_ERR_NOT_FOUND naming the id. */
  getJob(jobId: string): Job;
  /** Jobs matching `filter` (character, kind, status), newest first; with status `queued`, the last to join
   * the queue first (a resumed job joins at its resume). */
  listJobs(filter?: JobListFilter): Job[];
  /** The stored events of `jobId` with seq > `afterSeq`, in order. */
  listEvents(jobId: string, afterSeq?: number): JobEvent[];
  /** Calls `listener` with every event of `jobId` from now on; returns the unsubscribe function. */
  subscribe(jobId: string, listener: (event: JobEvent) => void): () => void;
  /** Marks jobs left `running` by a dead process as interrupted, then starts taking jobs. */
  start(): void;
  /** Resolves when nothing is queued or running (tests, shutdown). */
  whenIdle(): Promise<void>;
  /**
   * Stops taking jobs (submit and resume are refused from now on; jobs already queued stay queued for the next
   * start) and asks the running
   * ones to stop; they end `interrupted` with what they saved (a train job's checkpoint), unless a runner finishes
   * (`succeeded`, with its result) or fails with a coded error of its own (`failed`) meanwhile. A job that has not
   * stopped after `graceMs` (or at once when `force` aborts) is killed, and marked interrupted after a short
   * wait even if its runner never returns. Resolves, with the jobs it interrupted, once every one of them is
   * recorded; events that arrive after that are dropped (the store may be closed). Calls after the first
   * return the first call's promise.
   */
  close(options?: QueueCloseOptions): Promise<Job[]>;
}

export interface QueueCloseOptions {
  /** How long running jobs get to stop on their own (a train job ends its step and saves a checkpoint). */
  graceMs?: number;
  /** Aborting it stops waiting: the running jobs are killed now (a second Ctrl-C). */
  force?: AbortSignal;
  /** Called when the running jobs are killed (the grace time is over, or `force`), e.g. to end worker processes a
   * runner does not end itself. */
  onKill?: () => void;
}
