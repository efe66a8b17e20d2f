// src/worker/stop-signals.ts — Ctrl-C / SIGTERM while a command drives the Python worker: instead of
// Node dying and leaving the worker running, the signal aborts the run, which sends the worker SIGTERM
// (training checkpoints first; generation and captioning stop at once) and waits for it to exit. With
// `killOnSecondSignal`, a second Ctrl-C aborts the `kill` signal instead (the run kills the worker at once and
// reports what was lost); without it, the second signal kills the running workers (they have their own process
// group, so the terminal's Ctrl-C does not reach them) and exits 130 at once.

import { killLiveWorkers } from './python-worker.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export interface StopSignalOptions {
  /** Written to stderr (one line) at the first signal: what stopping does now. */
  readonly firstNotice?: string;
  /** Written to stderr at the second signal, when `killOnSecondSignal`. */
  readonly secondNotice?: string;
  /** A second signal aborts `kill` (the run stops at once) instead of ending Node. */
  readonly killOnSecondSignal?: boolean;
}

/**
 * Runs `run` with an AbortSignal that the first SIGINT / SIGTERM aborts and, with `killOnSecondSignal`, a `kill`
 * signal that the second one aborts; one signal more kills the running workers and exits 130. The handlers are
 * removed afterwards.
 */
export async function withStopSignals<T>(
  run: (signal: AbortSignal, kill: AbortSignal) => Promise<T>,
  options: StopSignalOptions = {},
): Promise<T> {
  const stop = new AbortController();
  const kill = new AbortController();
  const handled = options.killOnSecondSignal ? 2 : 1;
  let received = 0;
  const remove = () => {
    for (const name of STOP_SIGNALS) process.off(name, onSignal);
  };
  function onSignal(): void {
    received += 1;
    if (received > handled) {
      // stop at once, as Node's default handling would, without leaving a worker running unseen
      killLiveWorkers();
      process.exit(130);
    }
    if (received === 1) {
      if (options.firstNotice) process.stderr.write(`${options.firstNotice}\n`);
      stop.abort();
    } else {
      if (options.secondNotice) process.stderr.write(`${options.secondNotice}\n`);
      kill.abort();
    }
  }
  for (const name of STOP_SIGNALS) process.on(name, onSignal);
  try {
    return await run(stop.signal, kill.signal);
  } finally {
    remove();
  }
}
