// src/disk-full-words.test.ts — a full disk in the same words on both sides: the shared table (fs-error-words.ts)
// and the Python worker's write_errors.DISK_FULL_WORDS are both held to trainer/tests/golden/disk_full_words.json
// (trainer/tests/test_disk_full.py checks the Python side).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diskFullCause } from './disk-full.js';
import { fsCodeWords } from './fs-error-words.js';

const GOLDEN: Record<string, string> = JSON.parse(
  readFileSync(new URL('../trainer/tests/golden/disk_full_words.json', import.meta.url), 'utf8'),
);

describe('a full disk in words, TypeScript and the Python worker alike', () => {
  it('the table words each full-disk code as the golden file does', () => {
    expect(Object.keys(GOLDEN).sort()).toEqual(['EDQUOT', 'ENOSPC']);
    for (const [code, words] of Object.entries(GOLDEN)) {
      expect(fsCodeWords(code)).toBe(words);
      expect(diskFullCause(code)).toBe(`${words} (${code})`);
    }
  });
});
