// src/models/download.ts — resumable HTTP(S) download of one file: a `.part` file resumed with `Range`
// only while the server's ETag matches the one stored beside it (`.part.json`), redirects followed by hand
// (the Hub puts `x-repo-commit` / `x-linked-etag` on its 302, not on the CDN's answer), progress callbacks,
// sha256 / md5 / size verification (a bad file is deleted, never kept as if good) and an atomic rename
// into place. Errors name the model, the URL and where to put the file by hand.
// The HTTP side lives in download-http.ts, the `.part` file's bookkeeping in download-part.ts, the shapes in
// download-types.ts; every name is re-exported here.
import { createHash } from 'node:crypto';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDiskFullError } from '../disk-full.js';
import {
  describeFetchError,
  downloadError,
  httpReason,
  parseContentRange,
  request,
  retryAfterMs,
  retryable,
} from './download-http.js';
import {
  canResume,
  contentTag,
  fileSize,
  hashExisting,
  lfsSha256,
  partTagPath,
  readPartTag,
  removePart,
  sizeMismatchError,
  verifyPart,
} from './download-part.js';
import {
  type DownloadOptions,
  type DownloadResult,
  DownloadStopped,
  NOT_WRITABLE_CODES,
} from './download-types.js';

export { describeFetchError, httpReason, parseContentRange } from './download-http.js';
export { commitDownload, contentTag, lfsSha256, partTagPath } from './download-part.js';
export {
  type DownloadOptions,
  type DownloadProgress,
  type DownloadResult,
  DownloadStopped,
  type ExpectedContent,
  type HubRef,
  NOT_WRITABLE_CODES,
} from './download-types.js';

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
  const listed = options.expected?.sizeBytes;
  if (listed !== undefined && totalBytes !== undefined && totalBytes !== listed) {
    await response.body?.cancel();
    throw await sizeMismatchError(options, listed, `the server sends ${totalBytes} bytes`);
  }
  let received = resumed;
  let tooLong = false;
  options.onProgress?.({ receivedBytes: received, totalBytes });
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      touch();
      sha256.update(chunk);
      md5.update(chunk);
      received += chunk.length;
      if (listed !== undefined && received > listed) {
        tooLong = true; // stop now: the rest of a file larger than listed would be thrown away anyway
        return callback(new Error('more bytes than listed'));
      }
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
    if (tooLong && listed !== undefined) {
      throw await sizeMismatchError(options, listed, `more than ${listed} bytes arrived`);
    }
    const code = (error as { code?: string }).code ?? '';
    if (NOT_WRITABLE_CODES.has(code)) throw error;
    // a write error names no path: the .part file is where the disk ran full
    if (isDiskFullError(error)) throw Object.assign(error as Error, { path: options.partPath });
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
 *   file-system errors with a code in {@link NOT_WRITABLE_CODES} or a full disk's (ENOSPC, EDQUOT: src/disk-full.ts) pass through for
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
