// src/prep/analysis-pool.ts — runs `analyseFile` on several threads: worker threads
// (analysis-worker.ts), each with its share of the cores, with the run's own thread standing in
// while none is ready; hands the analyses back in input order, so dedupe, names and the manifest come
// out exactly as in a one-thread run. The image stages are single-threaded JavaScript / OpenCV WASM
// between onnxruntime calls, so one thread leaves the other cores idle for most of a file
// (bench/prep-speed.ts measures the gain).
import { availableParallelism, freemem } from 'node:os';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type ErrorCode, ToonloraError } from '../errors.js';
import type { CacheOptions } from '../models/cache.js';
import type { PrepConfig } from '../schemas/config.js';
import type { SegmenterName } from './stage-registry.js';
import { type AnalysisStages, analyseFile, type FileAnalysis } from './analyse-file.js';
import { fileEntry } from './file-entry.js';

/** Default cap on analysing threads: each one holds its own models and OpenCV heap (~0.4 GB). */
export const MAX_AUTO_ANALYSERS = 4;
/**
 * `auto` adds a thread only for this many files each: a worker takes ~0.8 s (idle machine) to 1.5 s
 * (busy 2-core machine) to open its models, and a file takes ~0.2-0.3 s, so short runs are no faster
 * (2 cores: 24 files through the CLI 6% slower; bench/prep-speed.ts, 48 files: 1.0-1.2x one thread).
 */
export const AUTO_FILES_PER_ANALYSER = 16;

/** Something that analyses one file at a time: this thread, or a worker thread. */
export interface FileAnalyser {
  analyse(source: string): Promise<FileAnalysis>;
}

/** An analyser that can no longer work (its worker thread exited); the file it had is reported failed. */
export class AnalyserLostError extends Error {}

/**
 * How many threads analyse files: `workers` from the settings (`auto`: one per core, at most
 * {@link MAX_AUTO_ANALYSERS}, and one per {@link AUTO_FILES_PER_ANALYSER} files), never more than
 * there are files. 1 = this thread alone.
 */
export function analyserCount(
  workers: PrepConfig['workers'],
  files: number,
  cores = availableParallelism(),
): number {
  const wanted =
    workers === 'auto'
      ? cores <= 2
        ? 1 // the run thread with inference threads: as fast in steady state, and it starts far sooner
        : Math.min(cores, MAX_AUTO_ANALYSERS, Math.floor(files / AUTO_FILES_PER_ANALYSER))
      : workers;
  return Math.max(1, Math.min(wanted, files));
}

/** Memory one analysing thread holds (its models and OpenCV heap), for the --workers warning. */
export const ANALYSER_BYTES = 0.4 * 1024 ** 3;

/**
 * The one-line warning for a `--workers N` run whose `analysers` threads outnumber the cores or would need
 * more memory than is free (~0.4 GB each), or undefined (auto, or N that fits). The run goes on.
 */
export function workersWarning(
  workers: PrepConfig['workers'],
  analysers: number,
  cores = availableParallelism(),
  freeBytes = freemem(),
): string | undefined {
  if (workers === 'auto' || analysers <= 1) return undefined;
  const gb = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  const needs = analysers * ANALYSER_BYTES;
  const problems: string[] = [];
  if (analysers > cores) problems.push(`this machine has ${cores} core${cores === 1 ? '' : 's'}`);
  if (needs > freeBytes)
    problems.push(`they need about ${gb(needs)} (~0.4 GB each) and ${gb(freeBytes)} is free`);
  if (problems.length === 0) return undefined;
  return `--workers ${workers}: ${analysers} analysis threads, but ${problems.join(', and ')}; such a run is usually slower, not faster (--workers auto picks for this machine)`;
}

/**
 * Inference threads for a run analysed on its own thread alone: one per core (at most
 * {@link MAX_AUTO_ANALYSERS}), each with one onnxruntime thread, when there are 2+ files and 2+
 * cores; 0 = the networks run on the run thread. The run thread then analyses one file more than
 * there are helpers at once: while the networks run on the helpers, it does the JavaScript / OpenCV
 * stages of another file (onnxruntime-node would block it for the whole network otherwise).
 * bench/prep-speed.ts measures the gain over one file at a time.
 */
