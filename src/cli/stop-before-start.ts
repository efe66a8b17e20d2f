// src/cli/stop-before-start.ts — Ctrl-C / SIGTERM / SIGHUP while `train` or `generate` still checks its inputs, the
// base and the Python environment, before its run (and the run's own stop handling, worker/stop-signals.ts) starts:
// one line says the command stopped before anything was written, and it exits as the signal would (130 / 143 /
// 129), instead of ending without a word.

const EXIT_BY_SIGNAL = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

/**
 * Installs the handlers for `toonlora <command>`'s checks; returns their removal, to call before the run installs
 * its own (or when the checks fail).
 */
export function stopBeforeStart(
  command: string,
  exit: (code: number) => void = (code) => process.exit(code),
): () => void {
  const handlers = Object.entries(EXIT_BY_SIGNAL).map(([name, code]) => {
    const onSignal = (): void => {
      try {
        process.stderr.write(`toonlora ${command}: stopped before anything was written\n`);
      } catch {
        // the terminal is gone (SIGHUP): exit all the same
      }
      exit(code);
    };
    process.on(name, onSignal);
    return [name, onSignal] as const;
  });
  return () => {
    for (const [name, onSignal] of handlers) process.off(name, onSignal);
  };
}
