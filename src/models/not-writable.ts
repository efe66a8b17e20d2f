// src/models/not-writable.ts — turns a file-system refusal (EACCES, EPERM, EROFS, ENOTDIR) met while
// pulling into a ToonloraError that names the folder and the setting that moves it, not a stack trace.
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
  const folder = inHf ? roots.hfHubCache : roots.toonloraHome;
  const what = inHf ? 'the Hugging Face cache' : "toonlora's home";
  const setting = inHf ? 'HF_HOME (or HF_HUB_CACHE)' : 'TOONLORA_HOME';
  const reason = code === 'ENOTDIR' ? 'a part of the path is a file, not a folder' : 'permission denied';
  return new ToonloraError(
    'TL_ERR_CONFIG',
    `cannot write to ${what} ${folder} (${code}: ${reason}${path ? ` at ${path}` : ''}). ` +
      `Set ${setting} to a writable folder, or fix the folder's permissions`,
    { cause: error, details: { folder, path, code } },
  );
}
