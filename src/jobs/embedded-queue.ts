// src/jobs/embedded-queue.ts — the default JobQueue: jobs in the SQLite store, run in this process,
// `concurrency` at a time (1: one GPU job at a time). Events are stored, then pushed to subscribers.
// Closing is bounded: running jobs get a grace time to stop (a train job checkpoints), then are killed,
// and every one is recorded before close resolves (`interrupted`, or its real end when it finished or failed on
// its own meanwhile); later events are dropped.
import { EventEmitter } from 'node:events';
import { isToonloraError, ToonloraError } from '../errors.js';
import type { Job, JobEvent, JobEventBody, JobKind } from '../schemas/api.js';
import { STOP_GRACE_MS } from '../worker/python-worker.js';
import {
  type JobContext,
  JobInterruptedError,
  type JobQueue,
  type JobRunners,
  type QueueCloseOptions,
  type StopReason,
} from './job-queue.js';
import type { JobListFilter, JobStore } from './job-store.js';
import { webMessage } from './job-error-hints.js';
import { canTransition, interruptedMessage, nothingToCancel, stillStopping } from './job-state.js';
import { checkQueueAdmission, isOwnFailure } from './queue-admission.js';

export interface EmbeddedQueueOptions {
  store: JobStore;
  runners: JobRunners;
  /** Jobs run at the same time; 1 by default (one GPU). */
  concurrency?: number;
  /** Where failures with non-product errors are logged (their text is not shown to API users); `what`
   * names the job: `job <id> (<kind>)`. */
  log?: (what: string, error: unknown) => void;
  /** How long close() waits for running jobs to stop on their own (default SHUTDOWN_GRACE_MS). */
  shutdownGraceMs?: number;
  /** Jobs that may wait in `queued` at once; one more is refused (TL_ERR_QUEUE_FULL). Default: no limit. */
  maxQueued?: number;
  /** Called by start() with the jobs a dead process left running, once they are marked interrupted (the
   * server removes the temporary copies they left); what it throws is logged. */
  onStartInterrupted?: (jobs: readonly Job[]) => void;
}

/**
 * How long a shutdown waits for running jobs to stop on their own: a train job ends its step and writes its
 * checkpoint (adapter and optimizer state) first, which on a real base model and a slow disk takes tens of
 * seconds. The Python worker's own grace after SIGTERM (STOP_GRACE_MS, WorkerProcess.terminate), so the queue
 * waits as long as the worker is given.
 */
export const SHUTDOWN_GRACE_MS = STOP_GRACE_MS;

/** After a kill, how long a shutdown waits for a runner to return before it records the job without it. */
export const KILL_WAIT_MS = 3_000;

/** A job this process runs. */
interface RunningJob {
  readonly job: Job;
  readonly controller: AbortController;
  /** Aborted when a shutdown stops the job at once. */
  readonly kill: AbortController;
  /** Aborted when a shutdown starts (JobContext.shutdown), after a cancel too. */
  readonly shutdown: AbortController;
  done: Promise<void>;
  /** Why a shutdown killed it: it outlived the grace time, or the caller forced the close. */
  killedFor?: 'grace' | 'force';
  /** The grace time it outlived. */
  graceMs?: number;
  /** Recorded by the shutdown without its runner (which never returned): what the runner does next is dropped. */
  detached: boolean;
  /** When the user's cancel was asked (the first one): the job is stopping until its runner returns. In memory
   * only: a server that stops meanwhile records the job interrupted, and nothing is left stopping. */
  cancelAskedAt?: Date;
}

/** `60 s`, or `250 ms` under a second. */
function duration(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}

/** Whether `promise` settles within `ms`; false as soon as `cancel` aborts. */
function settlesWithin(promise: Promise<unknown>, ms: number, cancel?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const end = (settled: boolean) => {
      clearTimeout(timer);
      cancel?.removeEventListener('abort', onCancel);
      resolve(settled);
    };
    const onCancel = () => end(false);
    const timer = setTimeout(() => end(false), ms);
    if (cancel?.aborted) onCancel();
    cancel?.addEventListener('abort', onCancel, { once: true });
    promise.then(
      () => end(true),
      () => end(true),
    );
  });
}

