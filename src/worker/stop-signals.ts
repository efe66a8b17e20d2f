// src/worker/stop-signals.ts — Ctrl-C / SIGTERM while a command drives the Python worker: instead of
// Node dying and leaving the worker running, the signal aborts the run, which sends the worker SIGTERM
// (training checkpoints first; generation and captioning stop at once) and waits for it to exit. With
// `killOnSecondSignal`, a second Ctrl-C aborts the `kill` signal instead (the run kills the worker at once and
// reports what was lost); without it, the second signal kills the running workers (they have their own process
// group, so the terminal's Ctrl-C does not reach them) and exits 130 at once. SIGHUP (the terminal or SSH
// session closed) and a closed output pipe (`toonlora train | head`: EPIPE) stop the run as the first Ctrl-C
// does, so the worker checkpoints and ends instead of being orphaned (see {@link handleOutputError}).

import { EXIT_INTERRUPTED } from '../errors.js';
import { killLiveWorkers } from './python-worker.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** What a closed stdout / stderr does to the run in progress (the newest {@link withStopSignals}); null when none. */
let stopForClosedOutput: (() => void) | null = null;
/** Set once output closed while a run was going: later write errors are ignored, the run reports its exit code. */
let outputClosed = false;

/**
 * The CLI's `error` handler for process.stdout / stderr. A closed pipe (EPIPE; EIO once the terminal is gone)
 * while a worker runs stops the run as the first Ctrl-C does (training checkpoints) rather than ending Node and
 * orphaning the worker; with no run going, the CLI ends: 0, or the exit code already set (`toonlora ... | head`
 * is the reader's choice).
 */
export function handleOutputError(
  error: NodeJS.ErrnoException,
  exit: (code: number) => void = process.exit,
): void {
  if (error.code !== 'EPIPE' && error.code !== 'EIO') throw error;
  if (stopForClosedOutput) {
    outputClosed = true;
    stopForClosedOutput();
    return;
  }
  if (!outputClosed) exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
}

export interface StopSignalOptions {
  /** Written to stderr (one line) at the first signal: what stopping does now. */
  readonly firstNotice?: string;
  /** Written to stderr at the second signal, when `killOnSecondSignal`. */
  readonly secondNotice?: string;
  /** A second signal aborts `kill` (the run stops at once) instead of ending Node. */
  readonly killOnSecondSignal?: boolean;
}

/**
 * Runs `run` with an AbortSignal that the first SIGINT / SIGTERM / SIGHUP (or a closed output pipe) aborts and, with `killOnSecondSignal`, a `kill`
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
      process.exit(EXIT_INTERRUPTED);
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
  const previous = stopForClosedOutput;
  // a closed pipe is one stop (never the second, killing one): its writes keep failing while the worker stops
  stopForClosedOutput = () => {
    if (received === 0) {
      received = 1;
      stop.abort();
    }
  };
  try {
    return await run(stop.signal, kill.signal);
  } finally {
    remove();
    stopForClosedOutput = previous;
  }
}
