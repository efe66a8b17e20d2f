// src/jobs/data-folder-write.ts — a write the server's data folder refused (EACCES, EPERM, EROFS: permissions, an
// immutable folder, a read-only mount) or had no room for (ENOSPC, EDQUOT), met by a route or a job, in Node or
// in a Python worker's `[Errno N] ...: '<path>'` text, as a TL_ERR_OUTPUT_WRITE that names the data folder, the
// path and the cause (the CLI's wording: models/not-writable.ts) instead of "internal error". Its fix is data
// (`writable-output` of the `data` folder): `message` tells the server's operator (the log), the web app's words
// (job-error-hints.ts) tell whoever sees the failed job or the 500 that the server's owner must fix it. Pure.
import { isAbsolute, relative } from 'node:path';
import { diskFullCause, diskFullFailure, isDiskFullCode } from '../disk-full.js';
import { isToonloraError, ToonloraError } from '../errors.js';
import { REFUSED_WRITE_CODES } from '../fs-error-words.js';
import { refusalCause } from '../models/not-writable.js';

/** Linux errno numbers of those codes, as Python's OSError prints them (`[Errno 13] Permission denied: '/x'`). */
const PYTHON_ERRNO: Readonly<Record<string, string>> = {
  '1': 'EPERM',
  '13': 'EACCES',
  '30': 'EROFS',
  '28': 'ENOSPC',
  '122': 'EDQUOT',
};
const PYTHON_OS_ERROR = /\[Errno (\d+)\] [^:'\n]+(?:: '((?:[^'\\\n]|\\.)*)')?/;

interface WriteFailure {
  code: string;
  path?: string;
}

/** `[Errno 13] Permission denied: '/x'` in a worker's message: its code and path, else undefined. */
function pythonWriteFailure(message: string): WriteFailure | undefined {
  const python = PYTHON_OS_ERROR.exec(message);
  const code = python ? PYTHON_ERRNO[python[1] as string] : undefined;
  return python && code ? { code, ...(python[2] ? { path: python[2] } : {}) } : undefined;
}

/**
 * The code and path of a refused write in `error` or an error it wraps (`cause`), else of a full disk there
 * (src/disk-full.ts: libvips' text too), else undefined.
 */
function nodeWriteFailure(error: unknown): WriteFailure | undefined {
  for (let at = error, depth = 0; at && depth < 5; depth++) {
    const { code, path, dest } = at as { code?: unknown; path?: unknown; dest?: unknown };
    const where = typeof dest === 'string' ? dest : typeof path === 'string' ? path : undefined;
    if (typeof code === 'string' && REFUSED_WRITE_CODES.has(code))
      return { code, ...(where ? { path: where } : {}) };
    at = at instanceof Error ? at.cause : undefined;
  }
  return diskFullFailure(error);
}

function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * TL_ERR_OUTPUT_WRITE naming `dataDir` when `error` is a write refused or out of room inside it (or at a path
 * it does not name: a write to an open file), else undefined. A ToonloraError is mapped only when its message
 * carries a Python worker's OSError text for a path inside `dataDir`.
 */
export function dataFolderWriteError(error: unknown, dataDir: string): ToonloraError | undefined {
  // a product error says what failed already (prep's full disk names its -o); a worker's carries Python's text
  const failure = isToonloraError(error) ? pythonWriteFailure(error.message) : nodeWriteFailure(error);
  if (!failure) return undefined;
  const { code, path } = failure;
  if (path !== undefined ? !isInside(path, dataDir) : isToonloraError(error)) return undefined;
  const full = isDiskFullCode(code);
  const text = full
    ? `cannot write to the data folder ${dataDir}: ${diskFullCause(code, path)}.`
    : `cannot write to the data folder ${dataDir} (${refusalCause(code, path)}).`;
  return new ToonloraError('TL_ERR_OUTPUT_WRITE', text, {
    cause: error,
    fix: { kind: 'writable-output', folder: 'data', ...(full ? { full } : {}) },
    details: { folder: dataDir, code, ...(path ? { path } : {}) },
  });
}
