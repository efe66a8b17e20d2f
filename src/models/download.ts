// src/models/download.ts — resumable HTTP(S) download of one file: a `.part` file resumed with `Range`
// only while the server's ETag matches the one stored beside it (`.part.json`), redirects followed by hand
// (the Hub puts `x-repo-commit` / `x-linked-etag` on its 302, not on the CDN's answer), progress callbacks,
// sha256 / md5 / size verification (a bad file is deleted, never kept as if good) and an atomic rename
// into place. Errors name the model, the URL and where to put the file by hand.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ToonloraError } from '../errors.js';

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

/** File-system errors that mean "this folder cannot be written"; they pass through untouched. */
export const NOT_WRITABLE_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR']);
/** File-system errors that mean "the disk (or the user's quota) is full"; they pass through with the path. */
export const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);
const MAX_REDIRECTS = 10;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Errors worth another try, resuming from the `.part`, with the wait a server asked for (0: the usual backoff). */
const retryable = new WeakMap<object, { waitMs: number; reason: string }>();
const MAX_RETRY_AFTER_MS = 60_000;

/** A connection that was made and then dropped: worth another try (a refused or unresolved one is not). */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET']);

/** The wait a 429 / 503 asks for in Retry-After (seconds or an HTTP date), capped at a minute; 0 if none. */
function retryAfterMs(headers: Headers): number {
  const value = headers.get('retry-after');
  if (value === null) return 0;
  const ms = /^\d+$/.test(value.trim()) ? Number(value) * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : 0;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ECONNRESET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Short reason for a failed request: the system error code and text, with a no-network hint. */
export function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const code = cause?.code ?? (error as { code?: string } | undefined)?.code;
  const message = cause?.message ?? (error instanceof Error ? error.message : String(error));
  if (error instanceof Error && error.name === 'AbortError') return 'no data arrived in time (no network?)';
  if (code && NETWORK_CODES.has(code)) return `${message} (no network?)`;
  return message;
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Feeds the file at `path` (a `.part` being resumed) to `hashes`; the stop signal ends it with DownloadStopped. */
async function hashExisting(path: string, hashes: Hash[], signal: AbortSignal | undefined): Promise<void> {
  try {
    for await (const chunk of createReadStream(path, { signal })) {
      for (const hash of hashes) hash.update(chunk as Buffer);
    }
  } catch (error) {
    if (signal?.aborted) throw new DownloadStopped(path);
    throw error;
  }
}

// `bytes 100-199/200` -> {start: 100, total: 200}; `bytes * /200` (no space) -> {total: 200}.
/** Parses a Content-Range header into the first byte and the whole length it names. */
export function parseContentRange(header: string | null): { start?: number; total?: number } {
  const match = header?.match(/^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/i);
  if (!match) return {};
  return {
    start: match[1] === undefined ? undefined : Number(match[1]),
    total: match[2] === '*' || match[2] === undefined ? undefined : Number(match[2]),
  };
}

/**
 * What an HTTP error status means, for a file or a listing: with `hub` set, a refusal (401 / 403) names a gated
 * or private repo and the two ways to give toonlora a token, and a 404 a file or revision not on the Hub (the
 * Hub's `X-Error-Code` header says which, when it is sent). No "without network" hint: the network worked.
 */
export function httpReason(status: number, statusText: string, headers: Headers, hub?: HubRef): string {
  const what = `HTTP ${status} ${statusText}`.trim();
  const hubCode = headers.get('x-error-code');
  if (hub && (hubCode === 'RepoNotFound' || hubCode === 'RevisionNotFound' || hubCode === 'EntryNotFound')) {
    const missing = { RepoNotFound: 'the repo', RevisionNotFound: 'the revision', EntryNotFound: 'the file' }[
      hubCode
    ];
    return `${what}: ${missing} is not on the Hub (${hub.page}; a private repo looks the same without a token)`;
  }
  if (hub && (status === 401 || status === 403 || hubCode === 'GatedRepo')) {
    return (
      `${what}: ${hub.repo} is gated or private, or the token was refused. Accept its terms on ${hub.page} ` +
      '(logged in), then set HF_TOKEN to a token of that account or run `hf auth login`'
    );
  }
  if (status === 401 || status === 403) return `${what}: the server refused access`;
  if (status === 404) {
    return hub
      ? `${what}: the file or revision is not on the Hub (${hub.page}; check HF_ENDPOINT if it is a mirror)`
      : `${what}: the file is not at that URL`;
  }
  if (status === 429 || status >= 500) return `${what}: the server is busy or failing; try again later`;
  return what;
}

/**
 * A TL_ERR_DOWNLOAD error: model, URL, reason and where to place the file by hand; `network` (the request or
 * the body failed) adds how to do that without network.
 */
function downloadError(
  options: DownloadOptions,
  reason: string,
  cause?: unknown,
  network = true,
): ToonloraError {
  const byHand = network
    ? `Without network, download that URL on another machine and place the file at ${options.manualPath}`
    : `Or place the file at ${options.manualPath} by hand`;
  return new ToonloraError(
    'TL_ERR_DOWNLOAD',
    `${options.modelId}: cannot download ${options.url}: ${reason}. ${byHand}`,
    {
      cause,
      details: { model: options.modelId, url: options.url, manualPath: options.manualPath },
    },
  );
}

interface Fetched {
  response: Response;
  /** Headers of the first response (the URL itself), before redirects. */
  firstHeaders: Headers;
}

// Redirects are followed by hand to keep the first response's headers; like huggingface_hub (requests),
// the Authorization header is not sent on to another host (the CDN).
async function request(options: DownloadOptions, fromByte: number, signal: AbortSignal): Promise<Fetched> {
  // identity: a compressed body's length is not the file's (progress totals, Range offsets), as huggingface_hub;
  // fetch adds it itself to a Range request
  const headers: Record<string, string> = { ...options.headers };
  if (fromByte > 0) headers.Range = `bytes=${fromByte}-`;
  else headers['Accept-Encoding'] = 'identity';
  let url = options.url;
  let firstHeaders: Headers | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
    let response: Response;
    try {
      response = await (options.fetchImpl ?? fetch)(url, { headers, redirect: 'manual', signal });
    } catch (error) {
      if (options.signal?.aborted) throw new DownloadStopped(options.partPath);
      const reason = describeFetchError(error);
      const failed = downloadError(options, reason, error);
      const code = (error as { cause?: { code?: string } }).cause?.code ?? '';
      if (RESET_CODES.has(code)) retryable.set(failed, { waitMs: 0, reason });
      throw failed;
    }
    firstHeaders ??= response.headers;
    const location = response.headers.get('location');
    if (!REDIRECT_STATUSES.has(response.status) || !location) return { response, firstHeaders };
    await response.body?.cancel();
    const next = new URL(location, url);
    if (next.origin !== new URL(url).origin) delete headers.Authorization;
    url = next.href;
  }
  throw downloadError(options, `more than ${MAX_REDIRECTS} redirects`, undefined, false);
}

