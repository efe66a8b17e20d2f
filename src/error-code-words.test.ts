// src/error-code-words.test.ts — messages about a folder or file that cannot be read or written name the error's
// code with its words from the shared table (src/fs-error-words.ts), not the bare code: -o not writable
// (output-folder.ts), prep's output folder that cannot be listed or made (prep/out-dir.ts), a train run folder that
// cannot be made (worker/run-lock.ts), serve's unreadable --tls-cert (server/serve-tls.ts). Tests run as root here,
// so a refused permission is simulated (node:fs accessSync / readdirSync throw EACCES when asked to).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { errorCodeInWords } from './fs-error-words.js';
import { checkOutputFolder } from './output-folder.js';
import { checkOutDir, prepareOutDir } from './prep/out-dir.js';
import { readServeTls } from './server/serve-tls.js';
import { acquireRunLock } from './worker/run-lock.js';

const refuse = vi.hoisted(() => ({ access: '', readdir: '' }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const denied = () => Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
  return {
    ...fs,
    accessSync: (path: string, mode?: number) => {
      if (path === refuse.access) throw denied();
      return fs.accessSync(path, mode);
    },
    readdirSync: ((path: string, options?: never) => {
      if (path === refuse.readdir) throw denied();
      return fs.readdirSync(path, options);
    }) as typeof fs.readdirSync,
  };
});

const root = mkdtempSync(join(tmpdir(), 'tl-code-words-'));
const aFile = join(root, 'a-file');
writeFileSync(aFile, 'x');

describe('file-system error codes in words', () => {
  it('errorCodeInWords: the code and its words, a code the table lacks as it is, else the message', () => {
    expect(errorCodeInWords(Object.assign(new Error('x'), { code: 'EACCES' }))).toBe(
      'EACCES: permission denied',
    );
    expect(errorCodeInWords(Object.assign(new Error('x'), { code: 'EWHAT' }))).toBe('EWHAT');
    expect(errorCodeInWords(new Error('bad PEM'))).toBe('bad PEM');
  });

  it('an -o folder that is not writable says why in words', () => {
    const folder = join(root, 'locked');
    mkdirSync(folder);
    refuse.access = folder;
    try {
      expect(() => checkOutputFolder(join(folder, 'out'), 'Choose another -o.')).toThrow(
        `${join(folder, 'out')}: ${folder} is not writable (EACCES: permission denied). Choose another -o.`,
      );
    } finally {
      refuse.access = '';
    }
  });

  it("prep's output folder that cannot be listed or made says why in words", async () => {
    const listed = join(root, 'unlisted');
    mkdirSync(listed);
    refuse.readdir = listed;
    try {
      expect(() => checkOutDir(listed, '10_x', false)).toThrow(
        `${listed}: the output folder cannot be read (EACCES: permission denied).`,
      );
    } finally {
      refuse.readdir = '';
    }
    await expect(prepareOutDir(join(aFile, 'out'))).rejects.toThrow(
      `${join(aFile, 'out')}: the output folder cannot be made in ${aFile} (ENOTDIR: a part of the path is a file, not a folder).`,
    );
  });

  it('a train run folder that cannot be made says why in words', async () => {
    await expect(acquireRunLock(join(aFile, 'run'))).rejects.toThrow(
      `${join(aFile, 'run')}: the run folder cannot be written: ENOTDIR: a part of the path is a file, not a folder; nothing was trained.`,
    );
  });

  it("serve's unreadable --tls-cert says why in words", () => {
    const missing = join(root, 'missing.pem');
    expect(() => readServeTls(missing, aFile)).toThrow(
      `--tls-cert ${missing}: cannot read the file (ENOENT: no such file or folder). Check the path`,
    );
  });
});
