// src/cli/output.ts — how every command reports: a human summary or `--json`, errors on stderr,
// and the exit codes (0 ok, 1 failure, 2 bad usage). Commands hold no other output logic.
import { isToonloraError } from '../errors.js';

export interface OutputOptions {
  json?: boolean;
}

/** Prints a command's result: the JSON document with `--json`, else the human text. */
export function printResult<T>(result: T, options: OutputOptions, human: (result: T) => string): void {
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const text = human(result);
    if (text) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }
}

/** Reports an error on stderr (as one JSON line too with `--json`, on stdout) and returns the exit code to use. */
export function reportError(error: unknown, command: string, options: OutputOptions): 1 | 2 {
  if (isToonloraError(error)) {
    if (options.json) {
      // one line, so that a reader of JSON lines (`models pull --json`) can read it as one too
      process.stdout.write(
        `${JSON.stringify({ error: { code: error.code, message: error.message, ...error.details } })}\n`,
      );
    }
    process.stderr.write(`toonlora ${command}: ${error.message} [${error.code}]\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (options.json)
    process.stdout.write(
      `${JSON.stringify({ error: { code: 'TL_ERR_INTERNAL', message: String(error) } })}\n`,
    );
  process.stderr.write(`toonlora ${command}: unexpected error: ${message}\n`);
  return 1;
}

/**
 * Wraps a command action: runs it, maps thrown errors to messages and exit codes.
 * The action returns the exit code (0 when it returns nothing).
 */
export function commandAction<A extends unknown[]>(
  command: string,
  action: (...args: A) => Promise<number | undefined> | number | undefined,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const options = (args.find((arg) => typeof arg === 'object' && arg !== null && !Array.isArray(arg)) ??
      {}) as OutputOptions;
    try {
      process.exitCode = (await action(...args)) ?? 0;
    } catch (error) {
      process.exitCode = reportError(error, command, options);
    }
  };
}

/** The streams {@link wantsProgressBar} looks at (the process's own unless a test passes others). */
export interface TerminalStreams {
  readonly stdout: { readonly isTTY?: boolean };
  readonly stderr: { readonly isTTY?: boolean };
}

/**
 * Whether progress bars should draw: not with `--json`, and only when both stdout and stderr (where
 * the bar draws) are terminals, so output piped or redirected to a file stays free of bar redraws.
 */
export function wantsProgressBar(options: OutputOptions, streams: TerminalStreams = process): boolean {
  return !options.json && Boolean(streams.stdout.isTTY) && Boolean(streams.stderr.isTTY);
}
