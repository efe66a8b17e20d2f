// src/models/download-types.ts — the shapes a download is described and answered with (options, expected
// content, progress, result, the Hub repo errors name), the stop error that keeps the `.part` file, and the
// file-system error codes that pass through to the caller untouched.
import { REFUSED_WRITE_CODES } from '../fs-error-words.js';

export interface DownloadProgress {
  receivedBytes: number;
  /** Whole file size when the server said it (Content-Length / Content-Range). */
  totalBytes?: number;
}

export interface ExpectedContent {
  sha256?: string;
  md5?: string;
  /** Exact size in bytes; only pass sizes known to be exact. */
  sizeBytes?: number;
  /**
   * Smallest plausible size, checked only when no sha256 / md5 is known (neither expected nor stated by the Hub):
   * a mirror's error page or a captive portal's answer is not taken for a model.
   */
  minBytes?: number;
}

export interface DownloadOptions {
  url: string;
  /** Partial file; kept between runs so the next run resumes from its length. */
  partPath: string;
  /** Model id and the path where the user may place the file by hand: both appear in error messages. */
  modelId: string;
  manualPath: string;
  expected?: ExpectedContent;
  headers?: Record<string, string>;
  onProgress?: (progress: DownloadProgress) => void;
  /** Abort when no byte arrives for this long (connect included). */
  idleTimeoutMs?: number;
  /** For a Hugging Face file: the repo and its Hub page, named when the Hub refuses access (a gated repo). */
  hub?: HubRef;
  /** Further tries after a dropped connection, a 5xx or a 429, each resuming from the `.part` (default 4). */
  retries?: number;
  /** Wait before the first retry, doubled for each next one (default 1000 ms); a Retry-After header wins. */
  retryDelayMs?: number;
  /** Told before each retry: why, the wait, and the try about to start (2 for the first retry). */
  onRetry?: (info: { reason: string; waitMs: number; attempt: number; attempts: number }) => void;
  /** The caller's stop (Ctrl-C): aborts the request and throws {@link DownloadStopped}, keeping the `.part`. */
  signal?: AbortSignal;
  fetchImpl?: typeof fetch;
}

/** A download ended by the caller's stop signal (Ctrl-C / SIGTERM); the `.part` file is kept for the next run. */
export class DownloadStopped extends Error {
  constructor(readonly partPath: string) {
    super(`stopped; the partial file ${partPath} is kept and the next pull resumes it`);
    this.name = 'DownloadStopped';
  }
}

/** A Hub repo as error messages name it: `owner/name` and its page (`<endpoint>/<repo>`). */
export interface HubRef {
  repo: string;
  page: string;
  /** The revision asked for (a listing's); a 404 at one other than main names it (download-http.ts httpReason). */
  revision?: string;
}

export interface DownloadResult {
  partPath: string;
  bytes: number;
  /** Length of the `.part` file the download resumed from (0 for a fresh one). */
  resumedFromBytes: number;
  /**
   * Headers of the first response, before any redirect: where the Hub sends `x-repo-commit` and
   * `x-linked-etag` (its 302 to the CDN carries them, the CDN's 200 does not).
   */
  headers: Headers;
}

/** File-system errors that mean "this folder cannot be written" (a refused write, or a file where a folder goes);
 * they pass through untouched. */
export const NOT_WRITABLE_CODES: ReadonlySet<string> = new Set([...REFUSED_WRITE_CODES, 'ENOTDIR']);
