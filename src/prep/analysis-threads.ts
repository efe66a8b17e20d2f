// src/prep/analysis-threads.ts — the threads a prep run analyses its files on, planned, started and
// ended in one place (runPrep and the prep benchmark use it): with 2+ analysers, that many analysis
// workers sharing the cores' onnxruntime threads; alone, the run's thread with inference threads
// running its networks, several files at once (analysis-pool.ts has the sizing rules).
import { availableParallelism } from 'node:os';
import type { PrepConfig } from '../schemas/config.js';
import { setDefaultIntraOpThreads, startInferenceThreads } from '../vision/onnx.js';
import {
  analyserCount,
  analysisWindow,
  type FileAnalyser,
  inferenceThreadCount,
  type OrderedAnalysis,
  staffAnalysis,
  startAnalysisWorker,
  threadsPerAnalyser,
  threadsPerInferenceThread,
  type WorkerAnalyser,
} from './analysis-pool.js';

/** How a run is staffed: `analysers` threads (1 = the run's thread alone), `helpers` inference threads. */
export interface ThreadPlan {
  readonly analysers: number;
  /** Inference threads running the run thread's networks (only when it analyses alone). */
  readonly helpers: number;
}

/**
 * The plan for `files` files under the `workers` setting. `threadsAllowed` false (a caller passed its
 * own stage objects, which a thread cannot open): the run's thread alone, no helpers. Pure.
 */
export function planAnalysisThreads(
  workers: PrepConfig['workers'],
  files: number,
  threadsAllowed = true,
  cores = availableParallelism(),
): ThreadPlan {
  const analysers = threadsAllowed ? analyserCount(workers, files, cores) : 1;
  const helpers = analysers === 1 && threadsAllowed ? inferenceThreadCount(files, cores) : 0;
  return { analysers, helpers };
}

/** The started threads of a plan. */
export interface AnalysisThreads extends ThreadPlan {
  /** The analysis workers (none when the run's thread analyses alone); configure each before use. */
  readonly workers: readonly WorkerAnalyser[];
  /** onnxruntime intra-op threads per session on each analysing thread (0: onnxruntime's default). */
  readonly intraOpThreads: number;
  /** Files the run's thread analyses at once. */
  readonly hereAtOnce: number;
  /** Files handed out ahead of the one being finished (OrderedAnalysis's window). */
  readonly window: number;
  /** Lets the workers, and `here` (the run's thread) when none works, analyse `analysis`'s files. */
  staff(analysis: OrderedAnalysis, here: FileAnalyser, onStartFailed: (error: Error) => void): Promise<void>;
  /** Ends the inference threads (before a long deferred captioner: they hold models); safe twice. */
  endHelpers(): Promise<void>;
  /** Closes the workers, ends the helpers and restores onnxruntime's default threads; safe twice. */
  close(): Promise<void>;
}

/**
 * Starts a plan's threads: the workers begin loading their code and OpenCV at once (while the caller
 * opens its own stages), with onnxruntime's default threads set to their share of the cores; the
 * helpers start with theirs.
 */
export function startAnalysisThreads(plan: ThreadPlan): AnalysisThreads {
  const { analysers, helpers } = plan;
  const threaded = analysers > 1;
  const intraOpThreads = threaded
    ? threadsPerAnalyser(analysers)
    : helpers > 0
      ? threadsPerInferenceThread(helpers)
      : 0;
  const previousThreads = threaded ? setDefaultIntraOpThreads(intraOpThreads) : undefined;
  const workers = threaded ? Array.from({ length: analysers }, () => startAnalysisWorker()) : [];
  const endHelpers = helpers > 0 ? startInferenceThreads(helpers, intraOpThreads) : async () => {};
  const hereAtOnce = helpers + 1;
  let closed = false;
  return {
    analysers,
    helpers,
    workers,
    intraOpThreads,
    hereAtOnce,
    window: analysisWindow(workers.length, hereAtOnce),
    staff: (analysis, here, onStartFailed) =>
      staffAnalysis(analysis, here, workers, onStartFailed, hereAtOnce),
    endHelpers,
    close: async () => {
      await Promise.all(workers.map((w) => w.close()));
      await endHelpers();
      if (threaded && !closed) setDefaultIntraOpThreads(previousThreads);
      closed = true;
    },
  };
}
