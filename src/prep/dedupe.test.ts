import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../vision/image.js';
import {
  colourThumbnail,
  differenceHash,
  findNearDuplicate,
  gridLuminance,
  hammingDistance,
  thumbnailDistance,
} from './dedupe.js';

function image(width: number, height: number, pixel: (x: number, y: number) => number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data.fill(pixel(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { width, height, data };
}

describe('differenceHash', () => {
  it('sets a bit where the left cell is brighter than the right one', () => {
    // brightness falls left to right: every comparison is "left brighter" -> all 64 bits set
    expect(differenceHash(image(18, 8, (x) => 255 - x * 10))).toBe('ffffffffffffffff');
    expect(differenceHash(image(18, 8, (x) => x * 10))).toBe('0000000000000000');
    // one bright column at grid col 0 only: bit 7 of every row byte -> 0x80
    expect(differenceHash(image(9, 8, (x) => (x === 0 ? 255 : 0)))).toBe('8080808080808080');
  });
  it('averages cells', () => {
    const grid = gridLuminance(image(4, 2, (x) => (x < 2 ? 100 : 200)), 2, 1);
    expect(Array.from(grid).map((v) => Math.round(v))).toEqual([100, 200]);
  });
  it('counts differing bits', () => {
    expect(hammingDistance('ff00000000000000', '0f00000000000001')).toBe(5);
  });
});

describe('near-duplicates by colour thumbnail', () => {
  it('averages each cell per channel', () => {
    const thumb = colourThumbnail(image(4, 2, (x) => (x < 2 ? 100 : 200)), 2);
    // 2x2 grid over 4x2: left cells 100, right cells 200, all three channels
    expect(Array.from(thumb)).toEqual([100, 100, 100, 200, 200, 200, 100, 100, 100, 200, 200, 200]);
    expect(thumbnailDistance(Float64Array.from([0, 10]), Float64Array.from([4, 0]))).toBe(7);
  });
  it('matches the closest kept crop within the budget', () => {
    const grey = (v: number) => colourThumbnail(image(16, 16, () => v));
    const kept = [
      { thumbnail: grey(100), name: 'a.png' },
      { thumbnail: grey(104), name: 'b.png' },
    ];
    expect(findNearDuplicate(grey(105), kept)?.match.name).toBe('b.png');
    expect(findNearDuplicate(grey(105), kept)?.distance).toBe(1);
    expect(findNearDuplicate(grey(120), kept)).toBeUndefined();
  });
});
