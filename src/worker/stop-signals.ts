// src/worker/stop-signals.ts — Ctrl-C / SIGTERM while a command drives the Python worker: instead of
// Node dying and leaving the worker running, the signal aborts the run, which sends the worker SIGTERM
// (training checkpoints first; generation and captioning stop at once) and waits for it to exit.

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Runs `run` with an AbortSignal that SIGINT / SIGTERM abort; the handlers are removed afterwards. */
export async function withStopSignals<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  for (const name of STOP_SIGNALS) process.once(name, stop);
  try {
    return await run(controller.signal);
  } finally {
    for (const name of STOP_SIGNALS) process.off(name, stop);
  }
}
