// src/models/not-writable.ts — turns a file-system refusal (EACCES, EPERM, EROFS, ENOTDIR) met while
// pulling, or found before it, into a ToonloraError that names the folder and the setting that moves
// it, not a stack trace.
import { isAbsolute, relative } from 'node:path';
import { ToonloraError } from '../errors.js';
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
  const reason = code === 'ENOTDIR' ? 'a part of the path is a file, not a folder' : 'permission denied';
  return rootError(roots, inHf, `${code}: ${reason}${path ? ` at ${path}` : ''}`, { path, code }, error);
}

/**
 * The same TL_ERR_CONFIG error for a root found unwritable before any write (env/probes.ts probeWritable).
 * @param inHf the Hugging Face cache (else toonlora's home)
 * @param problem probeWritable's answer, e.g. `/hf: EROFS`
 */
export function notWritableRootError(roots: WriteRoots, inHf: boolean, problem: string): ToonloraError {
  return rootError(roots, inHf, problem, { problem });
}

function rootError(
  roots: WriteRoots,
  inHf: boolean,
  reason: string,
  details: Record<string, unknown>,
  cause?: unknown,
): ToonloraError {
  const folder = inHf ? roots.hfHubCache : roots.toonloraHome;
  const what = inHf ? 'the Hugging Face cache' : "toonlora's home";
  const setting = inHf ? 'HF_HOME (or HF_HUB_CACHE)' : 'TOONLORA_HOME';
  return new ToonloraError(
    'TL_ERR_CONFIG',
    `cannot write to ${what} ${folder} (${reason}). ` +
      `Set ${setting} to a writable folder, or fix the folder's permissions`,
    { cause, details: { folder, ...details } },
  );
}
