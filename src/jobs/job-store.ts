// src/jobs/job-store.ts — queries for jobs and their ordered event log in the embedded SQLite store.
// Every status change goes through the state machine in job-state.ts and is logged as an event; each committed
// creation or status change is told to the change listeners (onChange), so the server follows the queue without
// polling it (the models in-use marker, a queued job's place in its event stream).
import { randomUUID } from 'node:crypto';
import { ToonloraError } from '../errors.js';
import type { Job, JobEvent, JobEventBody, JobKind, JobProgress, JobStatus } from '../schemas/api.js';
import type { SqliteDatabase } from './database.js';
import { assertTransition, interruptedMessage } from './job-state.js';

type Row = Record<string, unknown>;
const now = () => new Date().toISOString();
const parseJson = <T>(value: unknown): T | null =>
  value === null || value === undefined ? null : (JSON.parse(String(value)) as T);

/** When a job last entered `queued` (created or resumed): the rowid of that status event, as rowids grow in the
 * order events are written (exact where times tie within a millisecond). */
const QUEUE_ENTRY = `(SELECT MAX(e.rowid) FROM job_events e WHERE e.job_id = jobs.id
  AND json_extract(e.body, '$.type') = 'status' AND json_extract(e.body, '$.status') = 'queued')`;

export interface JobListFilter {
  characterId?: string;
  kind?: JobKind;
  status?: JobStatus;
}

export interface JobTransitionPatch {
  result?: Record<string, unknown> | null;
  error?: { code: string; message: string } | null;
  message?: string;
}

/** A committed change of the jobs: `job` as it is now, `from` its status before (null: it was just created). */
export interface JobChange {
  job: Job;
  from: JobStatus | null;
}

export type JobChangeListener = (change: JobChange) => void;

export interface JobStoreOptions {
  /** Where a change listener's throw is reported (it never reaches the store's caller); default console.error. */
  reportListenerError?: (error: unknown) => void;
}

export class JobStore {
  private readonly listeners = new Set<JobChangeListener>();
  private readonly reportListenerError: (error: unknown) => void;

  constructor(
    readonly db: SqliteDatabase,
    options: JobStoreOptions = {},
  ) {
    this.reportListenerError =
      options.reportListenerError ?? ((error) => console.error('a job change listener failed:', error));
  }

