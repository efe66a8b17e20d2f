// src/errors.ts — the one table of toonlora's coded errors: code, HTTP status, CLI exit code.
// Every thrown product error is a ToonloraError with a code from this table; messages name the
// parameter or file, the value that arrived and the fix (STYLE.md rule 2). Tests assert code and text.
// A fix the CLI and the web app word differently is data (`fix`, src/error-fix.ts): `message` holds it in the
// CLI's words, `text` and `fix` let the server put it in the web app's (src/jobs/job-error-hints.ts).
import { CLI_FIX_WORDS, type ErrorFix, putFix } from './error-fix.js';

interface ErrorSpec {
  /** HTTP status the server answers with. */
  readonly status: number;
  /** Process exit code the CLI ends with: 1 failure, 2 bad usage (a stop by signal is EXIT_INTERRUPTED, no error's). */
  readonly exit: 1 | 2;
}

export const ERRORS = {
  // usage and configuration
  TL_ERR_USAGE: { status: 400, exit: 2 },
  TL_ERR_CONFIG: { status: 400, exit: 2 },
  TL_ERR_CONFIG_FILE: { status: 400, exit: 2 },
  TL_ERR_NOT_IMPLEMENTED: { status: 501, exit: 1 },
  // files the user gave or asked for
  TL_ERR_INPUT_NOT_FOUND: { status: 404, exit: 1 },
  // there, but unusable (an unreadable dataset image, a truncated base checkpoint)
  TL_ERR_INPUT_INVALID: { status: 422, exit: 1 },
  TL_ERR_OUTPUT_EXISTS: { status: 409, exit: 1 },
  /** An output file could not be written (disk full, permissions changed during the run). */
  TL_ERR_OUTPUT_WRITE: { status: 500, exit: 1 },
  TL_ERR_IMAGE_DECODE: { status: 422, exit: 1 },
  // models, cache and downloads
  // an id the registry does not know is a typo in the command line: bad usage
  TL_ERR_MODEL_UNKNOWN: { status: 404, exit: 2 },
  TL_ERR_MODEL_MISSING: { status: 424, exit: 1 },
  TL_ERR_DOWNLOAD: { status: 502, exit: 1 },
  TL_ERR_CHECKSUM: { status: 502, exit: 1 },
  // LoRA files
  TL_ERR_SAFETENSORS: { status: 422, exit: 1 },
  TL_ERR_LORA_FORMAT: { status: 422, exit: 1 },
  // python worker
  TL_ERR_PYTHON_ENV: { status: 500, exit: 1 },
  TL_ERR_WORKER: { status: 500, exit: 1 },
  TL_ERR_WORKER_PROTOCOL: { status: 500, exit: 1 },
  TL_ERR_TRAINING_DIVERGED: { status: 500, exit: 1 },
  TL_ERR_GPU_OUT_OF_MEMORY: { status: 500, exit: 1 },
  // service
  TL_ERR_NOT_FOUND: { status: 404, exit: 1 },
  TL_ERR_UNAUTHORIZED: { status: 401, exit: 1 },
  TL_ERR_FORBIDDEN: { status: 403, exit: 1 },
  TL_ERR_CONFLICT: { status: 409, exit: 1 },
  TL_ERR_PAYLOAD_TOO_LARGE: { status: 413, exit: 1 },
  TL_ERR_UNSUPPORTED_MEDIA: { status: 415, exit: 1 },
  /** The job queue holds as many jobs as `serve --max-queued` allows. */
  TL_ERR_QUEUE_FULL: { status: 429, exit: 1 },
  /** Too many wrong tokens from one address: answered with Retry-After for a short while. */
  TL_ERR_TOO_MANY_REQUESTS: { status: 429, exit: 1 },
  /** The server is shutting down: it takes no new job. */
  TL_ERR_UNAVAILABLE: { status: 503, exit: 1 },
} as const satisfies Record<string, ErrorSpec>;

/**
 * The exit code of a command stopped by a signal rather than ending on its own: 128 + SIGINT, as the shell reports a
 * process Ctrl-C ended. A second Ctrl-C stops train, prep, serve and `toonlora worker` at once with it, and so does
 * a `models pull` stopped by Ctrl-C / SIGTERM.
 */
export const EXIT_INTERRUPTED = 130;

export type ErrorCode = keyof typeof ERRORS;

/**
 * A product error: a stable `code` from {@link ERRORS} and a message meant for the user. With a `fix`, `message` is
 * `text` with the fix in the CLI's words (CLI_FIX_WORDS); `text` holds no fix sentence (FIX_SLOT may mark its place).
 */
export class ToonloraError extends Error {
  readonly code: ErrorCode;
  /** Extra machine-readable facts (field path, file, model id); safe to show to the user. */
  readonly details: Readonly<Record<string, unknown>>;
  /** The fix the message names, as data (each side words it: src/error-fix.ts). */
  readonly fix: ErrorFix | undefined;
  /** The message as raised, without the fix's words (`message` when there is no fix). */
  readonly text: string;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown>; fix?: ErrorFix } = {},
  ) {
    super(
      putFix(message, options.fix, CLI_FIX_WORDS),
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'ToonloraError';
    this.code = code;
    this.details = options.details ?? {};
    this.fix = options.fix;
    this.text = message;
  }

  get exitCode(): 1 | 2 {
    return ERRORS[this.code].exit;
  }

  get httpStatus(): number {
    return ERRORS[this.code].status;
  }
}

export function isToonloraError(value: unknown): value is ToonloraError {
  return value instanceof ToonloraError;
}
