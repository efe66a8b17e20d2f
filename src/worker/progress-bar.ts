// src/worker/progress-bar.ts — turns worker `progress` events into progress on stderr (steps, loss, it/s, ETA):
// a cli-progress bar on a terminal, or, when stderr/stdout is a file or a pipe, a plain line at the first step,
// at most every 30 s after it and at the last step (`train 8/60 | loss 1.0252 | 0.17 it/s | eta 5m7s`), so a log
// never looks hung. The worker's `log` lines print on stderr too (above the bar): info (the run's plan, the LoRA
// size and device, a compile's first minutes) as they are, warnings prefixed; debug lines not. With --json
// (mode `none`) only the log lines print: stdout carries the command's own JSON.
import cliProgress from 'cli-progress';
import type { WorkerEvent } from './protocol.js';

export interface ProgressReporter {
  readonly onEvent: (event: WorkerEvent) => void;
  readonly stop: () => void;
}

/** `bar` on a terminal, `lines` when output is a file or a pipe, `none` with --json (output.ts: progressMode). */
export type ProgressMode = 'bar' | 'lines' | 'none';

/** How often, at most, `lines` mode prints a line between the first and the last step. */
export const PROGRESS_LINE_INTERVAL_MS = 30_000;

function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`
    : `${Math.floor(s / 60)}m${s % 60}s`;
}

export interface ProgressReporterOptions {
  readonly mode: ProgressMode;
  readonly label: string;
  /** Show the loss column (training); off for work without a loss (sampling steps, captions). Default true. */
  readonly loss?: boolean;
  /** Where lines and the bar go (default process.stderr; tests pass their own). */
  readonly stream?: NodeJS.WritableStream;
  /** The clock `lines` mode spaces its lines by (default Date.now; tests pass a fake one). */
  readonly now?: () => number;
}

/** The stderr line for a worker `log` event (none for debug or other events). */
function logLine(event: WorkerEvent): string | null {
  if (event.type !== 'log' || event.level === 'debug') return null;
  return event.level === 'warn' ? `warning: ${event.message}` : event.message;
}

type ProgressEvent = Extract<WorkerEvent, { type: 'progress' }>;

function progressPayload(event: ProgressEvent): { loss: string; speed: string; eta_text: string } {
  return {
    loss: event.loss === null ? 'nan' : event.loss.toFixed(4),
    speed: event.it_per_s === null ? '?' : event.it_per_s.toFixed(2),
    eta_text: formatSeconds(event.eta_s),
  };
}

/** One plain progress line: `train 8/60 | loss 1.0252 | 0.17 it/s | eta 5m7s` (no loss column with `loss: false`). */
export function progressLineText(label: string, event: ProgressEvent, loss = true): string {
  const p = progressPayload(event);
  const lossColumn = loss ? ` | loss ${p.loss}` : '';
  return `${label} ${event.step}/${event.total}${lossColumn} | ${p.speed} it/s | eta ${p.eta_text}`;
}

/** `lines` mode: a line at the first progress event, then at most every 30 s, and at the last step (or at stop). */
function lineReporter(options: ProgressReporterOptions, stream: NodeJS.WritableStream): ProgressReporter {
  const now = options.now ?? Date.now;
  let lastAt: number | undefined;
  let pending: ProgressEvent | undefined; // the newest event not printed yet
  const print = (event: ProgressEvent) => {
    stream.write(`${progressLineText(options.label, event, options.loss !== false)}\n`);
    lastAt = now();
    pending = undefined;
  };
  return {
    onEvent: (event) => {
      if (event.type === 'progress') {
        const due =
          lastAt === undefined || event.step >= event.total || now() - lastAt >= PROGRESS_LINE_INTERVAL_MS;
        if (due) print(event);
        else pending = event;
        return;
      }
      const line = logLine(event);
      if (line !== null) stream.write(`${line}\n`);
    },
    stop: () => {
      if (pending) print(pending); // where the run ended (stopped, failed), when no line said it yet
      lastAt = undefined;
    },
  };
}

function barReporter(options: ProgressReporterOptions, stream: NodeJS.WritableStream): ProgressReporter {
  const lossColumn = options.loss === false ? '' : ' | loss {loss}';
  const bar = new cliProgress.SingleBar(
    {
      format: `${options.label} [{bar}] {value}/{total}${lossColumn} | {speed} it/s | eta {eta_text}`,
      stream,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onEvent: (event) => {
      if (event.type === 'progress') {
        const payload = progressPayload(event);
        if (!started) {
          bar.start(event.total, event.step, payload);
          started = true;
        } else bar.update(event.step, payload);
      } else {
        const line = logLine(event);
        if (line !== null) stream.write(started ? `\n${line}\n` : `${line}\n`);
      }
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}

/** A progress reporter for one stage's worker events (see the header for the three modes). */
export function createProgressReporter(options: ProgressReporterOptions): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  if (options.mode === 'bar') return barReporter(options, stream);
  if (options.mode === 'lines') return lineReporter(options, stream);
  return {
    onEvent: (event) => {
      const line = logLine(event);
      if (line !== null) stream.write(`${line}\n`);
    },
    stop: () => {},
  };
}
