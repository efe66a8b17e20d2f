// Tests of the non-terminal progress lines (a fake clock) and of the bar format without a size.
import { describe, expect, it } from 'vitest';
import { createProgressLines, progressBarLayout } from './progress-lines.js';

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

describe('progressBarLayout', () => {
  it('shows bytes only when the server gave no size (no "27 B/0 B 0%")', () => {
    expect(progressBarLayout('m', 'f', undefined).format).toBe('m f {done}');
    expect(progressBarLayout('m', 'f', 10)).toEqual({
      format: 'm f {percentage}% {done}/{size} [{bar}]',
      barsize: 40,
    });
  });

  it('fits 80 columns with the numbers before the bar, cutting a long file path after its first folder', () => {
    const widest = (format: string, barsize: number) =>
      format
        .replace('{percentage}', '100')
        .replace('{done}/{size}', '999 MB/999 MB')
        .replace('{bar}', 'x'.repeat(barsize)).length;
    const file = 'unet/diffusion_pytorch_model.safetensors';
    const { format, barsize } = progressBarLayout('anything-v5', file, 3_440_000_000, 80);
    expect(widest(format, barsize)).toBeLessThanOrEqual(79);
    expect(format).toMatch(
      /^anything-v5 unet\/…\S*_pytorch_model\.safetensors \{percentage\}% \{done\}\/\{size\} \[\{bar\}\]$/,
    );
    expect(barsize).toBe(10);
    const short = progressBarLayout('wd-vit-tagger-v3', 'model.onnx', 379e6, 80);
    expect(short.format.startsWith('wd-vit-tagger-v3 model.onnx {percentage}%')).toBe(true);
    expect(widest(short.format, short.barsize)).toBeLessThanOrEqual(79);
    const narrow = progressBarLayout('anything-v5', file, 1e9, 40);
    expect(widest(narrow.format, narrow.barsize)).toBeLessThanOrEqual(39);
    expect(
      progressBarLayout('anything-v5', file, undefined, 40).format.replace('{done}', '999 MB').length,
    ).toBeLessThanOrEqual(39);
  });
});
