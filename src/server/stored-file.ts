// src/server/stored-file.ts — opens (or checks) files from the data folder for a route to stream: a file that
// is gone (deleted by hand, a swapped disk) answers a 404 naming what is missing, said once to the operator (warn
// under `serve --log`, else stderr, its code in words), instead of a stream that fails with ENOENT after the reply
// has started.
import { existsSync, type ReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FastifyBaseLogger } from 'fastify';
import { ToonloraError } from '../errors.js';
import { codeInWords } from '../fs-error-words.js';
import {
  listSome,
  MISSING_FILE_CODES,
  missingStoredFileMessage,
  missingStoredFiles,
} from '../jobs/stored-files.js';
import { operatorLine } from './plugins/errors.js';

/** The 404 for stored files `paths` that are gone, said once (warn under --log, else stderr). */
function missingStoredFile(
  paths: readonly string[],
  code: string,
  message: string,
  log: FastifyBaseLogger,
): ToonloraError {
  const fields = paths.length === 1 ? { path: paths[0], code } : { paths, code };
  operatorLine(log, 'warn', fields, message, `${message} (${codeInWords(code)}: ${listSome(paths)})`);
  return new ToonloraError('TL_ERR_NOT_FOUND', message);
}

/**
 * Checks every file of a reply that streams several (a dataset zip) before its first byte, so a missing one
 * answers a 404 instead of a truncated reply. `files` pair each absolute path with its name in words (an item
 * key); `what` words the missing names and whether there are several ("the images of dataset x items a, b").
 * @throws ToonloraError TL_ERR_NOT_FOUND naming every missing file (the first 5, then a count)
 */
export async function checkStoredFiles(
  files: ReadonlyArray<{ path: string; name: string }>,
  what: (names: string, plural: boolean) => string,
  log: FastifyBaseLogger,
): Promise<void> {
  const missing = await missingStoredFiles(files);
  if (missing.length === 0) return;
  const plural = missing.length > 1;
  const message = missingStoredFileMessage(what(listSome(missing.map((f) => f.name)), plural), plural);
  throw missingStoredFile(
    missing.map((f) => f.path),
    'ENOENT',
    message,
    log,
  );
}

/**
 * Checks that stored file or folder `path` is there before work that reads it (a LoRA download converts it first).
 * @throws ToonloraError TL_ERR_NOT_FOUND, as openStoredFile, when it is not.
 */
export function checkStoredFile(path: string, what: string, log: FastifyBaseLogger): void {
  if (!existsSync(path)) throw missingStoredFile([path], 'ENOENT', missingStoredFileMessage(what), log);
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
    if (!code || !MISSING_FILE_CODES.has(code)) throw error;
    throw missingStoredFile([path], code, missingStoredFileMessage(what), log);
  }
}
