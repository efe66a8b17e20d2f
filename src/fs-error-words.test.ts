// src/fs-error-words.test.ts — the shared table of file-system error codes in words: each code's words, a code it
// does not hold (the bare code), an error without a code (its message) and a value that is no Error at all.
import { describe, expect, it } from 'vitest';
import {
  codeInWords,
  fsCodeWords,
  fsErrorCode,
  fsErrorWords,
  REFUSED_WRITE_CODES,
} from './fs-error-words.js';

const fsError = (code: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: raw text, open '/x'`), { code, path: '/x' });

describe('fsErrorWords', () => {
  it.each([
    ['EACCES', 'permission denied'],
    ['EPERM', 'operation not permitted'],
    ['EROFS', 'a read-only file system'],
    ['ENOSPC', 'no space left on the disk'],
    ['EDQUOT', 'disk quota exceeded'],
    ['EBUSY', 'another program is using it'],
    ['EMFILE', 'too many files open at once'],
    ['ENFILE', 'too many files open on this machine'],
    ['ENAMETOOLONG', 'the name is too long for the file system'],
    ['EISDIR', 'a folder, not a file'],
    ['ENOTDIR', 'a part of the path is a file, not a folder'],
    ['ENOENT', 'no such file or folder'],
    ['ELOOP', 'a symbolic link loop (the link leads back to itself)'],
    ['EXDEV', 'the two places are on different disks'],
    ['EIO', 'an input/output error on the disk'],
    ['ENXIO', 'a device or socket, not a file'],
    ['ENOTEMPTY', 'the folder is not empty'],
    ['EEXIST', 'it already exists'],
  ])('%s: %s', (code, words) => {
    expect(fsErrorWords(fsError(code))).toBe(words);
    expect(fsCodeWords(code)).toBe(words);
    expect(codeInWords(code)).toBe(`${code}: ${words}`);
  });

  it('a code the table does not hold is the bare code', () => {
    expect(fsErrorWords(fsError('ESOMETHING'))).toBe('ESOMETHING');
    expect(fsCodeWords('ESOMETHING')).toBeUndefined();
    expect(codeInWords('EADDRNOTAVAIL')).toBe('EADDRNOTAVAIL');
    // an Object key is not a code
    expect(fsCodeWords('toString')).toBeUndefined();
    expect(fsErrorWords(fsError('constructor'))).toBe('constructor');
  });

  it('an error without a code is its message; a value that is no Error, the value as text', () => {
    expect(fsErrorWords(new Error('the stream ended early'))).toBe('the stream ended early');
    expect(fsErrorWords('a thrown string')).toBe('a thrown string');
    expect(fsErrorWords(undefined)).toBe('undefined');
    expect(fsErrorWords(null)).toBe('null');
    expect(fsErrorWords(42)).toBe('42');
    expect(fsErrorWords({ code: 13 })).toBe('[object Object]'); // a numeric code is not Node's
    expect(fsErrorCode({ code: 13 })).toBeUndefined();
    expect(fsErrorCode(null)).toBeUndefined();
    expect(fsErrorCode(fsError('EIO'))).toBe('EIO');
  });

  it('a refused write: permissions, an immutable file, a read-only mount', () => {
    expect([...REFUSED_WRITE_CODES].sort()).toEqual(['EACCES', 'EPERM', 'EROFS']);
  });
});
