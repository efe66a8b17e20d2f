// src/prep/analysis-sizing.ts — how many threads a prep run analyses on, pure: analysing threads for
// `--workers` (auto: by cores and files), the warning for an N that outnumbers the cores or the free memory,
// inference helper threads and their onnxruntime threads, and the window of files started at once.
import { availableParallelism, freemem } from 'node:os';
import { formatBytes } from '../format-bytes.js';
import type { PrepConfig } from '../schemas/config.js';

/** Default cap on analysing threads: each one holds its own models and OpenCV heap (~0.4 GB). */
export const MAX_AUTO_ANALYSERS = 4;
/**
 * `auto` adds a thread only for this many files each: a worker takes ~0.8 s (idle machine) to 1.5 s
 * (busy 2-core machine) to open its models, and a file takes ~0.2-0.3 s, so short runs are no faster
 * (2 cores: 24 files through the CLI 6% slower; bench/prep-speed.ts, 48 files: 1.0-1.2x one thread).
 */
export const AUTO_FILES_PER_ANALYSER = 16;

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
  const needs = analysers * ANALYSER_BYTES;
  const problems: string[] = [];
  if (analysers > cores) problems.push(`this machine has ${cores} core${cores === 1 ? '' : 's'}`);
  if (needs > freeBytes)
    problems.push(
      `they need about ${formatBytes(needs)} (~${formatBytes(ANALYSER_BYTES)} each) and ${formatBytes(freeBytes)} is free`,
    );
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
