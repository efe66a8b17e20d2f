// src/models/download.ts — resumable HTTP(S) download of one file: a `.part` file resumed with `Range`,
// redirects, progress callbacks, sha256 / md5 / size verification (a bad file is deleted, never kept as
// if good) and an atomic rename into place. Errors name the model, the URL and where to put the file by hand.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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
  fetchImpl?: typeof fetch;
}

export interface DownloadResult {
  partPath: string;
  bytes: number;
  /** Length of the `.part` file the download resumed from (0 for a fresh one). */
  resumedFromBytes: number;
  /** Response headers of the final request (e.g. Hugging Face's `x-repo-commit`). */
  headers: Headers;
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

async function hashExisting(path: string, hashes: Hash[]): Promise<void> {
  for await (const chunk of createReadStream(path)) {
    for (const hash of hashes) hash.update(chunk as Buffer);
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

function downloadError(options: DownloadOptions, reason: string, cause?: unknown): ToonloraError {
  return new ToonloraError(
    'TL_ERR_DOWNLOAD',
    `${options.modelId}: cannot download ${options.url}: ${reason}. Without network, download that URL on ` +
      `another machine and place the file at ${options.manualPath}`,
    { cause, details: { model: options.modelId, url: options.url, manualPath: options.manualPath } },
  );
}

async function request(options: DownloadOptions, fromByte: number, signal: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  if (fromByte > 0) headers.Range = `bytes=${fromByte}-`;
  try {
    return await (options.fetchImpl ?? fetch)(options.url, { headers, redirect: 'follow', signal });
  } catch (error) {
    throw downloadError(options, describeFetchError(error), error);
  }
}

/** Verifies what was written; a mismatch deletes the `.part` file and throws TL_ERR_CHECKSUM. */
async function verifyPart(options: DownloadOptions, bytes: number, sha256: Hash, md5: Hash): Promise<void> {
  const expected = options.expected ?? {};
  const problems: string[] = [];
  if (expected.sizeBytes !== undefined && expected.sizeBytes !== bytes) {
    problems.push(`size: expected ${expected.sizeBytes} bytes, got ${bytes}`);
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
  await rm(options.partPath, { force: true });
  throw new ToonloraError(
    'TL_ERR_CHECKSUM',
    `${options.modelId}: ${options.url} is corrupted (${problems.join('; ')}). The download was deleted; ` +
      `run the pull again, or place a good copy at ${options.manualPath}`,
    { details: { model: options.modelId, url: options.url } },
  );
}

/**
 * Downloads `options.url` into `options.partPath`, resuming a partial file with a `Range` request,
 * then verifies size / sha256 / md5. The `.part` file is left for the caller to move into place
 * (see {@link commitDownload}); an interrupted download keeps it so the next run resumes.
 * @throws ToonloraError TL_ERR_DOWNLOAD (network, HTTP status), TL_ERR_CHECKSUM (content mismatch).
 */
export async function downloadToPart(options: DownloadOptions, attempt = 0): Promise<DownloadResult> {
  await mkdir(dirname(options.partPath), { recursive: true });
  const existing = await fileSize(options.partPath);
  const controller = new AbortController();
  const idleMs = options.idleTimeoutMs ?? 60_000;
  let timer = setTimeout(() => controller.abort(), idleMs);
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), idleMs);
  };
  try {
    const response = await request(options, existing, controller.signal);
    touch();
    const range = parseContentRange(response.headers.get('content-range'));
    if (response.status === 416 && attempt === 0) {
      // The part is as long as the file (or longer): verify it as is, or start over once.
      await response.body?.cancel();
      if (range.total === existing) return await finishExisting(options, existing, response.headers);
      await rm(options.partPath, { force: true });
      return await downloadToPart(options, attempt + 1);
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw downloadError(options, `HTTP ${response.status} ${response.statusText}`.trim());
    }
    const resumed = response.status === 206 && range.start === existing ? existing : 0;
    if (response.status === 206 && resumed === 0 && existing > 0) {
      await response.body.cancel();
      await rm(options.partPath, { force: true });
      if (attempt > 0) throw downloadError(options, 'the server answered a range that does not fit the file');
      return await downloadToPart(options, attempt + 1);
    }
    const sha256 = createHash('sha256');
    const md5 = createHash('md5');
    if (resumed > 0) await hashExisting(options.partPath, [sha256, md5]);
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
      await pipeline(
        Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>),
        meter,
        createWriteStream(options.partPath, { flags: resumed > 0 ? 'a' : 'w' }),
      );
    } catch (error) {
      throw downloadError(
        options,
        `${describeFetchError(error)} after ${received} bytes; the partial file ${options.partPath} is kept ` +
          'and the next pull resumes it',
        error,
      );
    }
    await verifyPart(options, received, sha256, md5);
    return {
      partPath: options.partPath,
      bytes: received,
      resumedFromBytes: resumed,
      headers: response.headers,
    };
  } finally {
    clearTimeout(timer);
  }
}

async function finishExisting(
  options: DownloadOptions,
  bytes: number,
  headers: Headers,
): Promise<DownloadResult> {
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  await hashExisting(options.partPath, [sha256, md5]);
  await verifyPart(options, bytes, sha256, md5);
  return { partPath: options.partPath, bytes, resumedFromBytes: bytes, headers };
}

/** Moves a verified `.part` file to its final path atomically (copy + delete across file systems). */
export async function commitDownload(partPath: string, destPath: string): Promise<void> {
  await mkdir(dirname(destPath), { recursive: true });
  try {
    await rename(partPath, destPath);
  } catch (error) {
    if ((error as { code?: string }).code !== 'EXDEV') throw error;
    const staging = `${destPath}.tmp-${process.pid}`;
    await copyFile(partPath, staging);
    await rename(staging, destPath);
    await rm(partPath, { force: true });
  }
}

/** Downloads to `<destPath>.part` and renames it to `destPath` once verified. */
export async function downloadFile(
  options: Omit<DownloadOptions, 'partPath'> & { destPath: string },
): Promise<DownloadResult & { path: string }> {
  const result = await downloadToPart({ ...options, partPath: `${options.destPath}.part` });
  await commitDownload(result.partPath, options.destPath);
  return { ...result, path: options.destPath };
}
