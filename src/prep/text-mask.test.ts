// src/prep/text-mask.test.ts — the region mask: per-region dilation equals dilating the whole image,
// also where regions overlap or touch the border; ring colour statistics.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOpenCv, type OpenCv } from '../vision/opencv.js';
import type { TextRegion } from './stage-types.js';
import { measureRingColour, rasterizeTextMask } from './text-mask.js';

function quad(points: [number, number][]): TextRegion {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return {
    polygon: points,
    box: { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y },
    score: 1,
  };
}

describe('rasterizeTextMask', () => {
  let cv: OpenCv;
  beforeAll(async () => {
    cv = await loadOpenCv();
  });

  it('matches a whole-image elliptical dilation for overlapping, rotated and border regions', () => {
    const regions = [
      quad([
        [10, 10],
        [80, 14],
        [78, 30],
        [9, 26],
      ]),
      quad([
        [60, 20],
        [120, 20],
        [120, 40],
        [60, 40],
      ]),
      quad([
        [0, 90],
        [40, 90],
        [40, 99],
        [0, 99],
      ]),
    ];
    const fast = rasterizeTextMask(cv, regions, 128, 100, 5);
    const undilated = rasterizeTextMask(cv, regions, 128, 100, 0);
    const mat = cv.matFromArray(100, 128, cv.CV_8UC1, Array.from(undilated.data));
    const kernel = cv.getStructuringElement(cv.MORPH_ELLIPSE, new cv.Size(11, 11));
    cv.dilate(mat, mat, kernel);
    const whole = new Uint8Array(mat.data);
    mat.delete();
    kernel.delete();
    expect(fast.data.filter((v) => v > 0).length).toBeGreaterThan(undilated.data.filter((v) => v > 0).length);
    expect(fast.data).toEqual(whole);
  });

  it('is empty without regions', () => {
    expect(rasterizeTextMask(cv, [], 16, 8, 4).data.every((v) => v === 0)).toBe(true);
  });
});

describe('measureRingColour', () => {
  it('gives mean and std of the ring pixels only', () => {
    const image = {
      width: 4,
      height: 1,
      data: Uint8Array.from([10, 20, 30, 30, 20, 10, 0, 0, 0, 255, 255, 255]),
    };
    const stats = measureRingColour(image, Uint8Array.from([1, 1, 0, 0]), {
      x: 0,
      y: 0,
      width: 4,
      height: 1,
    });
    expect(stats.count).toBe(2);
    expect(stats.mean).toEqual([20, 20, 20]);
    expect(stats.std).toEqual([10, 0, 10]);
  });
});
