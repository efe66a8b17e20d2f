// src/jobs/file-name-bytes.test.ts — display names never carry paths or control characters. (Long non-ASCII
// names: test/server-upload-files.test.ts.)
import { describe, expect, it } from 'vitest';
import { displayName } from './file-name-bytes.js';

describe('displayName', () => {
  it('keeps the base name only, without control characters', () => {
    expect(displayName('../../x.png')).toBe('x.png');
    expect(displayName('C:\\Users\\a\\b c.png')).toBe('b c.png');
    expect(displayName('a\u0000b\n.png')).toBe('ab.png');
    expect(displayName(undefined)).toBe('unnamed');
  });
});
