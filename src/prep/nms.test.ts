import { describe, expect, it } from 'vitest';
import { centreToCorners, iou, nonMaxSuppression } from './nms.js';

describe('iou', () => {
  it('is intersection over union', () => {
    // overlap 5x10 = 50, union 100 + 100 - 50 = 150
    expect(iou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(50 / 150, 10);
    expect(iou([0, 0, 10, 10], [20, 20, 30, 30])).toBe(0);
    expect(iou([0, 0, 0, 0], [0, 0, 0, 0])).toBe(0);
  });
});

describe('nonMaxSuppression', () => {
  it('keeps the best of overlapping boxes and all separate ones, best first', () => {
    const boxes = [
      [0, 0, 10, 10],
      [1, 1, 11, 11], // IoU with 0: 81 / 119 = 0.68
      [20, 20, 30, 30],
      [5, 0, 15, 10], // IoU with 0: 0.33
    ] as const;
    expect(nonMaxSuppression(boxes, [0.8, 0.9, 0.7, 0.6], 0.5)).toEqual([1, 2, 3]);
    expect(nonMaxSuppression(boxes, [0.8, 0.9, 0.7, 0.6], 0.3)).toEqual([1, 2]);
    expect(nonMaxSuppression(boxes, [0.8, 0.9, 0.7, 0.6], 0.7)).toEqual([1, 0, 2, 3]);
  });
  it('checks its arguments', () => {
    expect(() => nonMaxSuppression([[0, 0, 1, 1]], [], 0.5)).toThrow(/1 boxes but 0 scores/);
    expect(nonMaxSuppression([], [], 0.5)).toEqual([]);
  });
  it('converts YOLO centre boxes', () => {
    expect(centreToCorners(10, 20, 4, 8)).toEqual([8, 16, 12, 24]);
  });
});
