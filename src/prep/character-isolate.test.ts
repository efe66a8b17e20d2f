import { describe, expect, it } from 'vitest';
import { makeRgb } from '../../test/helpers/images.js';
import { paintOutOtherCharacters } from './character-isolate.js';

describe('paintOutOtherCharacters', () => {
  it('paints the other character over with the background beside it, row by row, and keeps its own', () => {
    // 20x4: label 1 at x 2-4 (own), label 2 at x 10-13 (other); the background a left-to-right ramp
    const labels = new Int32Array(80);
    for (let y = 0; y < 4; y++) {
      for (let x = 2; x <= 4; x++) labels[y * 20 + x] = 1;
      for (let x = 10; x <= 13; x++) labels[y * 20 + x] = 2;
    }
    const square = makeRgb(20, 4, (x) => (labels[x] ? [0, 0, 0] : [x * 10, 100, 200]));
    const components = { width: 20, height: 4, labels, boxes: [] };
    const out = paintOutOtherCharacters(square, { x: 0, y: 0, width: 20, height: 4 }, components, 1, [2], 0);
    const px = (x: number, y = 0) => [...out.data.subarray((y * 20 + x) * 3, (y * 20 + x) * 3 + 3)];
    expect(px(3)).toEqual([0, 0, 0]); // its own
    // each side's colour is the median of the background beside it (x 5-9: 70; x 14-19: 170),
    // blended across the hole in 5 steps
    expect(px(10)).toEqual([90, 100, 200]);
    expect(px(13, 3)).toEqual([150, 100, 200]);
    expect(px(9)).toEqual([90, 100, 200]); // the background untouched
  });
});