export class EmbeddedJobQueue implements JobQueue {
  private readonly store: JobStore;
  private readonly runners: JobRunners;
  private readonly concurrency: number;
  private readonly log: (message: string, error: unknown) => void;
  private readonly events = new EventEmitter();
  private readonly running = new Map<string, RunningJob>();
  readonly shutdownGraceMs: number;
  private readonly maxQueued: number;
  private readonly onStartInterrupted: (jobs: readonly Job[]) => void;
  private started = false;
  /** close() was called: no job starts any more. */
  private closed = false;
  /** close() has recorded every job it stopped: events from now on are dropped (the store may be closed). */
  private detached = false;
  private closing: Promise<Job[]> | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(options: EmbeddedQueueOptions) {
    this.store = options.store;
    this.runners = options.runners;
    this.concurrency = options.concurrency ?? 1;
    this.log = options.log ?? (() => {});
    this.shutdownGraceMs = options.shutdownGraceMs ?? SHUTDOWN_GRACE_MS;
    this.maxQueued = options.maxQueued ?? Number.POSITIVE_INFINITY;
    this.onStartInterrupted = options.onStartInterrupted ?? (() => {});
    this.events.setMaxListeners(0);
  }

  submit(kind: JobKind, characterId: string, params: Record<string, unknown>): Job {
    this.checkAdmission();
    if (!this.runners[kind]) {
      throw new ToonloraError(
        'TL_ERR_NOT_IMPLEMENTED',
        `${kind} jobs are not available on this server (no runner).`,
      );
    }
    const job = this.store.createJob(kind, characterId, params, this.waitingMessage());
    this.publish(this.store.listEvents(job.id));
    this.pump();
    return job;
  }

  /**
   * @param queues whether the job would join the queue (false: only the shutdown is checked)
   * @throws ToonloraError TL_ERR_UNAVAILABLE once close() was called, TL_ERR_QUEUE_FULL at maxQueued
   */
  private checkAdmission(queues = true): void {
    checkQueueAdmission({
      closing: this.closed,
      queued: () => this.store.listJobs({ status: 'queued' }).length,
      maxQueued: queues ? this.maxQueued : Number.POSITIVE_INFINITY,
    });
  }

  /** What a job submitted now waits for, when it cannot start at once; undefined when a slot is free. */
  private waitingMessage(): string | undefined {
    if (!this.started || this.running.size < this.concurrency) return undefined;
    const running = [...this.running.keys()].map((id) => this.store.getJob(id).kind);
    const queued = this.store.listJobs({ status: 'queued' }).length;
    return (
      `waiting for the running ${running.join(' and ')} job${running.length === 1 ? '' : 's'}` +
      (queued > 0 ? ` and ${queued} queued before it` : '') +
      ` (${this.concurrency === 1 ? 'one job runs' : `${this.concurrency} jobs run`} at a time)`
    );
  }

  cancel(jobId: string): Job {
    const job = this.store.getJob(jobId);
    const active = this.running.get(jobId);
    if (active) {
      // a second cancel (a double click, another tab) keeps the first one's time; one after a shutdown's stop is
      // no cancel (the job ends interrupted)
      if (!active.controller.signal.aborted) active.cancelAskedAt = new Date();
      active.controller.abort('cancel' satisfies StopReason);
      return job;
    }
    if (job.status === 'cancelled') return job; // cancelled already (two cancels at once): the same answer
    if (!canTransition(job.kind, job.status, 'cancelled')) throw nothingToCancel(job);
    const cancelled = this.store.transition(jobId, 'cancelled', { message: 'cancelled by the user' });
    this.publishLast(jobId);
    return cancelled;
  }

