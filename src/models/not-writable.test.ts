// Tests of the file-system refusal -> TL_ERR_CONFIG mapping (EACCES cannot be produced as root, so the
// error object is built here with the fields Node gives it; ENOTDIR is produced for real in pull.test.ts).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diskFullError, notEnoughSpaceError, notWritableError } from './not-writable.js';

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

describe('diskFullError', () => {
  it("names the HF cache and HF_HOME for a copy's destination there, and the verified download kept", () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-full-'));
    const part = join(dir, 'model.onnx.part');
    writeFileSync(part, 'whole file');
    const copy = Object.assign(new Error('ENOSPC: no space left on device, copyfile'), {
      code: 'ENOSPC',
      path: part,
      dest: '/hf/hub/models--a--b/snapshots/c/model.onnx.tmp-1',
    });
    const error = diskFullError(copy, roots, part);
    expect(error?.code).toBe('TL_ERR_OUTPUT_WRITE');
    expect(error?.message).toBe(
      'cannot write to the Hugging Face cache /hf/hub: no space left on the disk (ENOSPC at ' +
        '/hf/hub/models--a--b/snapshots/c/model.onnx.tmp-1). Free space there, or set HF_HOME (or HF_HUB_CACHE) ' +
        `to a folder on a bigger disk. The verified download ${part} is kept: the next pull moves it into place ` +
        'without fetching it again.',
    );
  });

  it("names toonlora's home for a quota met while writing a .part there, and the partial file kept", () => {
    const home = mkdtempSync(join(tmpdir(), 'tl-full-'));
    const part = join(home, 'models', 'u2net.onnx.part');
    const error = diskFullError(Object.assign(new Error('EDQUOT'), { code: 'EDQUOT', path: part }), {
      ...roots,
      toonloraHome: home,
    });
    expect(error?.message).toMatch(
      /^cannot write to toonlora's home .*: disk quota exceeded \(EDQUOT at .*u2net\.onnx\.part\)\. .*set TOONLORA_HOME/,
    );
    expect(notWritableError(fsError('EACCES', '/x'), roots)).toBeDefined();
    expect(diskFullError(fsError('EACCES', '/x'), roots)).toBeUndefined();
  });

  it('says how much a refused pull needs and how much is free', () => {
    expect(notEnoughSpaceError('lama', roots, true, 208e6, 50e6).message).toBe(
      'lama: not enough free space in the Hugging Face cache /hf/hub: the download needs about 208 MB and ' +
        '50.0 MB is free there; nothing was downloaded. Free space there, or set HF_HOME (or HF_HUB_CACHE) to a ' +
        'folder on a bigger disk',
    );
  });
});
