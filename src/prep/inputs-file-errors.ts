// src/prep/inputs-file-errors.ts — the words for a file or folder prep cannot open (pure): the system's error codes
// (ELOOP, EACCES, EISDIR, ENAMETOOLONG, ...) in the shared words (src/fs-error-words.ts), said the same way for the
// inputs named on the command line (inputs.ts) and each file's own reason (decode.ts).
import { fsErrorCode, fsErrorWords } from '../fs-error-words.js';

/** `cannot read the file: a symbolic link loop (the link leads back to itself) (ELOOP)`; `what` names a folder. */
export function fileErrorText(error: unknown, what: 'file' | 'folder' = 'file'): string {
  const code = fsErrorCode(error);
  const words = fsErrorWords(error);
  return code !== undefined && words !== code
    ? `cannot read the ${what}: ${words} (${code})`
    : `cannot read the ${what} (${words})`;
}
