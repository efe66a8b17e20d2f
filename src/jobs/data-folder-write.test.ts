// src/jobs/data-folder-write.test.ts — which errors name the data folder: a refused or full write inside it (Node's
// code, or a Python worker's `[Errno N]` text), and nothing else (another folder, another errno, a product error).
import { describe, expect, it } from 'vitest';
import { ToonloraError } from '../errors.js';
import { prepDiskFullError } from '../prep/disk-full.js';
import { dataFolderWriteError } from './data-folder-write.js';

const data = '/srv/toonlora/data';
const fsError = (code: string, path?: string) =>
  Object.assign(new Error(`${code}: failed`), { code, syscall: 'open', ...(path ? { path } : {}) });

describe('dataFolderWriteError', () => {
  it('names the folder, the path and the cause of a refused or full write inside it', () => {
    expect(dataFolderWriteError(fsError('EACCES', `${data}/jobs/a`), data)?.message).toBe(
      `cannot write to the data folder ${data} (EACCES: permission denied at ${data}/jobs/a). Fix the folder's ` +
        'permissions (or its read-only mount or immutable flag), or start serve with another --data folder.',
    );
    expect(dataFolderWriteError(fsError('EDQUOT'), data)?.message).toBe(
      `cannot write to the data folder ${data}: disk quota exceeded (EDQUOT). Free space on that disk, or start serve with another --data folder.`,
    );
    const wrapped = new Error('copy failed', { cause: fsError('EROFS', `${data}/x`) });
    expect(dataFolderWriteError(wrapped, data)?.details).toEqual({
      folder: data,
      code: 'EROFS',
      path: `${data}/x`,
    });
    const worker = new ToonloraError(
      'TL_ERR_WORKER',
      `[Errno 28] No space left on device: '${data}/jobs/b/0.png'`,
    );
    expect(dataFolderWriteError(worker, data)?.details).toMatchObject({
      code: 'ENOSPC',
      path: `${data}/jobs/b/0.png`,
    });
  });

  it("names a full disk sharp reports as libvips' text only (no code, no path)", () => {
    const vips = new Error('write error\nsystem error: No space left on device\nwbuffer_write: write failed');
    expect(dataFolderWriteError(new Error('thumbnail failed', { cause: vips }), data)?.message).toBe(
      `cannot write to the data folder ${data}: no space left on the disk (ENOSPC). Free space on that disk, or start serve with another --data folder.`,
    );
  });

  it('leaves other errors as they are', () => {
    expect(dataFolderWriteError(fsError('EACCES', '/home/u/.cache/hf/x'), data)).toBeUndefined();
    expect(dataFolderWriteError(fsError('ENOENT', `${data}/x`), data)).toBeUndefined();
    expect(
      dataFolderWriteError(new ToonloraError('TL_ERR_WORKER', '[Errno 2] No such file'), data),
    ).toBeUndefined();
    expect(
      dataFolderWriteError(
        new ToonloraError('TL_ERR_WORKER', "[Errno 13] Permission denied: '/etc/x'"),
        data,
      ),
    ).toBeUndefined();
    // a product error that names its own folder already
    expect(
      dataFolderWriteError(prepDiskFullError(`${data}/jobs/c`, fsError('ENOSPC', `${data}/jobs/c`)), data),
    ).toBeUndefined();
  });
});