  resume(jobId: string): Job {
    const job = this.store.getJob(jobId);
    // a closing server says so first: a job being cancelled that the shutdown stopped ends interrupted, never
    // cancelled, so "resume it once it shows cancelled" would wait for nothing
    this.checkAdmission(false);
    const askedAt = this.cancelAskedAt(jobId);
    if (askedAt) throw stillStopping(job, askedAt, 'resume');
    // a job that cannot be resumed gets the store's 409 naming why, not a full queue's 429
    this.checkAdmission(canTransition(job.kind, job.status, 'queued'));
    // it joins the end of the queue (nextQueued orders by the time a job entered `queued`)
    const waiting = this.waitingMessage();
    const how = job.checkpoint
      ? `resuming from ${job.checkpoint}`
      : 'starting again (no checkpoint was written)';
    const queued = this.store.transition(jobId, 'queued', {
      message: waiting ? `${how}; ${waiting}` : how,
    });
    this.publishLast(jobId);
    this.pump();
    return queued;
  }

  cancelAskedAt(jobId: string): Date | undefined {
    return this.running.get(jobId)?.cancelAskedAt;
  }

  getJob(jobId: string): Job {
    return this.store.getJob(jobId);
  }

  listJobs(filter: JobListFilter = {}): Job[] {
    return this.store.listJobs(filter);
  }

  listEvents(jobId: string, afterSeq = 0): JobEvent[] {
    return this.store.listEvents(jobId, afterSeq);
  }

  subscribe(jobId: string, listener: (event: JobEvent) => void): () => void {
    this.events.on(jobId, listener);
    return () => this.events.off(jobId, listener);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const interrupted = this.store.markRunningInterrupted();
    for (const job of interrupted) this.publishLast(job.id);
    if (interrupted.length > 0) {
      try {
        this.onStartInterrupted(interrupted);
      } catch (error) {
        this.log('start: removing what the interrupted jobs left', error);
      }
    }
    this.pump();
  }

