// src/models/not-writable.ts — turns a file-system refusal (EACCES, EPERM, EROFS, ENOTDIR) or a full disk
// (ENOSPC, EDQUOT) met while pulling, or found before it, into a ToonloraError that names the folder and the
// setting that moves it, not a stack trace.
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { z } from 'zod';
import { diskFullCause, diskFullFailure } from '../disk-full.js';
import { ToonloraError } from '../errors.js';
import { codeInWords } from '../fs-error-words.js';
import { formatBytes } from '../format-bytes.js';
import { NOT_WRITABLE_CODES } from './download.js';

/** The two roots a pull writes under, with the environment variables that move them. */
export interface WriteRoots {
  toonloraHome: string;
  hfHubCache: string;
}

function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * A TL_ERR_CONFIG error for a file-system refusal under one of `roots`, or undefined for any other error.
 * The message names the root, the path that failed and the setting to change (TOONLORA_HOME or HF_HOME).
 */
export function notWritableError(error: unknown, roots: WriteRoots): ToonloraError | undefined {
  const { code, path } = (error ?? {}) as { code?: string; path?: string };
  if (code === undefined || !NOT_WRITABLE_CODES.has(code)) return undefined;
  const inHf = path !== undefined && isInside(path, roots.hfHubCache);
  return rootError(roots, inHf, refusalCause(code, path), { path, code }, error);
}

/** A file-system refusal in words (src/fs-error-words.ts): `EACCES: permission denied at /path`. */
export function refusalCause(code: string, path?: string): string {
  return `${codeInWords(code)}${path ? ` at ${path}` : ''}`;
}

/**
 * The same TL_ERR_CONFIG error for a root found unwritable before any write (host/disk-probes.ts probeWritable).
 * @param inHf the Hugging Face cache (else toonlora's home)
 * @param problem probeWritable's answer, e.g. `/hf: EROFS`
 */
export function notWritableRootError(roots: WriteRoots, inHf: boolean, problem: string): ToonloraError {
  return rootError(roots, inHf, problem, { problem });
}

/**
 * The step a not-writable error names for whoever runs toonlora, as data (`details.fix`): the setting that moves
 * the folder and the sentence of the message that says it, so the server can word it for the web.
 */
export const notWritableFixSchema = z.object({ setting: z.string().min(1), said: z.string().min(1) });
export type NotWritableFix = z.infer<typeof notWritableFixSchema>;

function rootError(
  roots: WriteRoots,
  inHf: boolean,
  reason: string,
  details: Record<string, unknown>,
  cause?: unknown,
): ToonloraError {
  const { folder, what, setting } = rootNames(roots, inHf);
  const fix: NotWritableFix = {
    setting,
    said: `Set ${setting} to a writable folder, or fix the folder's permissions`,
  };
  return new ToonloraError('TL_ERR_CONFIG', `cannot write to ${what} ${folder} (${reason}). ${fix.said}`, {
    cause,
    details: { folder, ...details, fix },
  });
}

function rootNames(roots: WriteRoots, inHf: boolean) {
  return inHf
    ? { folder: roots.hfHubCache, what: 'the Hugging Face cache', setting: 'HF_HOME (or HF_HUB_CACHE)' }
    : { folder: roots.toonloraHome, what: "toonlora's home", setting: 'TOONLORA_HOME' };
}

function sizeOf(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

/**
 * A TL_ERR_OUTPUT_WRITE error for a full disk (ENOSPC, EDQUOT) under one of `roots`, or undefined for any other
 * error: it names the root, the path that failed (a copy's destination), the setting that moves the root, and
 * the `.part` file kept: a partial one the next pull resumes, or `verifiedPart`, a complete download whose move
 * into place failed, which the next pull moves without fetching it again.
 */
export function diskFullError(
  error: unknown,
  roots: WriteRoots,
  verifiedPart?: string,
): ToonloraError | undefined {
  const full = diskFullFailure(error);
  if (!full) return undefined;
  const { code } = full;
  // download.ts puts the .part's path on a write error that named none
  const { path, dest } = (error ?? {}) as { path?: string; dest?: string };
  const where = dest ?? path ?? full.path;
  const { folder, what, setting } = rootNames(
    roots,
    where !== undefined && isInside(where, roots.hfHubCache),
  );
  const partial = where?.endsWith('.part') ? sizeOf(where) : 0;
  const kept =
    verifiedPart !== undefined && sizeOf(verifiedPart) > 0
      ? ` The verified download ${verifiedPart} is kept: the next pull moves it into place without fetching it again.`
      : partial > 0
        ? ` The partial file ${where} (${formatBytes(partial)}) is kept: the next pull resumes it (delete it to free the space now).`
        : '';
  return new ToonloraError(
    'TL_ERR_OUTPUT_WRITE',
    `cannot write to ${what} ${folder}: ${diskFullCause(code, where)}. ` +
      `Free space there, or set ${setting} to a folder on a bigger disk.${kept}`,
    { cause: error, details: { folder, code, ...(where ? { path: where } : {}) } },
  );
}

/**
 * The TL_ERR_OUTPUT_WRITE error of a pull refused before any download: `needBytes` (the registry's sizes of the
 * files still missing, less their `.part` files) does not fit in the `freeBytes` left where they go.
 */
export function notEnoughSpaceError(
  id: string,
  roots: WriteRoots,
  inHf: boolean,
  needBytes: number,
  freeBytes: number,
): ToonloraError {
  const { folder, what, setting } = rootNames(roots, inHf);
  return new ToonloraError(
    'TL_ERR_OUTPUT_WRITE',
    `${id}: not enough free space in ${what} ${folder}: the download needs about ${formatBytes(needBytes)} ` +
      `and ${formatBytes(freeBytes)} is free there; nothing was downloaded. Free space there, or set ${setting} ` +
      'to a folder on a bigger disk',
    { details: { model: id, folder, needBytes, freeBytes } },
  );
}
