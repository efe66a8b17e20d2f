// test/server-data-folder-unwritable.test.ts — a data folder that refuses writes (EPERM as `chattr +i` gives it,
// EACCES, EROFS) or has no room (ENOSPC): an upload answers an error naming the folder, the path and the cause,
// not 500 "internal server error", and a job fails with that message, not "internal error" nor Python's raw
// `[Errno 1] Operation not permitted: '<path>'`; both say the fix in the web app's words (no `serve --data`). The refusal is a stand-in for writeFile (any user may run this).
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ToonloraError } from '../src/errors.js';
import { cliWordsIn } from '../src/jobs/job-error-hints.js';
import { namingDataFolderWrites } from '../src/jobs/runners/default-runners.js';
import { multipartBody, seedDataset, solidPng } from './helpers/server-fixtures.js';
import { appsClosedAfterEach, createCharacter } from './helpers/test-apps.js';

/** The errno writeFile meets under the data folder's uploads/ (set by a test), or none. */
const refuse = vi.hoisted(() => ({ code: undefined as string | undefined }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const writeFile: typeof fs.writeFile = async (path, ...rest) => {
    if (refuse.code && String(path).includes('/uploads/')) {
      throw Object.assign(new Error(`${refuse.code}: refused, open '${String(path)}'`), {
        code: refuse.code,
        syscall: 'open',
        path: String(path),
      });
    }
    return fs.writeFile(path, ...rest);
  };
  return { ...fs, default: { ...fs, writeFile }, writeFile };
});

const { makeApp } = appsClosedAfterEach('data-unwritable');

const DATA_FOLDER_WORDS =
  'The server cannot write there: whoever runs the server must make its data folder writable, or start it with another one.';
const DATA_DISK_WORDS =
  'The server has no room there: whoever runs the server must free space on its disk, or start it with another data folder.';

describe('a data folder that refuses writes', () => {
  it.each([
    ['EPERM', 'EPERM: operation not permitted at', DATA_FOLDER_WORDS],
    ['ENOSPC', 'no space left on the disk (ENOSPC at', DATA_DISK_WORDS],
  ])('answers an upload with the folder and the cause (%s)', async (code, cause, fix) => {
    const app = await makeApp();
    const id = await createCharacter(app);
    refuse.code = code;
    try {
      const body = multipartBody([{ filename: 'a.png', data: await solidPng() }]);
      const res = await app.inject({ method: 'POST', url: `/api/characters/${id}/images`, ...body });
      expect(res.json().error).toMatchObject({
        code: 'TL_ERR_OUTPUT_WRITE',
        message: expect.stringContaining(`cannot write to the data folder ${app.dataDir}`),
        details: { folder: app.dataDir, code },
      });
      expect(res.json().error.message).toContain(
        `${cause} ${join(app.dataDir, 'characters', id, 'uploads')}`,
      );
      // in the web app's words: the page's user may not run the server (the log keeps `serve --data`)
      expect(res.json().error.message.endsWith(`. ${fix}`)).toBe(true);
      expect(cliWordsIn(res.json().error.message)).toEqual([]);
    } finally {
      refuse.code = undefined;
    }
  });

  it("fails a job with the folder and the cause, from Node's error or a Python worker's text", async () => {
    const failures = [
      (dataDir: string) =>
        Object.assign(new Error(`EROFS: read-only file system, mkdir '${dataDir}/jobs/x'`), {
          code: 'EROFS',
          path: `${dataDir}/jobs/x`,
        }),
      (dataDir: string) =>
        new ToonloraError(
          'TL_ERR_WORKER',
          `generation failed: [Errno 1] Operation not permitted: '${dataDir}/jobs/y'`,
        ),
    ];
    for (const [index, failure] of failures.entries()) {
      const app = await makeApp({
        runners: (deps) => ({
          train: namingDataFolderWrites(async () => {
            throw failure(deps.dataDir);
          }, deps.dataDir),
        }),
      });
      const { characterId, datasetId } = await seedDataset(app);
      const job = app.queue.submit('train', characterId, { datasetId });
      await app.queue.whenIdle();
      const where = `${app.dataDir}/jobs/${index === 0 ? 'x' : 'y'}`;
      expect(app.queue.getJob(job.id)).toMatchObject({
        status: 'failed',
        error: {
          code: 'TL_ERR_OUTPUT_WRITE',
          message: expect.stringContaining(
            `cannot write to the data folder ${app.dataDir} (${index === 0 ? 'EROFS: a read-only file system' : 'EPERM: operation not permitted'} at ${where}). ${DATA_FOLDER_WORDS}`,
          ),
        },
      });
    }
  });
});
