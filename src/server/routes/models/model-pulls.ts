// src/server/routes/models/model-pulls.ts — the model pulls the web app starts in the server process (a registry
// model, or any Hub repo `owner/name` as an SD1.5 base: pull-target.ts): one at a
// time per model (asking again gets the running one), progress kept as one snapshot per model and pushed to
// listeners (the pull's event stream), cancel, and a shutdown that stops every pull with its `.part` kept.
//
// Why not the job queue: the queue runs one GPU job at a time, so a 4 GB download would wait hours behind a
// training run (or hold one up) although it needs no GPU; jobs belong to a character and are stored and
// resumed from checkpoints, while a pull belongs to no character and resumes from its own `.part` files; and
// src/models/pull.ts already keeps two pulls of one model apart across processes with its lock. A small
// registry here keeps pulls out of the Jobs list and lets them run beside training.
import { existsSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ToonloraError } from '../../../errors.js';
import type { CacheOptions } from '../../../models/cache.js';
import { formatBytes } from '../../../format-bytes.js';
import { checkRevision } from '../../../models/hub-revision.js';
import { type PullOptions, type PullResult, pullModel } from '../../../models/pull.js';
import { getModelEntry, modelSizeBytes } from '../../../models/registry.js';
import type { ModelPull } from '../../../schemas/models-api.js';
import { pullErrorOf, type RateSample, rateOf, samplesAfter, stoppedText } from './pull-state.js';
import { pullTargetOf } from './pull-target.js';

/** What tests (and only they) replace in a pull: the fetch, free space, retries and timeouts. */
export type PullOverrides = Pick<
  PullOptions,
  'fetchImpl' | 'freeBytes' | 'retries' | 'retryDelayMs' | 'idleTimeoutMs'
>;

export interface ModelPullsOptions {
  /** Where models are looked for and pulled to (env, home folder): the app's `modelCache`. */
  cache?: CacheOptions;
  overrides?: PullOverrides;
  /** Told about a pull that failed with an error of no known kind (the page only says "see the server log"). */
  logInternal?: (what: string, error: unknown) => void;
  /** Progress snapshots are pushed to listeners at most this often per model (status changes at once). */
  publishEveryMs?: number;
  /** The pull itself (tests); default src/models/pull.ts. */
  pull?: (id: string, options: PullOptions) => Promise<PullResult>;
}

/** Why a pull's signal was aborted. */
type StopReason = 'cancel' | 'shutdown';

interface RunningPull {
  controller: AbortController;
  done: Promise<void>;
  samples: RateSample[];
  publishedAtMs: number;
  /** Publishes a progress snapshot held back by the throttle, so a stalled download still shows its last bytes. */
  trailing?: ReturnType<typeof setTimeout>;
  /** What the pull said of its cached copy (main moved, or used unchecked): kept as its message to the end. */
  notice?: string;
}

/**
 * Refuses a revision the pull cannot take, before it starts: one of a registry model (pulled at the revision the
 * registry pins), or text that cannot be a branch, tag or sha (hub-revision.ts checkRevision).
 * @throws ToonloraError TL_ERR_USAGE (400)
 */
function checkPullRevision(target: { id: string; origin: 'registry' | 'hub' }, revision: string): void {
  if (target.origin === 'registry')
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `${target.id}: a revision is for a Hub repo outside the registry; ${target.id} is pulled at the revision the registry pins. Pull it without one.`,
      { details: { model: target.id, revision } },
    );
  checkRevision(target.id, revision, 'api');
}

/** How long DELETE waits for a cancelled pull to let go of its file before it answers `stopping`. */
export const CANCEL_WAIT_MS = 10_000;

export class ModelPulls {
  private readonly latest = new Map<string, ModelPull>();
  private readonly running = new Map<string, RunningPull>();
  private readonly listeners = new Map<string, Set<(pull: ModelPull) => void>>();
  private closing: Promise<void> | undefined;
  private seq = 0;

  constructor(private readonly options: ModelPullsOptions = {}) {}

  /** The latest pull of `id` (running or ended) in this server, or null. */
  get(id: string): ModelPull | null {
    return this.latest.get(id) ?? null;
  }

  /** Whether a pull of `id` is running or stopping. */
  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  /** The models pulled (running or ended) in this server, in the order their first pull started. */
  ids(): string[] {
    return [...this.latest.keys()];
  }