function unquoteEtag(value: string | null): string | undefined {
  return value === null ? undefined : value.replace(/^W\//, '').replaceAll('"', '');
}

/**
 * What identifies the content being fetched, to tell whether a `.part` file belongs to it: the Hub's
 * `x-linked-etag` (an LFS file's sha256), else the first or final ETag, else the Hub's `x-repo-commit`.
 */
export function contentTag(first: Headers, final: Headers): string | undefined {
  return (
    unquoteEtag(first.get('x-linked-etag')) ??
    unquoteEtag(first.get('etag')) ??
    unquoteEtag(final.get('etag')) ??
    first.get('x-repo-commit') ??
    undefined
  );
}

/** The sha256 the Hub states for an LFS file (`x-linked-etag`), when it is one. */
export function lfsSha256(first: Headers): string | undefined {
  const tag = unquoteEtag(first.get('x-linked-etag'));
  return tag !== undefined && /^[0-9a-f]{64}$/.test(tag) ? tag : undefined;
}

/** The side file that records which content a `.part` file holds. */
export function partTagPath(partPath: string): string {
  return `${partPath}.json`;
}

/** The tag stored beside a `.part` file: undefined when there is no side file (older toonlora). */
async function readPartTag(partPath: string): Promise<{ tag?: string } | undefined> {
  try {
    const parsed = JSON.parse(await readFile(partTagPath(partPath), 'utf8')) as { tag?: unknown };
    return { tag: typeof parsed.tag === 'string' ? parsed.tag : undefined };
  } catch {
    return undefined;
  }
}

async function removePart(partPath: string): Promise<void> {
  await rm(partPath, { force: true });
  await rm(partTagPath(partPath), { force: true });
}

// A part can be resumed when the server names no content tag (nothing to compare) or the same one as
// when the part was started; a part without a side file under a tagged URL is of unknown origin.
function canResume(stored: { tag?: string } | undefined, tag: string | undefined): boolean {
  return tag === undefined || stored?.tag === tag;
}

/** Verifies what was written; a mismatch deletes the `.part` file and throws TL_ERR_CHECKSUM. */
async function verifyPart(options: DownloadOptions, bytes: number, sha256: Hash, md5: Hash): Promise<void> {
  const expected = options.expected ?? {};
  const problems: string[] = [];
  if (expected.sizeBytes !== undefined && expected.sizeBytes !== bytes) {
    problems.push(`size: expected ${expected.sizeBytes} bytes, got ${bytes}`);
  }
  const unverified = expected.sha256 === undefined && expected.md5 === undefined;
  if (unverified && expected.minBytes !== undefined && bytes < expected.minBytes) {
    problems.push(
      `size: ${bytes} bytes, far below the ${expected.minBytes * 10} or so expected (an error page instead of the file?)`,
    );
  }
  if (expected.sha256 !== undefined) {
    const actual = sha256.digest('hex');
    if (actual !== expected.sha256) problems.push(`sha256: expected ${expected.sha256}, got ${actual}`);
  }
  if (expected.md5 !== undefined) {
    const actual = md5.digest('hex');
    if (actual !== expected.md5) problems.push(`md5: expected ${expected.md5}, got ${actual}`);
  }
  if (problems.length === 0) return;
  await removePart(options.partPath);
  throw new ToonloraError(
    'TL_ERR_CHECKSUM',
    `${options.modelId}: ${options.url} is corrupted (${problems.join('; ')}). The download was deleted; ` +
      `run the pull again, or place a good copy at ${options.manualPath}`,
    { details: { model: options.modelId, url: options.url } },
  );
}

/** An abort signal that fires when `touch` was not called for `idleMs`. */
function idleWatch(idleMs: number) {
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(), idleMs);
  return {
    signal: controller.signal,
    touch() {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(), idleMs);
    },
    stop: () => clearTimeout(timer),
  };
}