export function inferenceThreadCount(files: number, cores = availableParallelism()): number {
  return files >= 2 && cores >= 2 ? Math.min(cores, MAX_AUTO_ANALYSERS) : 0;
}

/**
 * onnxruntime intra-op threads for each of `helpers` inference threads: the cores but one (the run
 * thread's) shared out, at least one each. (Measured on 2 cores only, where it is 1.)
 */
export function threadsPerInferenceThread(helpers: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor((cores - 1) / helpers));
}

/**
 * Files started and not yet finished (OrderedAnalysis's window) for a run with `workers` analysis
 * workers or, without them, `hereAtOnce` files at a time on the run thread: one file at a time is
 * strictly start, finish, next; otherwise 4 per lane, so one slow file does not hold up the others
 * (a worker keeps two queued).
 */
export function analysisWindow(workers: number, hereAtOnce: number): number {
  if (workers === 0 && hereAtOnce === 1) return 1;
  return 4 * (workers > 0 ? workers : hereAtOnce);
}

/** onnxruntime intra-op threads for each of `analysers` threads sharing `cores`. */
export function threadsPerAnalyser(analysers: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / analysers));
}

/** The analysis stages on this thread. */
export function inThreadAnalyser(
  stages: AnalysisStages,
  config: PrepConfig,
  saveStages: boolean,
): FileAnalyser {
  return { analyse: (source) => analyseFile(stages, config, source, saveStages) };
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // a slot nobody awaits any more (after a stop) must not crash the process
  return { promise, resolve, reject };
}

export interface OrderedAnalysisOptions {
  /** Stops handing out files; the files already started are still analysed and yielded. */
  readonly signal?: AbortSignal;
  /** Called when an analyser takes a file (`index` in the input list). */
  readonly onStart?: (index: number, source: string) => void;
  /** Most files started and not yet finished by the consumer (bounds the crops held in memory);
   * 1 = strictly one file after another. */
  readonly window: number;
}

/**
 * Hands `files` to the analysers that `join` (whenever one is free, in input order) and yields the
 * analyses in input order. An analyser that is lost fails the file(s) it held (its current one and,
 * joined twice, the one queued) and leaves; any other error (a model that cannot load) stops the run
 * and is thrown by `results` at that file.
 */
export class OrderedAnalysis {
  readonly #files: readonly string[];
  readonly #options: OrderedAnalysisOptions;
  readonly #slots: Array<Deferred<FileAnalysis>>;
  #next = 0;
  #consumed = 0;
  #stopped = false;
  #waiting: Array<() => void> = [];

  constructor(files: readonly string[], options: OrderedAnalysisOptions) {
    this.#files = files;
    this.#options = options;
    this.#slots = files.map(() => deferred<FileAnalysis>());
    options.signal?.addEventListener('abort', () => this.stop(), { once: true });
    if (options.signal?.aborted) this.stop();
  }

  /**
   * Lets `analyser` take files until none are left, the run stops or `keepGoing` (asked before each
   * file) says no; resolves when it leaves. Joining one analyser twice keeps a second file queued
   * for it (a worker then never waits for the run's thread to hand it the next one).
   */
  async join(analyser: FileAnalyser, keepGoing: () => boolean = () => true): Promise<void> {
    for (;;) {
      if (!keepGoing()) return;
      const index = await this.#claim();
      if (index === undefined) return;
      const source = this.#files[index] as string;
      const slot = this.#slots[index] as Deferred<FileAnalysis>;
      this.#options.onStart?.(index, source);
      try {
        slot.resolve(await analyser.analyse(source));
      } catch (error) {
        if (error instanceof AnalyserLostError) {
          slot.resolve(lostFile(source, error));
          return;
        }
        slot.reject(error);
        this.stop();
        return;
      }
    }
  }

  /** No more files are handed out. */
  stop(): void {
    this.#stopped = true;
    this.#wake();
  }

  /** Whether files were left unstarted because the run stopped. */
  get stoppedEarly(): boolean {
    return this.#stopped && this.#next < this.#files.length;
  }

