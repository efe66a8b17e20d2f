// Tests of the on-disk model file checks: exact size, sha256 / md5, and moving a bad file aside.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkFileContent, checkFileSize, moveAside } from './file-check.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'toonlora-check-'));
  return () => rmSync(dir, { recursive: true, force: true });
});

const content = Buffer.from('the right model bytes');
const sha256 = createHash('sha256').update(content).digest('hex');
const md5 = createHash('md5').update(content).digest('hex');

describe('checkFileSize / checkFileContent', () => {
  it('accepts the right file and names each mismatch', async () => {
    const path = join(dir, 'm.onnx');
    writeFileSync(path, content);
    const file = { path: 'm.onnx', sizeBytes: content.length, sizeExact: true, sha256, md5 };
    expect(checkFileSize(path, file)).toBeUndefined();
    expect(await checkFileContent(path, file)).toEqual([]);
    writeFileSync(path, Buffer.from('the wrong model bytes'));
    expect(await checkFileContent(path, file)).toEqual([
      expect.stringMatching(/^sha256: expected [0-9a-f]{64}, got [0-9a-f]{64}$/),
      expect.stringMatching(/^md5: expected [0-9a-f]{32}, got [0-9a-f]{32}$/),
    ]);
    writeFileSync(path, 'short');
    expect(checkFileSize(path, file)).toBe(`size: expected ${content.length} bytes, got 5`);
  });

  it('ignores a size that is only a rounded figure', () => {
    const path = join(dir, 'm.onnx');
    writeFileSync(path, 'x');
    expect(checkFileSize(path, { path: 'm.onnx', sizeBytes: 1000, sizeExact: false })).toBeUndefined();
  });
});

describe('moveAside', () => {
  it('renames to .corrupt, then .corrupt-2, keeping both', async () => {
    const path = join(dir, 'm.onnx');
    writeFileSync(path, 'one');
    expect(await moveAside(path)).toBe(`${path}.corrupt`);
    writeFileSync(path, 'two');
    expect(await moveAside(path)).toBe(`${path}.corrupt-2`);
    expect(readFileSync(`${path}.corrupt`, 'utf8')).toBe('one');
    expect(readFileSync(`${path}.corrupt-2`, 'utf8')).toBe('two');
    expect(existsSync(path)).toBe(false);
  });

  it('moves a cache symlink as a link, leaving its blob in place', async () => {
    const blob = join(dir, 'blob');
    writeFileSync(blob, 'bad');
    const link = join(dir, 'm.onnx');
    symlinkSync(blob, link);
    const moved = await moveAside(link);
    expect(readFileSync(moved, 'utf8')).toBe('bad');
    expect(readFileSync(blob, 'utf8')).toBe('bad');
  });
});