/** Streams the body into the part file (appending after `resumed` bytes), hashing as it goes. */
async function streamBody(options: DownloadOptions, response: Response, resumed: number, touch: () => void) {
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  if (resumed > 0) await hashExisting(options.partPath, [sha256, md5], options.signal);
  const range = parseContentRange(response.headers.get('content-range'));
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  const totalBytes = range.total ?? (Number.isFinite(length) ? resumed + length : undefined);
  let received = resumed;
  options.onProgress?.({ receivedBytes: received, totalBytes });
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      touch();
      sha256.update(chunk);
      md5.update(chunk);
      received += chunk.length;
      options.onProgress?.({ receivedBytes: received, totalBytes });
      callback(null, chunk);
    },
  });
  try {
    // opened before the first byte arrives: a body that fails at once still leaves the .part the message names
    const part = await open(options.partPath, resumed > 0 ? 'a' : 'w');
    await pipeline(
      Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>),
      meter,
      part.createWriteStream(),
    );
  } catch (error) {
    if (options.signal?.aborted) throw new DownloadStopped(options.partPath);
    const code = (error as { code?: string }).code ?? '';
    if (NOT_WRITABLE_CODES.has(code)) throw error;
    // a write error names no path: the .part file is where the disk ran full
    if (DISK_FULL_CODES.has(code)) throw Object.assign(error as Error, { path: options.partPath });
    const reason = `${describeFetchError(error)} after ${received} bytes`;
    const failed = downloadError(
      options,
      `${reason}; the partial file ${options.partPath} is kept and the next pull resumes it`,
      error,
    );
    retryable.set(failed, { waitMs: 0, reason }); // the connection was made: a dropped or stalled body is tried again
    throw failed;
  }
  return { received, sha256, md5 };
}

/**
 * Downloads `options.url` into `options.partPath`, resuming a partial file with a `Range` request when
 * its stored content tag still matches (else it starts over), then verifies size / sha256 / md5 — and,
 * where none is expected, the sha256 the Hub states in `x-linked-etag`. The `.part` file is left for
 * the caller to move into place (see {@link commitDownload}); an interrupted download keeps it. A dropped
 * connection, a stalled body, a 5xx or a 429 is tried again `retries` times with a doubling wait (Retry-After
 * when the server sends one), resuming from the `.part`; a refused connection or an unknown host is not.
 * @throws ToonloraError TL_ERR_DOWNLOAD (network, HTTP status), TL_ERR_CHECKSUM (content mismatch);
 *   file-system errors with a code in {@link NOT_WRITABLE_CODES} or {@link DISK_FULL_CODES} pass through for
 *   the caller to name (a full disk while writing the `.part` file carries its path).
 */
export async function downloadToPart(options: DownloadOptions): Promise<DownloadResult> {
  const attempts = 1 + (options.retries ?? 4);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await downloadOnce(options);
    } catch (error) {
      const retry = typeof error === 'object' && error !== null ? retryable.get(error) : undefined;
      if (retry === undefined || attempt >= attempts || options.signal?.aborted) throw error;
      const waitMs = retry.waitMs || (options.retryDelayMs ?? 1000) * 2 ** (attempt - 1);
      const reason = retry.reason;
      options.onRetry?.({ reason, waitMs, attempt: attempt + 1, attempts });
      try {
        await sleep(waitMs, undefined, { signal: options.signal });
      } catch {
        throw new DownloadStopped(options.partPath);
      }
    }
  }
}

