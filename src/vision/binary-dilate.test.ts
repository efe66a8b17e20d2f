import { describe, expect, it } from 'vitest';
import { dilateEllipse, ellipseRowHalfWidths } from './binary-dilate.js';
import { loadOpenCv } from './opencv.js';

/** Deterministic pseudo-random 0/255 mask with `density` of its pixels set. */
function randomMask(width: number, height: number, density: number, seed: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  let s = seed;
  for (let i = 0; i < mask.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    if (s / 2 ** 32 < density) mask[i] = 255;
  }
  return mask;
}

describe('dilateEllipse', () => {
  it('matches the rows of OpenCV getStructuringElement(MORPH_ELLIPSE)', async () => {
    const cv = await loadOpenCv();
    for (let r = 1; r <= 40; r++) {
      const kernel = cv.getStructuringElement(cv.MORPH_ELLIPSE, new cv.Size(2 * r + 1, 2 * r + 1));
      const data = kernel.data as Uint8Array;
      const expected = Array.from({ length: 2 * r + 1 }, (_, i) => {
        let n = 0;
        for (let j = 0; j < 2 * r + 1; j++) n += data[i * (2 * r + 1) + j] ? 1 : 0;
        return (n - 1) / 2;
      });
      kernel.delete();
      expect([...ellipseRowHalfWidths(r)], `radius ${r}`).toEqual(expected);
    }
  });
  it('gives exactly cv.dilate with the elliptical kernel (sparse and dense masks, edges)', async () => {
    const cv = await loadOpenCv();
    const cases: Array<[number, number, number, number]> = [
      [37, 23, 0.02, 3],
      [64, 40, 0.2, 6],
      [13, 90, 0.05, 12],
      [120, 31, 0.001, 2],
      [9, 9, 0.1, 1],
    ];
    for (const [width, height, density, radius] of cases) {
      const mask = randomMask(width, height, density, width * 31 + radius);
      const src = new cv.Mat(height, width, cv.CV_8UC1);
      (src.data as Uint8Array).set(mask);
      const kernel = cv.getStructuringElement(cv.MORPH_ELLIPSE, new cv.Size(2 * radius + 1, 2 * radius + 1));
      const dst = new cv.Mat();
      cv.dilate(src, dst, kernel);
      const expected = new Uint8Array(dst.data as Uint8Array);
      for (const m of [src, kernel, dst]) m.delete();
      const got = dilateEllipse(mask, width, height, radius);
      expect(Buffer.from(got).equals(Buffer.from(expected)), `${width}x${height} r${radius}`).toBe(true);
    }
  });
  it('leaves an empty mask empty and rejects a wrong size', () => {
    expect(dilateEllipse(new Uint8Array(12), 4, 3, 2).every((v) => v === 0)).toBe(true);
    expect(() => dilateEllipse(new Uint8Array(5), 4, 3, 2)).toThrow(/expected 4x3 = 12 bytes, got 5/);
  });
});
