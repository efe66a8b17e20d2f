// src/prep/disk-full.ts — prep's words for a full disk (or quota) met while it writes: the run stops at the first
// one (src/disk-full.ts tells it apart from a file's own problem, libvips' raw "write error ... No space left on
// device" text included) and it is reported once, naming -o, as train and convert report it. Pure.
import { diskFullCause, diskFullFailure } from '../disk-full.js';
import { ToonloraError } from '../errors.js';

/**
 * TL_ERR_OUTPUT_WRITE for a prep run stopped by a full disk: names `outDir` and the cause, says nothing of this
 * run was kept (its staging folder was removed; a previous dataset there is as it was) and that the same command
 * can run again.
 */
export function prepDiskFullError(outDir: string, cause: unknown): ToonloraError {
  const { code, path } = diskFullFailure(cause) ?? { code: 'ENOSPC' };
  return new ToonloraError(
    'TL_ERR_OUTPUT_WRITE',
    `${outDir}: cannot be written: ${diskFullCause(code, path)}. prep stopped at the first file it could not write and kept ` +
      'nothing of this run (what was in the folder before is as it was). Free some space on that disk, then run the same prep again.',
    { cause, details: { file: outDir, errno: code } },
  );
}
