// src/output-folder.ts — whether a command can write its output folder (-o), checked before any work
// starts: the folder, or the nearest existing folder above it that `mkdir -p` would start from, must be
// a writable folder, not a file. Shared by prep, train and generate.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ErrorFix } from './error-fix.js';
import { ToonloraError } from './errors.js';
import { errorCodeInWords } from './fs-error-words.js';

/** The nearest path at or above `path` that exists (where `mkdir -p` would start). */
export function nearestExisting(path: string): string {
  let at = path;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  return at;
}

/**
 * @param hint the fix, e.g. `Choose a new or empty folder you can write to for -o.`, or as data (src/error-fix.ts:
 *   a server job's run or output folder, which the web app words its own way)
 * @throws ToonloraError TL_ERR_USAGE naming `dir`, why it cannot be written, and `hint`
 */
export function checkOutputFolder(dir: string, hint: string | ErrorFix): void {
  const existing = nearestExisting(dir);
  const fail = (why: string, cause?: unknown) =>
    typeof hint === 'string'
      ? new ToonloraError('TL_ERR_USAGE', `${dir}: ${why}. ${hint}`, { cause, details: { file: dir } })
      : new ToonloraError('TL_ERR_USAGE', `${dir}: ${why}.`, { cause, details: { file: dir }, fix: hint });
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
    throw fail(`${existing} is not writable (${errorCodeInWords(error)})`, error);
  }
}

/**
 * `mkdir -p` one level at a time from the nearest existing folder. Node's own recursive mkdir retries
 * forever at 100% CPU when a level fails with ENOENT under a parent that exists (a pseudo filesystem
 * such as /proc), and cannot be interrupted; here the first level that cannot be made fails.
 * @returns the path of the folder that could not be made and the error, or null when `dir` exists now
 */
export async function makeFolders(
  dir: string,
): Promise<{ folder: string; error: NodeJS.ErrnoException } | null> {
  const missing: string[] = [];
  for (let at = dir; !existsSync(at) && dirname(at) !== at; at = dirname(at)) missing.unshift(at);
  for (const folder of missing) {
    try {
      await mkdir(folder);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(folder, { throwIfNoEntry: false })?.isDirectory()) continue; // made meanwhile
      return { folder, error: error as NodeJS.ErrnoException };
    }
  }
  return null;
}

/** The first `max` names, then how many more: `notes.txt, mine.jpg, and 3 more`. */
export function namesInBrief(names: readonly string[], max = 5): string {
  const more = names.length - max;
  return names.slice(0, max).join(', ') + (more > 0 ? `, and ${more} more` : '');
}

/** `1 entry`, `3 entries`: a count of a folder's entries in words. */
export function entriesInWords(count: number): string {
  return `${count} ${count === 1 ? 'entry' : 'entries'}`;
}
