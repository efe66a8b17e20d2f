// src/output-folder.ts — whether a command can write its output folder (-o), checked before any work
// starts: the folder, or the nearest existing folder above it that `mkdir -p` would start from, must be
// a writable folder, not a file. Shared by prep, train and generate.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ToonloraError } from './errors.js';

/** The nearest path at or above `path` that exists (where `mkdir -p` would start). */
export function nearestExisting(path: string): string {
  let at = path;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  return at;
}

/**
 * @param hint the fix, e.g. `Choose a new or empty folder you can write to for -o.`
 * @throws ToonloraError TL_ERR_USAGE naming `dir`, why it cannot be written, and `hint`
 */
export function checkOutputFolder(dir: string, hint: string): void {
  const existing = nearestExisting(dir);
  const fail = (why: string, cause?: unknown) =>
    new ToonloraError('TL_ERR_USAGE', `${dir}: ${why}. ${hint}`, { cause, details: { file: dir } });
  if (!statSync(existing).isDirectory()) {
    throw fail(
      existing === dir
        ? 'this is a file, not a folder'
        : `${existing} is a file, so no folder can be made in it`,
    );
  }
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw fail(`${existing} is not writable (${(error as NodeJS.ErrnoException).code})`, error);
  }
}
