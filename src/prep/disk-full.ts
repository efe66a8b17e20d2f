// src/prep/disk-full.ts — a full disk (or quota) while prep writes: told apart from a file's own problem, so the run
// stops at the first one instead of failing every remaining file with libvips' raw "write error ... No space left
// on device" text, and reported once, naming -o, as train and convert report it. Pure.
import { ToonloraError } from '../errors.js';

const DISK_FULL_CODES: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT']);
/** sharp / libvips report a failed write as text only: "write error\nsystem error: No space left on device". */
const DISK_FULL_TEXT = /No space left on device|Disk quota exceeded/i;

/** Whether `error` (or an error it wraps as `cause`) says the disk or the user's quota is full. */
export function isDiskFullError(error: unknown): boolean {
  for (let at = error, depth = 0; at && depth < 5; depth++) {
    const code = (at as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && DISK_FULL_CODES.has(code)) return true;
    if (at instanceof Error && DISK_FULL_TEXT.test(at.message)) return true;
    at = at instanceof Error ? at.cause : undefined;
  }
  return false;
}

/**
 * TL_ERR_OUTPUT_WRITE for a prep run stopped by a full disk: names `outDir`, says nothing of this run was kept
 * (its staging folder was removed; a previous dataset there is as it was) and that the same command can run again.
 */
export function prepDiskFullError(outDir: string, cause: unknown): ToonloraError {
  return new ToonloraError(
    'TL_ERR_OUTPUT_WRITE',
    `${outDir}: cannot be written (the disk is full). prep stopped at the first file it could not write and kept ` +
      'nothing of this run (what was in the folder before is as it was). Free some space on that disk, then run the same prep again.',
    { cause, details: { file: outDir, errno: (cause as NodeJS.ErrnoException).code ?? 'ENOSPC' } },
  );
}