/** One try of {@link downloadToPart}; `attempt` counts its own restarts (a changed ETag, a 416). */
async function downloadOnce(options: DownloadOptions, attempt = 0): Promise<DownloadResult> {
  await mkdir(dirname(options.partPath), { recursive: true });
  const existing = await fileSize(options.partPath);
  const stored = existing > 0 ? await readPartTag(options.partPath) : undefined;
  const idle = idleWatch(options.idleTimeoutMs ?? 60_000);
  const signal = options.signal ? AbortSignal.any([idle.signal, options.signal]) : idle.signal;
  try {
    if (options.signal?.aborted) throw new DownloadStopped(options.partPath);
    const { response, firstHeaders } = await request(options, existing, signal);
    idle.touch();
    const tag = contentTag(firstHeaders, response.headers);
    const wantSha256 = options.expected?.sha256 ?? lfsSha256(firstHeaders);
    const checked = { ...options, expected: { ...options.expected, sha256: wantSha256 } };
    const range = parseContentRange(response.headers.get('content-range'));
    const restart = async (reason?: string) => {
      await response.body?.cancel();
      await removePart(options.partPath);
      if (attempt > 0 && reason) throw downloadError(options, reason, undefined, false);
      return await downloadOnce(options, attempt + 1);
    };
    // A 416 often carries no ETag: the tag then falls back to the Hub's commit, which a part tagged with the
    // CDN's ETag never matches. A part this code tagged, as long as the file, is verified instead (finishExisting).
    const untagged416 =
      response.status === 416 &&
      stored?.tag !== undefined &&
      !response.headers.has('etag') &&
      !firstHeaders.has('etag') &&
      !firstHeaders.has('x-linked-etag');
    if (existing > 0 && !untagged416 && !canResume(stored, tag)) return await restart();
    if (response.status === 416 && attempt === 0) {
      // The part is as long as the file (or longer): verify it as is, or start over once.
      if (range.total !== existing) return await restart();
      await response.body?.cancel();
      return await finishExisting(checked, existing, firstHeaders);
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      const reason = httpReason(response.status, response.statusText, response.headers, options.hub);
      const failed = downloadError(options, reason, undefined, false);
      if (response.status === 429 || response.status >= 500) {
        const status = `HTTP ${response.status} ${response.statusText}`.trim();
        retryable.set(failed, { waitMs: retryAfterMs(response.headers), reason: status });
      }
      throw failed;
    }
    const resumed = response.status === 206 && range.start === existing ? existing : 0;
    if (response.status === 206 && resumed === 0 && existing > 0) {
      return await restart('the server answered a range that does not fit the file');
    }
    await writeFile(partTagPath(options.partPath), JSON.stringify({ url: options.url, tag }));
    const { received, sha256, md5 } = await streamBody(options, response, resumed, idle.touch);
    await verifyPart(checked, received, sha256, md5);
    return { partPath: options.partPath, bytes: received, resumedFromBytes: resumed, headers: firstHeaders };
  } finally {
    idle.stop();
  }
}

async function finishExisting(
  options: DownloadOptions,
  bytes: number,
  headers: Headers,
): Promise<DownloadResult> {
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  await hashExisting(options.partPath, [sha256, md5], options.signal);
  await verifyPart(options, bytes, sha256, md5);
  return { partPath: options.partPath, bytes, resumedFromBytes: bytes, headers };
}

/**
 * Moves a verified `.part` file to its final path atomically (copy + delete across file systems), then drops
 * its tag file: a move that failed (a full disk) leaves the part and its tag, so the next run verifies the
 * part (the server answers its Range with 416) instead of fetching it again. A failed copy leaves no staging file.
 */
export async function commitDownload(partPath: string, destPath: string): Promise<void> {
  await mkdir(dirname(destPath), { recursive: true });
  try {
    await rename(partPath, destPath);
  } catch (error) {
    if ((error as { code?: string }).code !== 'EXDEV') throw error;
    const staging = `${destPath}.tmp-${process.pid}`;
    try {
      await copyFile(partPath, staging);
      await rename(staging, destPath);
    } catch (copyError) {
      await rm(staging, { force: true });
      throw copyError;
    }
    await rm(partPath, { force: true });
  }
  await rm(partTagPath(partPath), { force: true });
}

/** Downloads to `<destPath>.part` and renames it to `destPath` once verified. */
export async function downloadFile(
  options: Omit<DownloadOptions, 'partPath'> & { destPath: string },
): Promise<DownloadResult & { path: string }> {
  const result = await downloadToPart({ ...options, partPath: `${options.destPath}.part` });
  await commitDownload(result.partPath, options.destPath);
  return { ...result, path: options.destPath };
}
