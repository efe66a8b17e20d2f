// src/jobs/stored-files.ts — which stored files of the data folder are gone (deleted by hand, a swapped disk) and
// that case in words: shared by the server's routes (server/stored-file.ts, a 404) and the jobs that read them
// (the train job's dataset export), so both name what is missing the same way.
import { stat } from 'node:fs/promises';

/** The errno codes that mean "the stored file is not there" (a folder where a file was counts too). */
export const MISSING_FILE_CODES: ReadonlySet<string> = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

/** The message for a stored file that is gone; `what` names it in words ("the stored screenshot a.png"). */
export function missingStoredFileMessage(what: string, plural = false): string {
  return `${what} ${plural ? 'are' : 'is'} missing from the server's data folder.`;
}

/** At most `max` of `names`, comma-separated, then how many more ("a, b, c and 4 more"). */
export function listSome(names: readonly string[], max = 5): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

/** Whether `path` is a regular file; false when it is gone or something else is there. */
async function isStoredFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (error) {
    if (MISSING_FILE_CODES.has((error as NodeJS.ErrnoException).code ?? '')) return false;
    throw error;
  }
}

/**
 * The entries of `files` (absolute `path`s) that are not regular files, in their order; all are checked at once.
 * @throws the stat error of a file that is there but cannot be checked (EACCES)
 */
export async function missingStoredFiles<T extends { path: string }>(files: readonly T[]): Promise<T[]> {
  const present = await Promise.all(files.map((file) => isStoredFile(file.path)));
  return files.filter((_, i) => !present[i]);
}