  /**
   * Calls `listener` synchronously after each committed job creation or status change (transition, a job marked
   * interrupted at start), in commit order; what it throws is reported, never thrown to the store's caller.
   * Returns the function that removes it. Progress, checkpoints and log events are not changes here.
   */
  onChange(listener: JobChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(change: JobChange): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch (error) {
        this.reportListenerError(error);
      }
    }
  }

  /** A new job in `queued`; `message` (e.g. what it waits for) goes with its first status event. */
  createJob(kind: JobKind, characterId: string, params: Record<string, unknown>, message?: string): Job {
    const id = randomUUID();
    const job = this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO jobs (id, kind, character_id, status, params, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(id, kind, characterId, 'queued', JSON.stringify(params), now());
      this.appendEvent(id, { type: 'status', status: 'queued', ...(message ? { message } : {}) });
      return this.getJob(id);
    })();
    this.notify({ job, from: null });
    return job;
  }

  getJob(id: string): Job {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as Row | undefined;
    if (!row) {
      throw new ToonloraError('TL_ERR_NOT_FOUND', `job ${id} not found. List them with GET /api/jobs.`, {
        details: { id },
      });
    }
    return toJob(row);
  }

  listJobs(filter: JobListFilter = {}): Job[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM jobs WHERE (@characterId IS NULL OR character_id = @characterId)
         AND (@kind IS NULL OR kind = @kind) AND (@status IS NULL OR status = @status)
         ORDER BY ${filter.status === 'queued' ? `${QUEUE_ENTRY} DESC, ` : ''}created_at DESC, rowid DESC`,
      )
      .all({
        characterId: filter.characterId ?? null,
        kind: filter.kind ?? null,
        status: filter.status ?? null,
      }) as Row[];
    return rows.map(toJob);
  }

  /** The job that entered `queued` first, or undefined: a resumed job waits behind the jobs queued before its
   * resume, however old it is. */
  nextQueued(): Job | undefined {
    const row = this.db
      .prepare(
        `SELECT * FROM jobs WHERE status = 'queued' ORDER BY ${QUEUE_ENTRY}, created_at, rowid LIMIT 1`,
      )
      .get() as Row | undefined;
    return row ? toJob(row) : undefined;
  }

  /** Moves a job to `to` (checked by the state machine), stamps times, logs a status event, in one transaction;
   * then tells the change listeners. */
  transition(id: string, to: JobStatus, patch: JobTransitionPatch = {}): Job {
    const before = this.getJob(id).status;
    const job = this.db.transaction(() => this.writeTransition(id, to, patch))();
    this.notify({ job, from: before });
    return job;
  }

  private writeTransition(id: string, to: JobStatus, patch: JobTransitionPatch): Job {
    const job = this.getJob(id);
    assertTransition(id, job.kind, job.status, to);
    const at = now();
    const started = to === 'running' ? at : to === 'queued' ? null : job.startedAt;
    const finished = to === 'running' || to === 'queued' ? null : at;
    this.db
      .prepare(
        `UPDATE jobs SET status = ?, started_at = ?, finished_at = ?, attempts = attempts + ?,
         result = COALESCE(?, result), error = ? WHERE id = ?`,
      )
      .run(
        to,
        started,
        finished,
        to === 'running' ? 1 : 0,
        patch.result ? JSON.stringify(patch.result) : null,
        patch.error ? JSON.stringify(patch.error) : null,
        id,
      );
    this.appendEvent(id, {
      type: 'status',
      status: to,
      ...(patch.message ? { message: patch.message } : {}),
    });
    return this.getJob(id);
  }

  /**
   * Gives attempt `attempt` of running job `jobId` to remote worker `worker` under `leaseId`, in one transaction:
   * false when that attempt is leased already (another worker won the race) or the job is no longer that running
   * attempt (cancelled, or resumed since).
   */
  claimLease(jobId: string, attempt: number, leaseId: string, worker: string): boolean {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT status, attempts FROM jobs WHERE id = ?').get(jobId) as
        | Row
        | undefined;
      if (row?.status !== 'running' || Number(row.attempts) !== attempt) return false;
      const insert = this.db
        .prepare(
          'INSERT OR IGNORE INTO job_leases (lease_id, job_id, attempt, worker, claimed_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(leaseId, jobId, attempt, worker, now());
      return insert.changes === 1;
    })();
  }

  setProgress(id: string, progress: JobProgress): void {
    this.db.prepare('UPDATE jobs SET progress = ? WHERE id = ?').run(JSON.stringify(progress), id);
  }

  setCheckpoint(id: string, path: string): void {
    this.db.prepare('UPDATE jobs SET checkpoint = ? WHERE id = ?').run(path, id);
  }

  setParams(id: string, params: Record<string, unknown>): void {
    this.db.prepare('UPDATE jobs SET params = ? WHERE id = ?').run(JSON.stringify(params), id);
  }

  appendEvent(jobId: string, body: JobEventBody): JobEvent {
    const at = now();
    const seq = this.db.transaction(() => {
      const last = this.db
        .prepare('SELECT MAX(seq) AS seq FROM job_events WHERE job_id = ?')
        .get(jobId) as Row;
      const next = Number(last.seq ?? 0) + 1;
      this.db
        .prepare('INSERT INTO job_events (job_id, seq, at, body) VALUES (?, ?, ?, ?)')
        .run(jobId, next, at, JSON.stringify(body));
      return next;
    })();
    return { seq, jobId, at, body };
  }

  lastEvent(jobId: string): JobEvent | undefined {
    const row = this.db
      .prepare('SELECT * FROM job_events WHERE job_id = ? ORDER BY seq DESC LIMIT 1')
      .get(jobId) as Row | undefined;
    return row ? toEvent(row) : undefined;
  }

  listEvents(jobId: string, afterSeq = 0): JobEvent[] {
    const rows = this.db
      .prepare('SELECT * FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq')
      .all(jobId, afterSeq) as Row[];
    return rows.map(toEvent);
  }

  /**
   * On start: every job still marked running belonged to a process that died; mark it interrupted
   * (a train job can then be resumed from its checkpoint; others are started again). Returns the jobs it marked.
   */
  markRunningInterrupted(): Job[] {
    const running = this.listJobs({ status: 'running' });
    return running.map((job) =>
      this.transition(job.id, 'interrupted', {
        message: 'the server stopped while this job ran',
        error: { code: 'TL_ERR_INTERRUPTED', message: interruptedMessage(job.kind, 'stopped') },
      }),
    );
  }
}

function toEvent(row: Row): JobEvent {
  return {
    seq: Number(row.seq),
    jobId: String(row.job_id),
    at: String(row.at),
    body: JSON.parse(String(row.body)) as JobEventBody,
  };
}

function toJob(row: Row): Job {
  return {
    id: String(row.id),
    kind: row.kind as JobKind,
    characterId: String(row.character_id),
    status: row.status as JobStatus,
    params: parseJson<Record<string, unknown>>(row.params) ?? {},
    progress: parseJson<JobProgress>(row.progress),
    result: parseJson<Record<string, unknown>>(row.result),
    error: parseJson<{ code: string; message: string }>(row.error),
    checkpoint: row.checkpoint === null ? null : String(row.checkpoint),
    attempts: Number(row.attempts),
    createdAt: String(row.created_at),
    startedAt: row.started_at === null ? null : String(row.started_at),
    finishedAt: row.finished_at === null ? null : String(row.finished_at),
  };
}
