// src/cli/prep-progress.ts — `toonlora prep`'s progress on stderr: the files (`prep i/n <file>`), then a deferred
// captioner's batches (`captioning i/n`, BLIP in the worker). On a terminal (mode `bar`) one cli-progress bar that
// names the file being worked on; without one (mode `lines`) the plain lines of src/worker/progress-bar.ts — at the
// first step, at most every 30 s after it and at the last (`captioning 40/200 | 1.52 it/s | eta 1m45s`), so a long
// BLIP pass never looks hung in a log; with --json (mode `none`) nothing (stdout carries the JSON).
import cliProgress from 'cli-progress';
import type { PrepOptions } from '../prep/pipeline.js';
import { type ProgressMode, type ProgressReporter, createProgressReporter } from '../worker/progress-bar.js';

export type PrepProgressCallbacks = Pick<PrepOptions, 'onFileStart' | 'onProgress' | 'onCaptionProgress'>;

export interface PrepProgressDisplay {
  readonly callbacks: PrepProgressCallbacks;
  readonly stop: () => void;
}

export interface PrepProgressOptions {
  readonly mode: ProgressMode;
  /** How a source path is shown on the bar (a terminal only). */
  readonly displayPath: (source: string) => string;
  /** Where the bar or lines go (default process.stderr; tests pass their own). */
  readonly stream?: NodeJS.WritableStream;
  /** The clock lines are spaced by and speeds measured with (default Date.now; tests pass a fake one). */
  readonly now?: () => number;
}

/** The terminal bar: starts with the first file, shows the file being worked on, then moves as `captioning i/n`. */
function prepBar(options: PrepProgressOptions, stream: NodeJS.WritableStream): PrepProgressDisplay {
  const bar = new cliProgress.SingleBar(
    { format: '{stage} [{bar}] {value}/{total} {file}', stream, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const show = (done: number, total: number, payload: { stage: string; file: string }) => {
    if (!started) bar.start(total, done, payload);
    else {
      bar.setTotal(total);
      bar.update(done, payload);
    }
    started = true;
  };
  return {
    callbacks: {
      onFileStart: ({ done, total, source }) =>
        show(done, total, { stage: 'prep', file: options.displayPath(source) }),
      onProgress: ({ done }) => bar.update(done),
      onCaptionProgress: ({ done, total }) => show(done, total, { stage: 'captioning', file: '(BLIP)' }),
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

/** One stage (files or captions) as worker-style progress events: speed and ETA measured from the stage's start. */
function stageLines(label: string, stream: NodeJS.WritableStream, now: () => number) {
  const reporter: ProgressReporter = createProgressReporter({
    mode: 'lines',
    label,
    loss: false,
    stream,
    now,
  });
  let startedAt: number | undefined;
  let startStep = 0;
  return {
    step: (done: number, total: number) => {
      if (startedAt === undefined) {
        startedAt = now();
        startStep = done;
      }
      const seconds = (now() - startedAt) / 1000;
      const speed = seconds > 0 && done > startStep ? (done - startStep) / seconds : null;
      reporter.onEvent({
        version: 1,
        type: 'progress',
        step: done,
        total: Math.max(total, 1),
        loss: null,
        lr: null,
        it_per_s: speed,
        eta_s: speed === null ? null : Math.max(total - done, 0) / speed,
      });
    },
    stop: () => reporter.stop(),
  };
}

/** Plain lines without a terminal: `prep i/n` for the files, then `captioning i/n`. */
function prepLines(options: PrepProgressOptions, stream: NodeJS.WritableStream): PrepProgressDisplay {
  const now = options.now ?? Date.now;
  const files = stageLines('prep', stream, now);
  const captions = stageLines('captioning', stream, now);
  let filesOpen = true;
  return {
    callbacks: {
      onFileStart: ({ done, total }) => files.step(done, total),
      onProgress: ({ done, total }) => files.step(done, total),
      onCaptionProgress: ({ done, total }) => {
        if (filesOpen) files.stop(); // the files' last count, when no line said it yet
        filesOpen = false;
        captions.step(done, total);
      },
    },
    stop: () => {
      if (filesOpen) files.stop();
      captions.stop();
    },
  };
}

/** prep's progress for a mode ({@link ProgressMode}: output.ts progressMode). */
export function createPrepProgress(options: PrepProgressOptions): PrepProgressDisplay {
  const stream = options.stream ?? process.stderr;
  if (options.mode === 'bar') return prepBar(options, stream);
  if (options.mode === 'lines') return prepLines(options, stream);
  return { callbacks: {}, stop: () => {} };
}