  /** The analyses in input order, up to the last file started when the run stops. */
  async *results(): AsyncGenerator<{ source: string; analysis: FileAnalysis }> {
    for (let index = 0; index < this.#files.length; index++) {
      if (this.#stopped && index >= this.#next) return;
      const analysis = await (this.#slots[index] as Deferred<FileAnalysis>).promise;
      yield { source: this.#files[index] as string, analysis };
      // counted once the consumer asks for the next one, i.e. has finished this file
      this.#consumed++;
      this.#wake();
    }
  }

  async #claim(): Promise<number | undefined> {
    while (
      !this.#stopped &&
      this.#next < this.#files.length &&
      this.#next - this.#consumed >= this.#options.window
    ) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    if (this.#stopped || this.#next >= this.#files.length) return undefined;
    return this.#next++;
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const resolve of waiting) resolve();
  }
}

/**
 * Puts the analysers to work on `analysis`: each worker once its models are open (joined twice, so a
 * file is always queued for it), and `here` (the run's thread) only while no worker is working —
 * before the first is ready, after the last is lost, or when none starts. In steady state only
 * workers analyse: the run's thread measured ~15% slower per file than a worker while it also
 * finished files, and held the workers' results back while busy. `hereAtOnce` files are analysed on
 * the run's thread at a time (more than 1 with inference threads, see inferenceThreadCount). Resolves
 * once every analyser has left (the files ran out or the run stopped).
 */
export function staffAnalysis(
  analysis: OrderedAnalysis,
  here: FileAnalyser,
  workers: readonly WorkerAnalyser[],
  onStartFailed: (error: Error) => void,
  hereAtOnce = 1,
): Promise<void> {
  const joined: Promise<void>[] = [];
  let working = 0;
  let hereActive = false;
  const joinHere = () => {
    if (hereActive) return;
    hereActive = true;
    const lanes = Array.from({ length: hereAtOnce }, () => analysis.join(here, () => working === 0));
    joined.push(
      Promise.all(lanes)
        .then(() => undefined)
        .finally(() => {
          hereActive = false;
        }),
    );
  };
  joinHere();
  for (const worker of workers) {
    joined.push(
      worker.ready.then(async () => {
        working++;
        await Promise.all([analysis.join(worker), analysis.join(worker)]);
        working--;
        if (working === 0) joinHere(); // files may be left after the last worker was lost
      }, onStartFailed),
    );
  }
  return (async () => {
    for (let i = 0; i < joined.length; i++) await joined[i]; // (grows while it waits)
  })();
}

function lostFile(source: string, error: AnalyserLostError): FileAnalysis {
  return {
    kind: 'failed',
    entry: fileEntry(
      source,
      {},
      {
        reason: `${basename(source)}: ${error.message}. The other files were processed.`,
        reasonCode: 'stage-failed',
      },
    ),
  };
}

// ---- worker threads -------------------------------------------------------------------------------

/** What a worker thread needs to open the same stages as the run's thread (all plain data). */
export interface AnalysisWorkerSpec {
  readonly config: PrepConfig;
  readonly saveStages: boolean;
  /** onnxruntime intra-op threads for the worker's sessions. */
  readonly intraOpThreads: number;
  /** The segmenter the run resolved (`auto` already decided). */
  readonly segmenter: SegmenterName;
  /** Model file of the person detector the run opened, or null. */
  readonly personDetectorModel: string | null;
  readonly cache: CacheOptions;
}

/** Run thread -> worker: the stages to open (once), a file to analyse, or end once idle. */
export type AnalysisWorkerRequest =
  | { readonly type: 'configure'; readonly spec: AnalysisWorkerSpec }
  | { readonly type: 'analyse'; readonly id: number; readonly source: string }
  | { readonly type: 'close' };

/** How long `close` waits for a worker to finish its file and exit before stopping it hard. */
const CLOSE_TIMEOUT_MS = 60_000;

/** Worker -> run thread. */
export type AnalysisWorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'startFailed'; readonly message: string }
  | { readonly type: 'analysed'; readonly id: number; readonly analysis: FileAnalysis }
  | {
      readonly type: 'error';
      readonly id: number;
      readonly code: ErrorCode;
      readonly message: string;
      readonly details: Record<string, unknown>;
    };

/** The worker entry next to this module (.ts when running from sources under tsx or vitest). */
function workerEntry(): URL {
  const here = fileURLToPath(import.meta.url);
  const extension = here.endsWith('.ts') ? '.ts' : '.js';
  const entry = new URL(`./analysis-worker${extension}`, import.meta.url);
  if (!existsSync(entry)) throw new Error(`prep analysis worker not found at ${fileURLToPath(entry)}`);
  return entry;
}

function spawn(entry: URL): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry);
  // From TypeScript sources the worker registers tsx's loader itself, then imports its entry (a
  // worker does not reliably inherit the parent's --import hooks on Node 20).
  // (tsx/esm/api's ESM build sits next to the CommonJS one that require.resolve finds)
  const tsxApi = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const code = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(code, { eval: true });
}

