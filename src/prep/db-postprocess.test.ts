// src/prep/db-postprocess.test.ts — the DB pre/post-processing maths against hand-computed values
// and synthetic probability maps (no model involved).
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOpenCv, type OpenCv } from '../vision/opencv.js';
import {
  boxScoreFast,
  computeDetInputSize,
  miniBoxFromRect,
  normalizeForPaddleDet,
  orderPointsClockwise,
  PADDLE_DB_DEFAULTS,
  polygonAreaAndPerimeter,
  regionsFromProbabilityMap,
  rotatedRectCorners,
  roundHalfEven,
  unclipPolygon,
} from './db-postprocess.js';

describe('DetResizeForTest (limit_type max, 960)', () => {
  it('scales the longer side down to 960 and rounds to /32 like Python round()', () => {
    expect(computeDetInputSize(1024, 1024)).toEqual({ width: 960, height: 960 });
    // 720x1600: ratio 0.6 -> 432x960; 432/32 = 13.5 rounds to even 14 -> 448.
    expect(computeDetInputSize(720, 1600)).toEqual({ width: 448, height: 960 });
    // Never scales up; 100/32 = 3.125 -> 96, 50/32 = 1.5625 -> 64.
    expect(computeDetInputSize(100, 50)).toEqual({ width: 96, height: 64 });
    expect(computeDetInputSize(10, 10)).toEqual({ width: 32, height: 32 });
  });

  it('roundHalfEven matches Python 3 round', () => {
    expect([0.5, 1.5, 2.5, 22.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 22, 2, 3]);
  });
});

describe('NormalizeImage (BGR, /255, ImageNet mean/std, CHW)', () => {
  it('puts blue first and uses the mean/std in BGR channel order', () => {
    const image = { width: 2, height: 1, data: Uint8Array.from([255, 0, 0, 10, 128, 200]) };
    const chw = normalizeForPaddleDet(image);
    expect(chw.length).toBe(6);
    // channel 0 = B with mean 0.485, std 0.229
    expect(chw[0]).toBeCloseTo((0 - 0.485) / 0.229, 5);
    expect(chw[1]).toBeCloseTo((200 / 255 - 0.485) / 0.229, 5);
    // channel 1 = G with mean 0.456, std 0.224
    expect(chw[3]).toBeCloseTo((128 / 255 - 0.456) / 0.224, 5);
    // channel 2 = R with mean 0.406, std 0.225
    expect(chw[4]).toBeCloseTo((1 - 0.406) / 0.225, 5);
    expect(chw[5]).toBeCloseTo((10 / 255 - 0.406) / 0.225, 5);
  });

  it('the four-pixels-at-a-time path equals the per-pixel formula, with a tail and on unaligned bytes', () => {
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    const width = 7;
    const height = 5; // 35 pixels: eight 4-pixel steps and a 3-pixel tail
    const backing = new Uint8Array(width * height * 3 + 1);
    for (let k = 0; k < backing.length; k++) backing[k] = (k * 97 + 13) % 256;
    for (const data of [backing.subarray(0, width * height * 3), backing.subarray(1)]) {
      const chw = normalizeForPaddleDet({ width, height, data });
      const plane = width * height;
      for (let p = 0; p < plane; p++) {
        for (let c = 0; c < 3; c++) {
          const value = data[p * 3 + (2 - c)] as number; // channel 0 = B
          expect(chw[c * plane + p]).toBeCloseTo((value / 255 - (mean[c] as number)) / (std[c] as number), 5);
        }
      }
    }
  });
});

