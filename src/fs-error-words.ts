// src/fs-error-words.ts — the one table of Node file-system error codes in words (EACCES 'permission denied', ENOSPC
// 'no space left on the disk', ELOOP 'a symbolic link loop ...'), shared by every message that names one: prep's
// inputs and its dataset swap, a full disk (disk-full.ts), pulls into toonlora's home, the server's data folder and
// its --port. A caller that means something more in its context (a swap's ENOENT: moved away during the run) says
// so around these words. Who must act (the CLI user, the server's owner) is the error's fix (error-fix.ts). Pure.

const FS_ERROR_WORDS = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'a read-only file system',
  ENOSPC: 'no space left on the disk',
  EDQUOT: 'disk quota exceeded',
  EBUSY: 'another program is using it',
  EMFILE: 'too many files open at once',
  ENFILE: 'too many files open on this machine',
  ENAMETOOLONG: 'the name is too long for the file system',
  EISDIR: 'a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  ENOENT: 'no such file or folder',
  ELOOP: 'a symbolic link loop (the link leads back to itself)',
  EXDEV: 'the two places are on different disks',
  EIO: 'an input/output error on the disk',
  ENXIO: 'a device or socket, not a file',
  ENOTEMPTY: 'the folder is not empty',
  EEXIST: 'it already exists',
} as const;

/** A file-system error code the table words. */
export type FsErrorCode = keyof typeof FS_ERROR_WORDS;

/** Codes of a write the file system refused: permissions, an immutable file (EPERM), a read-only mount. */
export const REFUSED_WRITE_CODES: ReadonlySet<string> = new Set<FsErrorCode>(['EACCES', 'EPERM', 'EROFS']);

/** `error.code` when it is a string (a Node file-system error's), else undefined (any other value too). */
export function fsErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A code's reason in words (`permission denied`), or undefined for a code the table does not hold. */
export function fsCodeWords(code: FsErrorCode): string;
export function fsCodeWords(code: string): string | undefined;
export function fsCodeWords(code: string): string | undefined {
  return Object.hasOwn(FS_ERROR_WORDS, code) ? FS_ERROR_WORDS[code as FsErrorCode] : undefined;
}

/**
 * An error's reason in words: the table's words for its code, the bare code for one the table does not hold, the
 * message of an error without a code, or the value itself as text.
 */
export function fsErrorWords(error: unknown): string {
  const code = fsErrorCode(error);
  if (code === undefined) return error instanceof Error ? error.message : String(error);
  return fsCodeWords(code) ?? code;
}

/** `EACCES: permission denied`: the code, then its words when the table has them. */
export function codeInWords(code: string): string {
  const words = fsCodeWords(code);
  return words === undefined ? code : `${code}: ${words}`;
}

/** An error's code in words (`EACCES: permission denied`, or the bare code the table lacks), else its message. */
export function errorCodeInWords(error: unknown): string {
  const code = fsErrorCode(error);
  return code === undefined ? fsErrorWords(error) : codeInWords(code);
}
