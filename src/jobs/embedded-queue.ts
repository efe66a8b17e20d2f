// src/jobs/embedded-queue.ts — the default JobQueue: jobs in the SQLite store, run in this process,
// `concurrency` at a time (1: one GPU job at a time). Events are stored, then pushed to subscribers.
import { EventEmitter } from 'node:events';
import { isToonloraError, ToonloraError } from '../errors.js';
import type { Job, JobEvent, JobEventBody, JobKind } from '../schemas/api.js';
import type { JobContext, JobQueue, JobRunners } from './job-queue.js';
import type { JobListFilter, JobStore } from './job-store.js';
import { interruptedMessage } from './job-state.js';

export interface EmbeddedQueueOptions {
  store: JobStore;
  runners: JobRunners;
  /** Jobs run at the same time; 1 by default (one GPU). */
  concurrency?: number;
  /** Where failures with non-product errors are logged (their text is not shown to API users); `what`
   * names the job: `job <id> (<kind>)`. */
  log?: (what: string, error: unknown) => void;
}

type StopReason = 'cancel' | 'shutdown';

export class EmbeddedJobQueue implements JobQueue {
  private readonly store: JobStore;
  private readonly runners: JobRunners;
  private readonly concurrency: number;
  private readonly log: (message: string, error: unknown) => void;
  private readonly events = new EventEmitter();
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private started = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(options: EmbeddedQueueOptions) {
    this.store = options.store;
    this.runners = options.runners;
    this.concurrency = options.concurrency ?? 1;
    this.log = options.log ?? (() => {});
    this.events.setMaxListeners(0);
  }

  submit(kind: JobKind, characterId: string, params: Record<string, unknown>): Job {
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
      active.controller.abort('cancel' satisfies StopReason);
      return job;
    }
    const cancelled = this.store.transition(jobId, 'cancelled', { message: 'cancelled by the user' });
    this.publishLast(jobId);
    return cancelled;
  }

  resume(jobId: string): Job {
    const job = this.store.getJob(jobId);
    const queued = this.store.transition(jobId, 'queued', {
      message: job.checkpoint
        ? `resuming from ${job.checkpoint}`
        : 'starting again (no checkpoint was written)',
    });
    this.publishLast(jobId);
    this.pump();
    return queued;
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
    for (const job of this.store.markRunningInterrupted()) this.publishLast(job.id);
    this.pump();
  }

  whenIdle(): Promise<void> {
    if (this.running.size === 0 && (!this.started || !this.store.nextQueued())) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const { controller } of this.running.values()) controller.abort('shutdown' satisfies StopReason);
    await Promise.all([...this.running.values()].map((entry) => entry.done));
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
    const controller = new AbortController();
    const job = this.store.transition(queued.id, 'running');
    this.publishLast(job.id);
    const done = this.runAttempt(job, controller).finally(() => {
      this.running.delete(job.id);
      this.pump();
    });
    this.running.set(job.id, { controller, done });
  }

  private async runAttempt(job: Job, controller: AbortController): Promise<void> {
    const runner = this.runners[job.kind];
    const context: JobContext = {
      job,
      signal: controller.signal,
      resume: job.kind === 'train' && job.attempts > 1 && job.checkpoint !== null,
      progress: (progress) => {
        this.store.setProgress(job.id, progress);
        this.record(job.id, { type: 'progress', progress });
      },
      emit: (body) => {
        if (body.type === 'checkpoint') this.store.setCheckpoint(job.id, body.path);
        this.record(job.id, body);
      },
    };
    try {
      if (!runner) throw new ToonloraError('TL_ERR_NOT_IMPLEMENTED', `${job.kind} jobs have no runner.`);
      const result = await runner(context);
      if (controller.signal.aborted) throw new Error('stopped');
      this.finish(job.id, 'succeeded', { result });
    } catch (error) {
      const reason = controller.signal.aborted ? (controller.signal.reason as StopReason) : undefined;
      if (reason === 'cancel') this.finish(job.id, 'cancelled', { message: 'cancelled by the user' });
      else if (reason === 'shutdown') {
        // the same error as a job a dead server left running (JobStore.markRunningInterrupted)
        this.finish(job.id, 'interrupted', {
          message: 'the server shut down',
          error: { code: 'TL_ERR_INTERRUPTED', message: interruptedMessage(job.kind, 'shut down') },
        });
      } else this.finish(job.id, 'failed', { error: this.describeFailure(job, error) });
    }
  }

  private describeFailure(job: Job, error: unknown): { code: string; message: string } {
    if (isToonloraError(error)) return { code: error.code, message: error.message };
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
