// src/disk-full.test.ts — the one "disk full" detector: Node's codes, libvips' text, a wrapped cause, and its words.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diskFullCause, diskFullFailure, isDiskFullError } from './disk-full.js';

const fsError = (code: string, extra: Record<string, string> = {}) =>
  Object.assign(new Error(`${code}: failed`), { code, ...extra });
const VIPS = 'write error\nsystem error: No space left on device\nwbuffer_write: write failed';

describe('isDiskFullError', () => {
  it("knows ENOSPC and EDQUOT, libvips' text and either one wrapped as a cause", () => {
    expect(isDiskFullError(fsError('ENOSPC'))).toBe(true);
    expect(isDiskFullError(fsError('EDQUOT'))).toBe(true);
    expect(isDiskFullError(new Error(VIPS))).toBe(true);
    expect(isDiskFullError(new Error('vips2png: unable to write\nDisk quota exceeded'))).toBe(true);
    const deep = new Error('caption failed', { cause: new Error('save', { cause: fsError('ENOSPC') }) });
    expect(isDiskFullError(deep)).toBe(true);
    expect(isDiskFullError(new Error('crop failed', { cause: new Error(VIPS) }))).toBe(true);
  });

  it('is false for other write errors, non-errors and a cause cycle', () => {
    expect(isDiskFullError(fsError('EACCES'))).toBe(false);
    expect(isDiskFullError(new Error('Input file contains unsupported image format'))).toBe(false);
    expect(isDiskFullError(undefined)).toBe(false);
    expect(isDiskFullError('No space left on device')).toBe(false); // a string is no error
    const loop: Error = new Error('a');
    loop.cause = loop;
    expect(isDiskFullError(loop)).toBe(false);
  });
});

describe('diskFullFailure', () => {
  it('gives the code and the path written: a copy names its dest, libvips names none', () => {
    expect(diskFullFailure(fsError('ENOSPC', { path: '/a/x.part' }))).toEqual({
      code: 'ENOSPC',
      path: '/a/x.part',
    });
    expect(diskFullFailure(fsError('ENOSPC', { path: '/src', dest: '/dst' }))).toEqual({
      code: 'ENOSPC',
      path: '/dst',
    });
    const wrapped = new Error('outer', { cause: fsError('EDQUOT', { path: '/q' }) });
    expect(diskFullFailure(wrapped)).toEqual({ code: 'EDQUOT', path: '/q' });
    expect(diskFullFailure(new Error(VIPS))).toEqual({ code: 'ENOSPC' });
    expect(diskFullFailure(fsError('EROFS'))).toBeUndefined();
  });
});

describe('diskFullCause', () => {
  it('says a full disk or quota the same way everywhere, with the path when known', () => {
    expect(diskFullCause('ENOSPC', '/a/b')).toBe('no space left on the disk (ENOSPC at /a/b)');
    expect(diskFullCause('ENOSPC')).toBe('no space left on the disk (ENOSPC)');
    expect(diskFullCause('EDQUOT')).toBe('disk quota exceeded (EDQUOT)');
  });
});

interface SharedCase {
  note: string;
  error: { code?: string; message: string; cause?: SharedCase['error'] };
  full: string | null;
}
/** The cases the worker's check (trainer write_errors.disk_full_code, test_disk_full.py) is held to as well. */
const SHARED_CASES: SharedCase[] = JSON.parse(
  readFileSync(new URL('../trainer/tests/golden/disk_full_cases.json', import.meta.url), 'utf8'),
);
const errorOf = (spec: SharedCase['error']): Error =>
  Object.assign(
    new Error(spec.message, spec.cause ? { cause: errorOf(spec.cause) } : {}),
    spec.code ? { code: spec.code } : {},
  );

describe("diskFullFailure and the Python worker's disk_full_code", () => {
  it.each(SHARED_CASES)('answer alike: $note', ({ error, full }) => {
    expect(diskFullFailure(errorOf(error))?.code ?? null).toBe(full);
  });
});
