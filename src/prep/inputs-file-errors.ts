// src/prep/inputs-file-errors.ts — the words for a file or folder prep cannot open (pure): one mapping of the
// system's error codes (ELOOP, EACCES, EISDIR, ENAMETOOLONG, ...) shared by the inputs named on the command line
// (inputs.ts) and each file's own reason (decode.ts).

/** What each error code means to someone who named the file. */
const FILE_ERROR_WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or folder',
  ELOOP: 'a symbolic link loop (the link leads back to itself)',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'a folder, not a file',
  ENOTDIR: 'a part of its path is a file, not a folder',
  ENAMETOOLONG: 'the name is too long for the file system',
  EIO: 'an input/output error on the disk',
  ENXIO: 'a device or socket, not a file',
  EMFILE: 'too many files open at once',
};

/** `a symbolic link loop (the link leads back to itself)`, or the bare code for one not mapped. */
export function fileErrorWords(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined) return error instanceof Error ? error.message : String(error);
  return FILE_ERROR_WORDS[code] ?? code;
}

/** `cannot read the file: a symbolic link loop (the link leads back to itself) (ELOOP)`; `what` names a folder. */
export function fileErrorText(error: unknown, what: 'file' | 'folder' = 'file'): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const words = fileErrorWords(error);
  return code !== undefined && words !== code
    ? `cannot read the ${what}: ${words} (${code})`
    : `cannot read the ${what} (${words})`;
}
