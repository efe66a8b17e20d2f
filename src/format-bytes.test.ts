// src/format-bytes.test.ts — byte counts in decimal units (what toonlora shows) and binary ones (limits in MiB).
import { describe, expect, it } from 'vitest';
import { formatBinaryBytes, formatBytes } from './format-bytes.js';

describe('formatBytes', () => {
  it('uses decimal units, 3 figures at most', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(3000)).toBe('3.0 kB');
    expect(formatBytes(4_745_517)).toBe('4.7 MB');
    expect(formatBytes(151_000_000)).toBe('151 MB');
    expect(formatBytes(4_300_000_000)).toBe('4.3 GB');
    expect(formatBytes(2_000_000_000_000)).toBe('2.0 TB');
  });
});

describe('formatBinaryBytes', () => {
  it('uses binary units labelled KiB / MiB / GiB, one decimal at most', () => {
    expect(formatBinaryBytes(512)).toBe('512 B');
    expect(formatBinaryBytes(1536)).toBe('1.5 KiB');
    expect(formatBinaryBytes(10_000)).toBe('9.8 KiB');
    expect(formatBinaryBytes(25 * 1024 ** 2)).toBe('25 MiB');
    expect(formatBinaryBytes(512 * 1024 ** 2)).toBe('512 MiB');
    expect(formatBinaryBytes(1.5 * 1024 ** 3)).toBe('1.5 GiB');
  });
});
