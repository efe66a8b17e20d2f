// src/prep/analysis-pool.ts — runs `analyseFile` on several threads: worker threads
// (analysis-worker.ts), each with its share of the cores, with the run's own thread standing in
// while none is ready; hands the analyses back in input order, so dedupe, names and the manifest come
// out exactly as in a one-thread run. The image stages are single-threaded JavaScript / OpenCV WASM
// between onnxruntime calls, so one thread leaves the other cores idle for most of a file
// (bench/prep-speed.ts measures the gain).
// The thread counts live in analysis-sizing.ts, the worker thread's client in analysis-worker-client.ts, the
// analyser shapes in analyser.ts; every name is re-exported here.
import { basename } from 'node:path';
import type { PrepConfig } from '../schemas/config.js';
import { type AnalysisStages, analyseFile, type FileAnalysis } from './analyse-file.js';
import { AnalyserLostError, type Deferred, deferred, type FileAnalyser } from './analyser.js';
import type { WorkerAnalyser } from './analysis-worker-client.js';
import { fileEntry } from './file-entry.js';

export { AnalyserLostError, type FileAnalyser } from './analyser.js';
export {
  ANALYSER_BYTES,
  AUTO_FILES_PER_ANALYSER,
  analyserCount,
  analysisWindow,
  inferenceThreadCount,
  MAX_AUTO_ANALYSERS,
  threadsPerAnalyser,
  threadsPerInferenceThread,
  workersWarning,
} from './analysis-sizing.js';
export {
  type AnalysisWorkerMessage,
  type AnalysisWorkerRequest,
  type AnalysisWorkerSpec,
  startAnalysisWorker,
  transferableBuffers,
  type WorkerAnalyser,
} from './analysis-worker-client.js';

/** The analysis stages on this thread. */
export function inThreadAnalyser(
  stages: AnalysisStages,
  config: PrepConfig,
  saveStages: boolean,
): FileAnalyser {
  return { analyse: (source) => analyseFile(stages, config, source, saveStages) };
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
