// src/disk-full.ts — the one "disk full" detector and its words, shared by every writer (prep, train's run folder
// and kohya file, convert, pulls, the server's data folder): Node's ENOSPC / EDQUOT codes, libvips' text-only
// "No space left on device" (sharp), and either one wrapped as an error's `cause`; its words are the shared table's
// (fs-error-words.ts). Pure.
import { fsCodeWords } from './fs-error-words.js';

/** The two codes of a full disk: no space left, or the user's quota used up. */
export type DiskFullCode = 'ENOSPC' | 'EDQUOT';

/** A full disk found in an error: its code and, when the failing call named one, the path it wrote. */
export interface DiskFull {
  code: DiskFullCode;
  path?: string;
}

const DISK_FULL_CODES: ReadonlySet<string> = new Set<DiskFullCode>(['ENOSPC', 'EDQUOT']);
/** sharp / libvips report a failed write as text only: "write error\nsystem error: No space left on device". */
const NO_SPACE_TEXT = /No space left on device/i;
const QUOTA_TEXT = /Disk quota exceeded/i;
/** How many `cause` links are followed: wrappers are shallow, a cycle must not hang. */
const MAX_DEPTH = 5;

/** Whether `code` is one of a full disk's (ENOSPC, EDQUOT). */
export function isDiskFullCode(code: unknown): code is DiskFullCode {
  return typeof code === 'string' && DISK_FULL_CODES.has(code);
}

/** The code a message's text names (libvips, Python's strerror), else undefined. */
function codeInText(message: string): DiskFullCode | undefined {
  if (NO_SPACE_TEXT.test(message)) return 'ENOSPC';
  return QUOTA_TEXT.test(message) ? 'EDQUOT' : undefined;
}

/**
 * The full disk `error` says, or an error it wraps as `cause` says (a code first, then libvips' text), with the
 * path written (a copy's `dest`, else `path`), else undefined.
 */
export function diskFullFailure(error: unknown): DiskFull | undefined {
  for (let at = error, depth = 0; at && depth < MAX_DEPTH; depth++) {
    const { code, path, dest } = at as { code?: unknown; path?: unknown; dest?: unknown };
    const where = typeof dest === 'string' ? dest : typeof path === 'string' ? path : undefined;
    const found = isDiskFullCode(code) ? code : at instanceof Error ? codeInText(at.message) : undefined;
    if (found) return { code: found, ...(where ? { path: where } : {}) };
    at = at instanceof Error ? at.cause : undefined;
  }
  return undefined;
}

/** Whether `error` (or an error it wraps as `cause`) says the disk or the user's quota is full. */
export function isDiskFullError(error: unknown): boolean {
  return diskFullFailure(error) !== undefined;
}

/**
 * A full disk in words, the same in every message: `no space left on the disk (ENOSPC at /path)`,
 * `disk quota exceeded (EDQUOT)`.
 */
export function diskFullCause(code: string, path?: string): string {
  const reason = fsCodeWords(code === 'EDQUOT' ? 'EDQUOT' : 'ENOSPC');
  return `${reason} (${code}${path ? ` at ${path}` : ''})`;
}
