// src/cli/output.ts — how every command reports: a human summary or `--json`, errors on stderr,
// and the exit codes (0 ok, 1 failure, 2 bad usage). Commands hold no other output logic.
import { isToonloraError } from '../errors.js';
import { visibleLines } from '../visible-text.js';

export interface OutputOptions {
  json?: boolean;
}

/** The streams a command's last word goes to (the process's own unless a test passes others). */
export interface FinalStreams {
  readonly stdout: { write(text: string, done: (error?: Error | null) => void): boolean };
  readonly stderr: { write(text: string): boolean };
}

/**
 * Writes a command's last word, `text`, to stdout; when stdout is closed (`toonlora train --events | head -1`: the
 * write fails with EPIPE) `fallback`, the human text, goes to stderr instead, so what the run did (a checkpoint to
 * resume from) still reaches the user. The fallback is written before the write's `error` event ends the process.
 */
export function writeFinal(text: string, fallback: string, streams: FinalStreams = process): void {
  streams.stdout.write(text, (error) => {
    if (error && fallback) streams.stderr.write(withNewline(fallback));
  });
}

function withNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

/**
 * Prints a command's result: the JSON document with `--json`, else the human text (to stderr, the human text, when
 * stdout is closed: {@link writeFinal}).
 */
export function printResult<T>(
  result: T,
  options: OutputOptions,
  human: (result: T) => string,
  streams: FinalStreams = process,
): void {
  // file names in the human text may hold terminal escapes or line breaks: shown escaped (JSON escapes its own)
  const text = visibleLines(human(result));
  if (options.json) writeFinal(`${JSON.stringify(result, null, 2)}\n`, text, streams);
  else if (text) writeFinal(withNewline(text), text, streams);
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
    process.stderr.write(`toonlora ${command}: ${visibleLines(error.message)} [${error.code}]\n`);
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

/**
 * How long work shows its progress: a bar on a terminal ({@link wantsProgressBar}); plain lines now and then when
 * output goes to a file or a pipe (a log that would otherwise look hung for minutes); nothing with `--json`,
 * whose stdout is the command's JSON (and its own events).
 */
export function progressMode(
  options: OutputOptions,
  streams: TerminalStreams = process,
): 'bar' | 'lines' | 'none' {
  if (options.json) return 'none';
  return wantsProgressBar(options, streams) ? 'bar' : 'lines';
}
