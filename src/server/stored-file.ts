// src/server/stored-file.ts — opens a file from the data folder for a route to stream: a file that is gone
// (deleted by hand, a swapped disk) answers a 404 naming what is missing, logged once at warn, instead of
// a stream that fails with ENOENT after the reply has started.
import { existsSync, type ReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FastifyBaseLogger } from 'fastify';
import { ToonloraError } from '../errors.js';

const MISSING_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

/** The message for a stored file that is gone; `what` names it in words ("the stored screenshot a.png"). */
export function missingStoredFileMessage(what: string): string {
  return `${what} is missing from the server's data folder.`;
}

/** The 404 for stored file `path` that is gone, logged once at warn. */
function missingStoredFile(path: string, code: string, what: string, log: FastifyBaseLogger): ToonloraError {
  const message = missingStoredFileMessage(what);
  log.warn({ path, code }, message);
  return new ToonloraError('TL_ERR_NOT_FOUND', message);
}

/**
 * Checks that stored file or folder `path` is there before work that reads it (a LoRA download converts it first).
 * @throws ToonloraError TL_ERR_NOT_FOUND, as openStoredFile, when it is not.
 */
export function checkStoredFile(path: string, what: string, log: FastifyBaseLogger): void {
  if (!existsSync(path)) throw missingStoredFile(path, 'ENOENT', what, log);
}

/**
 * Opens `path` and returns a stream over it (the stream closes the file when it ends or fails).
 * @throws ToonloraError TL_ERR_NOT_FOUND when the file is not there; other open errors pass through.
 */
export async function openStoredFile(
  path: string,
  what: string,
  log: FastifyBaseLogger,
): Promise<ReadStream> {
  try {
    const handle = await open(path, 'r');
    // a directory opens on Linux but fails on read: answer it as missing before any byte is sent
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      throw Object.assign(new Error(`${path} is not a file`), { code: 'EISDIR' });
    }
    return handle.createReadStream();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!code || !MISSING_CODES.has(code)) throw error;
    throw missingStoredFile(path, code, what, log);
  }
}