  whenIdle(): Promise<void> {
    if (this.running.size === 0 && (!this.started || !this.store.nextQueued())) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(options: QueueCloseOptions = {}): Promise<Job[]> {
    this.closing ??= this.shutdown(options);
    return this.closing;
  }

  private async shutdown(options: QueueCloseOptions): Promise<Job[]> {
    this.closed = true;
    const graceMs = options.graceMs ?? this.shutdownGraceMs;
    const stopping = [...this.running.values()];
    for (const entry of stopping) {
      entry.controller.abort('shutdown' satisfies StopReason);
      entry.shutdown.abort();
    }
    const all = Promise.all(stopping.map((entry) => entry.done));
    if (stopping.length > 0 && !(await settlesWithin(all, graceMs, options.force))) {
      const why = options.force?.aborted ? 'force' : 'grace';
      for (const entry of this.running.values()) {
        entry.killedFor = why;
        entry.graceMs = graceMs;
        entry.kill.abort();
      }
      try {
        options.onKill?.();
      } catch (error) {
        this.log('shutdown: ending the workers', error);
      }
      if (!(await settlesWithin(all, KILL_WAIT_MS))) {
        // a runner that does not return even killed: record its job with what is known (its checkpoint)
        for (const entry of this.running.values()) {
          this.finishInterrupted(entry);
          entry.detached = true;
        }
      }
    }
    this.detached = true;
    return stopping.map((entry) => this.store.getJob(entry.job.id));
  }

  private pump(): void {
    while (this.started && !this.closed && this.running.size < this.concurrency) {
      const next = this.store.nextQueued();
      if (!next) break;
      this.launch(next);
    }
    if (this.running.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private launch(queued: Job): void {
    const job = this.store.transition(queued.id, 'running');
    this.publishLast(job.id);
    const entry: RunningJob = {
      job,
      controller: new AbortController(),
      kill: new AbortController(),
      shutdown: new AbortController(),
      done: Promise.resolve(),
      detached: false,
    };
    this.running.set(job.id, entry);
    entry.done = this.runAttempt(entry)
      .catch((error: unknown) => this.log(`job ${job.id} (${job.kind}): its end was not recorded`, error))
      .finally(() => {
        this.running.delete(job.id);
        this.pump();
      });
  }

  /** Runs `write` (a store update) unless the job is no longer followed; a failure is logged, never thrown
   * into the runner's event callback (a worker's stdout handler, where it would be uncaught). */
  private recordFor(entry: RunningJob, write: () => void): void {
    if (this.detached || entry.detached) return;
    try {
      write();
    } catch (error) {
      this.log(`job ${entry.job.id} (${entry.job.kind}): an event was not recorded`, error);
    }
  }

  private async runAttempt(entry: RunningJob): Promise<void> {
    const { job, controller } = entry;
    const runner = this.runners[job.kind];
    const context: JobContext = {
      job,
      signal: controller.signal,
      kill: entry.kill.signal,
      shutdown: entry.shutdown.signal,
      resume: job.kind === 'train' && job.attempts > 1 && job.checkpoint !== null,
      progress: (progress) =>
        this.recordFor(entry, () => {
          this.store.setProgress(job.id, progress);
          this.record(job.id, { type: 'progress', progress });
        }),
      emit: (body) =>
        this.recordFor(entry, () => {
          if (body.type === 'checkpoint') this.store.setCheckpoint(job.id, body.path);
          this.record(job.id, body);
        }),
    };
    const stopReason = () =>
      controller.signal.aborted ? (controller.signal.reason as StopReason) : undefined;
    try {
      if (!runner) throw new ToonloraError('TL_ERR_NOT_IMPLEMENTED', `${job.kind} jobs have no runner.`);
      const result = await runner(context);
      // A runner that returns has finished its work: one that completed within a shutdown's grace time (its
      // LoRA written, its artifacts recorded) succeeded. A user's cancel still wins.
      if (stopReason() === 'cancel') throw new Error('stopped');
      if (!entry.detached) this.finish(job.id, 'succeeded', { result });
    } catch (error) {
      if (entry.detached) return; // the shutdown recorded it already
      const reason = stopReason();
      // a cancel the shutdown did not let end (a remote worker still asked to stop): interrupted, as the runner says
      const cancelCutShort = entry.shutdown.signal.aborted && error instanceof JobInterruptedError;
      if (reason === 'cancel' && !cancelCutShort)
        this.finish(job.id, 'cancelled', { message: 'cancelled by the user' });
      else if (reason === 'shutdown' && (entry.killedFor || !isOwnFailure(error)))
        this.finishInterrupted(entry);
      else if (error instanceof JobInterruptedError)
        this.finish(job.id, 'interrupted', {
          error: { code: 'TL_ERR_INTERRUPTED', message: error.message },
        });
      else this.finish(job.id, 'failed', { error: this.describeFailure(job, error) });
    }
  }

  /** Records a job the shutdown stopped: the same error as a job a dead server left running
   * (JobStore.markRunningInterrupted); its checkpoint is the last one its runner reported. */
  private finishInterrupted(entry: RunningJob): void {
    const { kind } = entry.job;
    const lost = kind === 'train' ? '; the steps after its last checkpoint are lost' : '';
    const message =
      entry.killedFor === 'grace'
        ? `the server shut down; the job did not stop within ${duration(entry.graceMs ?? this.shutdownGraceMs)}, so it was killed${lost}`
        : entry.killedFor === 'force'
          ? `the server shut down at once, without waiting for the job to stop${lost}`
          : 'the server shut down';
    this.finish(entry.job.id, 'interrupted', {
      message,
      error: { code: 'TL_ERR_INTERRUPTED', message: interruptedMessage(kind, 'shut down') },
    });
  }

  private describeFailure(job: Job, error: unknown): { code: string; message: string } {
    if (isToonloraError(error)) return { code: error.code, message: webMessage(error) };
    this.log(`job ${job.id} (${job.kind})`, error);
    return {
      code: 'TL_ERR_INTERNAL',
      message: `${job.kind} job failed with an internal error; see the server log.`,
    };
  }

  private finish(
    jobId: string,
    to: 'succeeded' | 'failed' | 'cancelled' | 'interrupted',
    patch: { result?: Record<string, unknown>; error?: { code: string; message: string }; message?: string },
  ): void {
    this.store.transition(jobId, to, { ...patch, message: patch.message ?? patch.error?.message });
    this.publishLast(jobId);
  }

  private record(jobId: string, body: JobEventBody): void {
    this.publish([this.store.appendEvent(jobId, body)]);
  }

  private publishLast(jobId: string): void {
    const last = this.store.lastEvent(jobId);
    if (last) this.publish([last]);
  }

  private publish(events: readonly JobEvent[]): void {
    for (const event of events) this.events.emit(event.jobId, event);
  }
}
