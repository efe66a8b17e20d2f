// Tests of the file-system refusal -> TL_ERR_CONFIG mapping (EACCES cannot be produced as root, so the
// error object is built here with the fields Node gives it; ENOTDIR is produced for real in pull.test.ts).
import { describe, expect, it } from 'vitest';
import { notWritableError } from './not-writable.js';

const roots = { toonloraHome: '/tmp/ro/home', hfHubCache: '/hf/hub' };

function fsError(code: string, path: string): Error {
  return Object.assign(new Error(`${code}: permission denied, mkdir '${path}'`), {
    code,
    path,
    syscall: 'mkdir',
  });
}

describe('notWritableError', () => {
  it("turns EACCES under toonlora's home into a message naming it and TOONLORA_HOME", () => {
    const error = notWritableError(fsError('EACCES', '/tmp/ro/home/models/u2net'), roots);
    expect(error?.code).toBe('TL_ERR_CONFIG');
    expect(error?.message).toBe(
      "cannot write to toonlora's home /tmp/ro/home (EACCES: permission denied at /tmp/ro/home/models/u2net). " +
        "Set TOONLORA_HOME to a writable folder, or fix the folder's permissions",
    );
  });

  it('names the HF cache and HF_HOME for EROFS under it', () => {
    const error = notWritableError(fsError('EROFS', '/hf/hub/models--a--b/snapshots'), roots);
    expect(error?.message).toContain('cannot write to the Hugging Face cache /hf/hub (EROFS');
    expect(error?.message).toContain('Set HF_HOME (or HF_HUB_CACHE)');
  });

  it('leaves other errors alone', () => {
    expect(notWritableError(fsError('ENOSPC', '/tmp/ro/home/x'), roots)).toBeUndefined();
    expect(notWritableError(new Error('boom'), roots)).toBeUndefined();
  });
});
