// src/worker/progress-bar.ts — turns worker `progress` events into a cli-progress bar on stderr
// (steps, loss, it/s, ETA). The worker's `log` lines print on stderr, above the bar: info (the run's plan,
// the LoRA size and device, a compile's first minutes) as they are, warnings prefixed; debug lines not.
// The bar is off with --json or without a TTY; the log lines still print then.
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

/** The stderr line for a worker `log` event (none for debug or other events). */
function logLine(event: WorkerEvent): string | null {
  if (event.type !== 'log' || event.level === 'debug') return null;
  return event.level === 'warn' ? `warning: ${event.message}` : event.message;
}

/** A progress reporter; `enabled: false` gives one that only prints the worker's log lines. */
export function createProgressReporter(options: ProgressReporterOptions): ProgressReporter {
  if (!options.enabled) {
    return {
      onEvent: (event) => {
        const line = logLine(event);
        if (line !== null) process.stderr.write(`${line}\n`);
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
      } else {
        const line = logLine(event);
        if (line !== null) process.stderr.write(started ? `\n${line}\n` : `${line}\n`);
      }
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}
