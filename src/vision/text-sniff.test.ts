// Tests for textFileKind: a Git LFS pointer and an HTML page told by their first bytes, anything else not.
import { describe, expect, it } from 'vitest';
import { textFileKind } from './text-sniff.js';

const head = (text: string) => new Uint8Array(Buffer.from(text));

describe('textFileKind', () => {
  it('names an LFS pointer and an HTML page (BOM, white space and case allowed)', () => {
    expect(textFileKind(head('version https://git-lfs.github.com/spec/v1\noid sha256:ab'))).toBe(
      'git-lfs-pointer',
    );
    expect(textFileKind(head('\ufeff\r\n<!doctype HTML><html>'))).toBe('html-page');
    expect(textFileKind(head('<html lang="en">'))).toBe('html-page');
  });

  it('names nothing else', () => {
    expect(textFileKind(head('{"__metadata__":{}}'))).toBeUndefined();
    expect(textFileKind(head('version 2'))).toBeUndefined();
    expect(textFileKind(head('<htmlx'))).toBeUndefined();
    expect(textFileKind(new Uint8Array([0xff, 0xff, 0, 0]))).toBeUndefined();
  });
});