  /**
   * Starts pulling `name` (a registry id or its Hub repo, or another Hub repo `owner/name`: pull-target.ts),
   * or returns the pull of that model already running (`created: false`). The pull is keyed by the registry
   * id or the repo id, so a registry model asked for by its repo is the same pull.
   * @param revision a branch, tag or commit sha of a Hub repo (`models pull --revision`); default main
   * @throws ToonloraError TL_ERR_MODEL_UNKNOWN (404), TL_ERR_USAGE (400: a revision of a registry model, or one
   *   that cannot be a ref), TL_ERR_UNAVAILABLE (503) once the server shuts down
   */
  start(name: string, revision?: string): { pull: ModelPull; created: boolean } {
    const target = pullTargetOf(name);
    const id = target.id;
    if (revision !== undefined) checkPullRevision(target, revision);
    const current = this.latest.get(id);
    if (current && this.running.has(id)) return { pull: current, created: false };
    if (this.closing) {
      throw new ToonloraError(
        'TL_ERR_UNAVAILABLE',
        `server is shutting down: it starts no model pull. Pull ${id} again once the server is started again.`,
      );
    }
    const controller = new AbortController();
    const run: RunningPull = { controller, done: Promise.resolve(), samples: [], publishedAtMs: 0 };
    this.running.set(id, run);
    this.update(id, {
      model: id,
      status: 'running',
      seq: 0,
      startedAt: new Date().toISOString(),
      endedAt: null,
      file: null,
      fileReceivedBytes: 0,
      fileTotalBytes: null,
      filesDone: 0,
      doneBytes: 0,
      // a Hub repo's size is known only from its listing, which the pull reads
      modelBytes: target.origin === 'registry' ? modelSizeBytes(getModelEntry(id)) : null,
      bytesPerS: null,
      message: null,
      error: null,
    });
    const pull = this.options.pull ?? pullModel;
    const at = revision === undefined ? {} : { revision };
    run.done = pull(id, {
      ...this.options.cache,
      ...this.options.overrides,
      ...at,
      ...this.hooks(id, run),
    }).then(
      (result) =>
        this.finish(id, { status: 'succeeded', message: run.notice ?? null, ...finalBytes(result) }),
      (error: unknown) => this.finishFailed(id, controller.signal, error),
    );
    return { pull: this.latest.get(id) as ModelPull, created: true };
  }

  /**
   * Cancels the running pull of `id` (its `.part` file is kept, and the next pull resumes it) and resolves with
   * the pull once it has stopped (also one waiting for a lock or hashing a file), or as `stopping` after CANCEL_WAIT_MS.
   * @throws ToonloraError TL_ERR_MODEL_UNKNOWN, TL_ERR_CONFLICT (409) when no pull of it is running
   */
  async cancel(name: string): Promise<ModelPull> {
    const id = pullTargetOf(name).id;
    const run = this.running.get(id);
    if (!run) {
      const last = this.latest.get(id);
      throw new ToonloraError(
        'TL_ERR_CONFLICT',
        `model ${id}: no pull is running${last ? ` (the last one ${last.status})` : ''}; nothing to cancel.`,
        { details: { model: id } },
      );
    }
    this.stop(id, run, 'cancel');
    await Promise.race([run.done, sleep(CANCEL_WAIT_MS)]);
    return this.latest.get(id) as ModelPull;
  }

  /**
   * Forgets the ended pull of `id` (the model was removed: its row must not say it was pulled here); a running one
   * is kept.
   */
  forget(id: string): void {
    if (!this.running.has(id)) this.latest.delete(id);
  }

  /**
   * Calls `listener` with every snapshot of `id`'s pulls from now on; returns the unsubscribe function (calling
   * it again does nothing). The last one gone takes `id`'s entry with it: a server kept an empty one for every
   * model whose pull stream was ever opened.
   */
  subscribe(id: string, listener: (pull: ModelPull) => void): () => void {
    const set = this.listeners.get(id) ?? new Set();
    set.add(listener);
    this.listeners.set(id, set);
    return () => {
      set.delete(listener);
      // not a newer set of the same id (this one removed before, then a new subscriber)
      if (set.size === 0 && this.listeners.get(id) === set) this.listeners.delete(id);
    };
  }

