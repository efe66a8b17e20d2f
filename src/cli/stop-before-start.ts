// src/cli/stop-before-start.ts — Ctrl-C / SIGTERM / SIGHUP while `train` or `generate` still checks its inputs, the
// base and the Python environment, before its run (and the run's own stop handling, worker/stop-signals.ts) starts:
// one line says the command stopped before anything was written, or, while the Python environment was being
// installed (the first run on a machine, changed requirements), that it was, and how to finish it; and it exits as
// the signal would (130 / 143 / 129), instead of ending without a word.

const EXIT_BY_SIGNAL = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

/** What `toonlora <command>` says when stopped during its checks; `installingVenv`: the venv being installed. */
export function stopBeforeStartLine(command: string, installingVenv?: string): string {
  // the stamp that makes the next run skip pip is written only once every install is done: the next run (or
  // `toonlora setup`) installs again what is missing, and creates again a venv left without pip
  const what =
    installingVenv === undefined
      ? 'stopped before anything was written'
      : `stopped while installing the Python environment in ${installingVenv}; run the command again (or toonlora setup) to finish it`;
  return `toonlora ${command}: ${what}\n`;
}

/** The stop handlers of `toonlora <command>`'s checks. */
export interface StopBeforeStart {
  /** Removes the handlers: before the run installs its own, or when the checks fail. */
  remove(): void;
  /**
   * Runs `install` (ensurePythonEnv, given its `onInstall`): a stop after `onInstall(venv)` said the venv is being
   * written, and before `install` ends, says the Python environment was being installed there.
   */
  duringPythonEnv<T>(install: (onInstall: (venv: string) => void) => Promise<T>): Promise<T>;
}

/** Installs the handlers for `toonlora <command>`'s checks (remove them before the run installs its own). */
export function stopBeforeStart(
  command: string,
  exit: (code: number) => void = (code) => process.exit(code),
): StopBeforeStart {
  let installingVenv: string | undefined;
  const handlers = Object.entries(EXIT_BY_SIGNAL).map(([name, code]) => {
    const onSignal = (): void => {
      try {
        process.stderr.write(stopBeforeStartLine(command, installingVenv));
      } catch {
        // the terminal is gone (SIGHUP): exit all the same
      }
      exit(code);
    };
    process.on(name, onSignal);
    return [name, onSignal] as const;
  });
  return {
    remove() {
      for (const [name, onSignal] of handlers) process.off(name, onSignal);
    },
    async duringPythonEnv(install) {
      try {
        return await install((venv) => {
          installingVenv = venv;
        });
      } finally {
        installingVenv = undefined;
      }
    },
  };
}
