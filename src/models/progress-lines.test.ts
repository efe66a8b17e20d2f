// Tests of the non-terminal progress lines (a fake clock) and of the bar format without a size.
import { describe, expect, it } from 'vitest';
import { createProgressLines, progressBarFormat } from './progress-lines.js';

describe('createProgressLines', () => {
  it('prints a line at each further 10% of a known size, not at every chunk', () => {
    const lines = createProgressLines('pull: m: f', () => 0);
    const printed = [5, 9, 10, 15, 19, 20, 55, 100].map((n) => lines.update(n * 10_000_000, 1_000_000_000));
    expect(printed.filter(Boolean)).toEqual([
      'pull: m: f: 100 MB of 1.0 GB (10%)',
      'pull: m: f: 200 MB of 1.0 GB (20%)',
      'pull: m: f: 550 MB of 1.0 GB (55%)',
    ]);
  });

  it('prints every 30 s when the size is unknown', () => {
    let nowMs = 0;
    const lines = createProgressLines('pull: m: f', () => nowMs);
    expect(lines.update(1000, undefined)).toBeUndefined();
    nowMs = 29_999;
    expect(lines.update(2000, undefined)).toBeUndefined();
    nowMs = 30_000;
    expect(lines.update(3000, undefined)).toBe('pull: m: f: 3.0 kB');
    nowMs = 40_000;
    expect(lines.update(4000, undefined)).toBeUndefined();
  });
});

describe('progressBarFormat', () => {
  it('shows bytes only when the server gave no size (no "27 B/0 B 0%")', () => {
    expect(progressBarFormat('m f', undefined)).toBe('m f {done}');
    expect(progressBarFormat('m f', 10)).toBe('m f [{bar}] {percentage}% {done}/{size}');
  });
});