/** Buffers that can move to the other thread without copying: whole, unshared ArrayBuffers. */
export function transferableBuffers(analysis: FileAnalysis): ArrayBuffer[] {
  if (analysis.kind !== 'analysed') return [];
  const views: ArrayBufferView[] = [];
  for (const candidate of analysis.candidates) {
    if ('crop' in candidate) {
      views.push(candidate.crop.data, candidate.thumbnail);
      if (candidate.square) views.push(candidate.square.data);
    }
  }
  if (analysis.stageImages) {
    const { textMask, textRemoved, characterMask } = analysis.stageImages;
    views.push(textMask.data, textRemoved.data, characterMask.data);
  }
  const buffers = new Set<ArrayBuffer>();
  for (const view of views) {
    const buffer = view.buffer;
    if (buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === buffer.byteLength)
      buffers.add(buffer);
  }
  return [...buffers];
}

/** A worker thread that analyses files; `ready` settles once `configure`d and its models are open. */
export interface WorkerAnalyser extends FileAnalyser {
  readonly ready: Promise<void>;
  /** The stages to open (call once, when the run has resolved them). */
  configure(spec: AnalysisWorkerSpec): void;
  /** Lets the worker finish what it is doing, release its models and exit. */
  close(): Promise<void>;
}

/**
 * Starts one analysis worker: it loads its code and OpenCV at once, and opens the models once
 * `configure`d, so a run can start its workers before it has resolved its stages. `ready` rejects
 * (with the reason) when it cannot open its stages; once it exits, its pending file fails with
 * AnalyserLostError.
 */
export function startAnalysisWorker(entry: URL = workerEntry()): WorkerAnalyser {
  const worker = spawn(entry);
  const pending = new Map<number, Deferred<FileAnalysis>>();
  const ready = deferred<void>();
  let nextId = 0;
  let exited: string | undefined;
  const fail = (why: string) => {
    exited ??= why;
    ready.reject(new Error(why));
    for (const slot of pending.values()) slot.reject(new AnalyserLostError(why));
    pending.clear();
  };
  worker.on('message', (message: AnalysisWorkerMessage) => {
    if (message.type === 'ready') ready.resolve();
    else if (message.type === 'startFailed') fail(message.message);
    else {
      const slot = pending.get(message.id);
      pending.delete(message.id);
      if (message.type === 'analysed') slot?.resolve(message.analysis);
      else slot?.reject(new ToonloraError(message.code, message.message, { details: message.details }));
    }
  });
  worker.on('error', (error) => fail(`the analysis worker failed (${error.message})`));
  const exit = new Promise<void>((resolve) =>
    worker.once('exit', (code) => {
      fail(`the analysis worker exited (code ${code})`);
      resolve();
    }),
  );
  return {
    ready: ready.promise,
    configure(spec) {
      if (!exited) worker.postMessage({ type: 'configure', spec } satisfies AnalysisWorkerRequest);
    },
    analyse(source) {
      if (exited) return Promise.reject(new AnalyserLostError(exited));
      const id = nextId++;
      const slot = deferred<FileAnalysis>();
      pending.set(id, slot);
      worker.postMessage({ type: 'analyse', id, source } satisfies AnalysisWorkerRequest);
      return slot.promise;
    },
    async close() {
      if (exited) return;
      exited = 'the analysis worker was closed';
      worker.postMessage({ type: 'close' } satisfies AnalysisWorkerRequest);
      // a hard stop only for a worker stuck past the timeout (it risks the abort described above)
      const stuck = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MS);
      await exit;
      clearTimeout(stuck);
    },
  };
}
