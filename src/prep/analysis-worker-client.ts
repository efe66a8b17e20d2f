// src/prep/analysis-worker-client.ts — the run thread's side of an analysis worker thread
// (analysis-worker.ts): the messages both ways, starting the worker (from sources: with tsx's loader), the
// buffers that move without copying, and the WorkerAnalyser that sends it files and closes it.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ErrorFix } from '../error-fix.js';
import { type ErrorCode, ToonloraError } from '../errors.js';
import type { CacheOptions } from '../models/cache.js';
import type { PrepConfig } from '../schemas/config.js';
import type { FileAnalysis } from './analyse-file.js';
import { AnalyserLostError, type Deferred, deferred, type FileAnalyser } from './analyser.js';
import type { SegmenterName } from './stage-registry.js';

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
      /** The error's text; its fix, as data, apart (a ToonloraError's `text` and `fix`). */
      readonly message: string;
      readonly details: Record<string, unknown>;
      readonly fix?: ErrorFix;
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
      else
        slot?.reject(
          new ToonloraError(message.code, message.message, { details: message.details, fix: message.fix }),
        );
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
