// src/worker/progress-bar.ts — turns worker `progress` events into a cli-progress bar on stderr
// (steps, loss, it/s, ETA); `log` warnings print above it. The bar is off with --json or without a TTY;
// warnings still go to stderr then (a compile skipped, a dataset file passed over must not vanish in a log).
import cliProgress from 'cli-progress';
import type { WorkerEvent } from './protocol.js';

export interface ProgressReporter {
  readonly onEvent: (event: WorkerEvent) => void;
  readonly stop: () => void;
}

function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`
    : `${Math.floor(s / 60)}m${s % 60}s`;
}

export interface ProgressReporterOptions {
  readonly enabled: boolean;
  readonly label: string;
  /** Show the loss column (training); off for work without a loss (sampling steps, captions). Default true. */
  readonly loss?: boolean;
}

/** A progress reporter; `enabled: false` gives one that only prints the worker's warnings. */
export function createProgressReporter(options: ProgressReporterOptions): ProgressReporter {
  if (!options.enabled) {
    return {
      onEvent: (event) => {
        if (event.type === 'log' && event.level === 'warn') process.stderr.write(`warning: ${event.message}\n`);
      },
      stop: () => {},
    };
  }
  const lossColumn = options.loss === false ? '' : ' | loss {loss}';
  const bar = new cliProgress.SingleBar(
    {
      format: `${options.label} [{bar}] {value}/{total}${lossColumn} | {speed} it/s | eta {eta_text}`,
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onEvent: (event) => {
      if (event.type === 'progress') {
        const payload = {
          loss: event.loss === null ? 'nan' : event.loss.toFixed(4),
          speed: event.it_per_s === null ? '?' : event.it_per_s.toFixed(2),
          eta_text: formatSeconds(event.eta_s),
        };
        if (!started) {
          bar.start(event.total, event.step, payload);
          started = true;
        } else bar.update(event.step, payload);
      } else if (event.type === 'log' && event.level === 'warn') {
        process.stderr.write(`\nwarning: ${event.message}\n`);
      }
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}
