// src/cli/worker-progress.ts — what `toonlora worker` shows on its own machine while a claimed job trains: the
// trainer's events as `toonlora train` shows them (src/worker/progress-bar.ts: a one-line bar with step, loss, it/s
// and ETA on a terminal; else a plain line at the first step, at most every 30 s and at the last, also with --json,
// whose stdout carries only the job lines), and its info / warning lines. It wraps the trainer the remote run calls
// (the events still go on to the server as before) and the worker's own lines during the run, which start below
// the bar instead of on its line. Before, the worker printed "training …" and then nothing until the job ended.
import { createProgressReporter, type ProgressMode } from '../worker/progress-bar.js';
import type { runTraining } from '../worker/train.js';
import { type TerminalStreams, wantsProgressBar } from './output.js';

/** `bar` when stdout and stderr are terminals (output.ts progressMode), else `lines`: never `none`, even with
 * --json (a worker's stderr is its log, and stdout keeps its JSON). */
export type WorkerProgressMode = Exclude<ProgressMode, 'none'>;

/** The worker's progress mode (`json`: --json; `streams`: the process's stdout and stderr unless a test's). */
export function workerProgressMode(json: boolean, streams: TerminalStreams = process): WorkerProgressMode {
  return wantsProgressBar({ json }, streams) ? 'bar' : 'lines';
}

export interface WorkerProgressOptions {
  readonly mode: WorkerProgressMode;
  /** Where the bar or lines go (the worker's stderr; tests pass their own). */
  readonly stream: NodeJS.WritableStream;
  /** The clock `lines` mode spaces its lines by (default Date.now). */
  readonly now?: () => number;
}

/** One job's progress: the trainer to run it with, the worker's line-printer to use meanwhile, and its end. */
export interface JobProgress {
  readonly train: typeof runTraining;
  readonly say: (line: string) => void;
  /** Prints where the run ended when no line said it yet (lines), or leaves the bar on its line (bar). */
  readonly stop: () => void;
}

/** The progress of one job trained by `train`, shown as `options` say; `say` prints the worker's own lines. */
export function jobProgress(
  train: typeof runTraining,
  say: (line: string) => void,
  options: WorkerProgressOptions,
): JobProgress {
  const reporter = createProgressReporter({
    mode: options.mode,
    label: 'train',
    stream: options.stream,
    ...(options.now ? { now: options.now } : {}),
  });
  // a bar is drawn on the cursor's line: a line said now must start on the next one
  let barOnLine = false;
  return {
    train: (trainOptions) =>
      train({
        ...trainOptions,
        onEvent: (event) => {
          reporter.onEvent(event);
          if (options.mode === 'bar' && event.type === 'progress') barOnLine = true;
          // the reporter wrote it on lines of its own (not a debug line: none is shown)
          if (event.type === 'log' && event.level !== 'debug') barOnLine = false;
          trainOptions.onEvent?.(event);
        },
      }),
    say: (line) => {
      if (barOnLine) options.stream.write('\n');
      barOnLine = false;
      say(line);
    },
    stop: () => {
      reporter.stop();
      barOnLine = false;
    },
  };
}