describe('box geometry', () => {
  it('rotatedRectCorners matches cv2.boxPoints for an axis-aligned rect', () => {
    const corners = rotatedRectCorners({
      center: { x: 50, y: 20 },
      size: { width: 100, height: 40 },
      angle: 0,
    });
    expect(corners).toEqual([
      [0, 40],
      [0, 0],
      [100, 0],
      [100, 40],
    ]);
  });

  it('miniBoxFromRect orders top-left, top-right, bottom-right, bottom-left', () => {
    const { box, shortSide } = miniBoxFromRect({
      center: { x: 50, y: 20 },
      size: { width: 40, height: 100 },
      angle: 90,
    });
    expect(shortSide).toBe(40);
    const rounded = box.map(([x, y]) => [Math.round(x) + 0, Math.round(y) + 0]);
    expect(rounded).toEqual([
      [0, 0],
      [100, 0],
      [100, 40],
      [0, 40],
    ]);
  });

  it('orderPointsClockwise sorts a shuffled quad', () => {
    const quad = orderPointsClockwise([
      [10, 50],
      [90, 10],
      [10, 10],
      [90, 50],
    ]);
    expect(quad).toEqual([
      [10, 10],
      [90, 10],
      [90, 50],
      [10, 50],
    ]);
  });

  it('unclip offsets by area * 1.5 / perimeter (Clipper round join)', () => {
    const rect = [
      [0, 0],
      [100, 0],
      [100, 20],
      [0, 20],
    ] as const;
    expect(polygonAreaAndPerimeter(rect)).toEqual({ area: 2000, perimeter: 240 });
    const grown = unclipPolygon(rect, 1.5); // distance 12.5
    const xs = grown.map((p) => p[0]);
    const ys = grown.map((p) => p[1]);
    // Clipper works on integers: ±12.5 lands on 12 or 13.
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(-13);
    expect(Math.min(...xs)).toBeLessThanOrEqual(-12);
    expect(Math.max(...xs)).toBeGreaterThanOrEqual(112);
    expect(Math.max(...xs)).toBeLessThanOrEqual(113);
    expect(Math.min(...ys)).toBeGreaterThanOrEqual(-13);
    expect(Math.max(...ys)).toBeLessThanOrEqual(33);
    expect(grown.length).toBeGreaterThan(4); // rounded corners
  });

  it('boxScoreFast is the mean probability inside the quad', () => {
    const w = 10;
    const prob = new Float32Array(100);
    for (let y = 2; y <= 5; y++) for (let x = 2; x <= 7; x++) prob[y * w + x] = y < 4 ? 1 : 0.5;
    const quad = [
      [2, 2],
      [7, 2],
      [7, 5],
      [2, 5],
    ] as const;
    expect(boxScoreFast(prob, w, 10, quad)).toBeCloseTo(0.75, 6);
  });
});

describe('regionsFromProbabilityMap', () => {
  let cv: OpenCv;
  beforeAll(async () => {
    cv = await loadOpenCv();
  });

  /** 200x100 map: a confident line, a weak one (below box_thresh), a speck (below min_size). */
  function syntheticMap(): Float32Array {
    const w = 200;
    const prob = new Float32Array(w * 100);
    const fill = (x0: number, y0: number, x1: number, y1: number, v: number) => {
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) prob[y * w + x] = v;
    };
    fill(20, 10, 180, 26, 0.95); // line 1: 160x16
    fill(30, 60, 120, 72, 0.5); // above thresh 0.3, below box_thresh 0.6
    fill(150, 80, 152, 82, 0.99); // 2x2 speck
    return prob;
  }

  it('keeps the confident line, unclipped and scaled to the source size', () => {
    const regions = regionsFromProbabilityMap(cv, syntheticMap(), 200, 100, 400, 200);
    expect(regions).toHaveLength(1);
    const [region] = regions;
    expect(region?.score).toBeCloseTo(0.95, 2);
    // contour 20..179 x 10..25 -> min-area box 159x15 between pixel centres: unclip distance
    // 2385 * 1.5 / 348 ≈ 10.3 px on each side, then x2 scale to the source.
    const box = region?.box;
    expect(box?.x).toBeGreaterThanOrEqual(2 * (20 - 12));
    expect(box?.x).toBeLessThanOrEqual(2 * (20 - 9));
    expect(box?.y).toBeLessThanOrEqual(2 * (10 - 9));
    expect((box?.x ?? 0) + (box?.width ?? 0)).toBeGreaterThanOrEqual(2 * (179 + 9));
    expect(region?.polygon).toHaveLength(4);
  });

  it('box_thresh decides whether the weak line is kept', () => {
    const params = { ...PADDLE_DB_DEFAULTS, boxThresh: 0.4 };
    expect(regionsFromProbabilityMap(cv, syntheticMap(), 200, 100, 200, 100, params)).toHaveLength(2);
  });

  it('returns nothing for an empty map', () => {
    expect(regionsFromProbabilityMap(cv, new Float32Array(64 * 64), 64, 64, 64, 64)).toEqual([]);
  });
});
