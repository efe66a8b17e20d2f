// src/models/download-part.ts — the `.part` file of a download: its side file (`.part.json`) recording which
// content it holds and whether it may be resumed, hashing what it already holds, verifying size / sha256 / md5
// (a bad part is deleted) and the atomic move of a verified part into place.
import type { Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ToonloraError } from '../errors.js';
import { type DownloadOptions, DownloadStopped } from './download-types.js';

export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Feeds the file at `path` (a `.part` being resumed) to `hashes`; the stop signal ends it with DownloadStopped. */
export async function hashExisting(
  path: string,
  hashes: Hash[],
  signal: AbortSignal | undefined,
): Promise<void> {
  try {
    for await (const chunk of createReadStream(path, { signal })) {
      for (const hash of hashes) hash.update(chunk as Buffer);
    }
  } catch (error) {
    if (signal?.aborted) throw new DownloadStopped(path);
    throw error;
  }
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
export async function readPartTag(partPath: string): Promise<{ tag?: string } | undefined> {
  try {
    const parsed = JSON.parse(await readFile(partTagPath(partPath), 'utf8')) as { tag?: unknown };
    return { tag: typeof parsed.tag === 'string' ? parsed.tag : undefined };
  } catch {
    return undefined;
  }
}

export async function removePart(partPath: string): Promise<void> {
  await rm(partPath, { force: true });
  await rm(partTagPath(partPath), { force: true });
}

// A part can be resumed when the server names no content tag (nothing to compare) or the same one as
// when the part was started; a part without a side file under a tagged URL is of unknown origin.
export function canResume(stored: { tag?: string } | undefined, tag: string | undefined): boolean {
  return tag === undefined || stored?.tag === tag;
}

/**
 * The file is not the size its listing (the Hub's, or the registry's) states: the server's Content-Length says
 * so, or more bytes arrived than listed. Deletes the `.part`; a TL_ERR_CHECKSUM that says another pull fails the
 * same way (the listing and the file disagree), not to run it again.
 */
export async function sizeMismatchError(
  options: DownloadOptions,
  listedBytes: number,
  found: string,
): Promise<ToonloraError> {
  await removePart(options.partPath);
  return new ToonloraError(
    'TL_ERR_CHECKSUM',
    `${options.modelId}: ${options.url} does not match its listing: listed as ${listedBytes} bytes, but ${found}. ` +
      'The download was stopped and deleted; pulling again fails the same way until the repo (or mirror) serves ' +
      `the file its listing names: tell the repo's owner, or place a good copy at ${options.manualPath}`,
    { details: { model: options.modelId, url: options.url, listedBytes } },
  );
}

/** Verifies what was written; a mismatch deletes the `.part` file and throws TL_ERR_CHECKSUM. */
export async function verifyPart(
  options: DownloadOptions,
  bytes: number,
  sha256: Hash,
  md5: Hash,
): Promise<void> {
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