  /**
   * Stops taking pulls (start answers 503 from now on) and stops the running ones, which end `interrupted`
   * with their `.part` files kept; resolves once each has let go of its files and lock. Calls after the first
   * return the first call's promise.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const [id, run] of this.running) this.stop(id, run, 'shutdown');
      await Promise.all([...this.running.values()].map((run) => run.done));
    })();
    return this.closing;
  }

  private stop(id: string, run: RunningPull, reason: StopReason): void {
    if (run.controller.signal.aborted) return;
    run.controller.abort(reason);
    this.update(id, { status: 'stopping', message: null }, true);
  }

  /** The pull's callbacks: each turns into a snapshot (progress throttled, the rest at once). */
  private hooks(id: string, run: RunningPull): Partial<PullOptions> {
    const say = (message: string) => this.update(id, { message }, true);
    return {
      signal: run.controller.signal,
      onFileStart: ({ file, totalBytes }) => {
        run.samples = [];
        this.update(
          id,
          { file, fileReceivedBytes: 0, fileTotalBytes: totalBytes ?? null, message: run.notice ?? null },
          true,
        );
      },
      onProgress: ({ receivedBytes, totalBytes }) => {
        run.samples = samplesAfter(run.samples, { atMs: performance.now(), bytes: receivedBytes });
        const everyMs = this.options.publishEveryMs ?? 250;
        const waitMs = run.publishedAtMs + everyMs - performance.now();
        const patch = {
          fileReceivedBytes: receivedBytes,
          fileTotalBytes: totalBytes ?? null,
          bytesPerS: rateOf(run.samples),
        };
        this.update(id, patch, waitMs <= 0);
        if (waitMs > 0) run.trailing ??= setTimeout(() => this.publish(id), waitMs);
      },
      onFileDone: ({ bytes }) => {
        const current = this.latest.get(id) as ModelPull;
        this.update(
          id,
          {
            file: null,
            fileReceivedBytes: 0,
            fileTotalBytes: null,
            filesDone: current.filesDone + 1,
            doneBytes: current.doneBytes + bytes,
          },
          true,
        );
      },
      onVerifyStart: ({ path, bytes }) => say(`checking ${path} (${formatBytes(bytes)})…`),
      onCorrupt: ({ path, movedTo, problems }) =>
        say(`${path} is corrupted (${problems.join('; ')}); moved to ${movedTo}, downloading again`),
      onWaitForLock: say,
      onLockTakeOver: say,
      onNotice: ({ message }) => {
        run.notice = message;
        say(message);
      },
      // a Hub repo's size comes with its listing
      onListed: ({ totalBytes }) => this.update(id, { modelBytes: totalBytes }, true),
      onRetry: ({ file, reason, waitMs, attempt, attempts }) =>
        say(
          `${file}: ${reason}; trying again in ${Math.ceil(waitMs / 1000)} s (try ${attempt} of ${attempts})`,
        ),
    };
  }

  private finishFailed(id: string, signal: AbortSignal, error: unknown): void {
    if (signal.aborted) {
      const why = signal.reason === 'shutdown' ? 'server shutting down' : 'cancelled';
      this.finish(id, {
        status: signal.reason === 'shutdown' ? 'interrupted' : 'cancelled',
        message: stoppedText(id, why, keptPart(error)),
      });
      return;
    }
    const shown = pullErrorOf(error, id);
    if (shown.code === 'TL_ERR_INTERNAL') this.options.logInternal?.(`model pull ${id}`, error);
    this.finish(id, { status: 'failed', message: null, error: shown });
  }

  private finish(id: string, patch: Partial<ModelPull>): void {
    const run = this.running.get(id);
    clearTimeout(run?.trailing);
    this.running.delete(id);
    this.update(id, { ...patch, endedAt: new Date().toISOString(), bytesPerS: null }, true);
  }

  /** Applies `patch` to `id`'s snapshot with the next seq; pushes it to listeners when `publish`. */
  private update(id: string, patch: Partial<ModelPull>, publish = true): void {
    this.seq += 1;
    this.latest.set(id, { ...(this.latest.get(id) as ModelPull), ...patch, seq: this.seq });
    if (publish) this.publish(id);
  }

  /** Pushes `id`'s latest snapshot to its listeners. */
  private publish(id: string): void {
    const run = this.running.get(id);
    if (run) {
      run.publishedAtMs = performance.now();
      clearTimeout(run.trailing);
      run.trailing = undefined;
    }
    const latest = this.latest.get(id) as ModelPull;
    for (const listener of this.listeners.get(id) ?? []) listener(latest);
  }
}

/**
 * A finished pull's bytes, all of them, so they meet its modelBytes: the files it found present count too, and a
 * resumed file's bytes from before the stop (onFileDone counts only what this pull fetched). A Hub repo's result
 * states its total; a registry pull's is summed from its files on disk. filesDone stays the files downloaded.
 */
function finalBytes(result: PullResult): Pick<ModelPull, 'doneBytes'> {
  if (result.totalBytes !== undefined) return { doneBytes: result.totalBytes };
  const sizes = result.files.map((file) => (existsSync(file.path) ? statSync(file.path).size : 0));
  return { doneBytes: sizes.reduce((sum, bytes) => sum + bytes, 0) };
}

/** The `.part` file a stopped download kept (download.ts's DownloadStopped names it), with its size. */
function keptPart(error: unknown): { path: string; bytes: number; size: string } | undefined {
  const path = (error as { partPath?: unknown })?.partPath;
  if (typeof path !== 'string' || !existsSync(path)) return undefined;
  const bytes = statSync(path).size;
  return { path, bytes, size: formatBytes(bytes) };
}
