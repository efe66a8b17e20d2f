import { describe, expect, it } from 'vitest';
import { boxContains, characterTooSmallReason, computeCropBox, cutSquare, intersectBoxes } from './crop-box.js';

describe('computeCropBox', () => {
  it('centres a square with the margin on the longer side', () => {
    // 100x200 box at (50, 40): side = 200 * 1.2 = 240, centre (100, 140)
    expect(computeCropBox({ x: 50, y: 40, width: 100, height: 200 }, 0.1)).toEqual({
      x: -20,
      y: 20,
      width: 240,
      height: 240,
    });
  });
  it('always contains the character box', () => {
    for (const [w, h, m] of [
      [7, 3, 0],
      [301, 77, 0.25],
      [64, 640, 0.1],
    ] as const) {
      const character = { x: 13, y: 29, width: w, height: h };
      expect(boxContains(computeCropBox(character, m), character)).toBe(true);
    }
  });
  it('rejects an empty box', () => {
    expect(() => computeCropBox({ x: 0, y: 0, width: 0, height: 5 }, 0.1)).toThrow(/positive size, got 0x5/);
  });
});

describe('characterTooSmallReason', () => {
  it('names the size rule that failed', () => {
    expect(characterTooSmallReason({ x: 0, y: 0, width: 40, height: 63 }, { width: 100, height: 100 })).toMatch(
      /40x63 px.*at least 64 px/,
    );
    expect(characterTooSmallReason({ x: 0, y: 0, width: 100, height: 100 }, { width: 1000, height: 1000 })).toMatch(
      /1\.0% of the panel/,
    );
    expect(characterTooSmallReason({ x: 0, y: 0, width: 300, height: 400 }, { width: 1000, height: 1000 })).toBeNull();
  });
});

describe('cutSquare', () => {
  it('copies the inside and pads white outside', () => {
    // 2x2 image: red, green / blue, black
    const image = { width: 2, height: 2, data: new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0]) };
    const out = cutSquare(image, { x: -1, y: 0, width: 3, height: 3 });
    expect(Array.from(out.data)).toEqual([
      255, 255, 255, 255, 0, 0, 0, 255, 0,
      255, 255, 255, 0, 0, 255, 0, 0, 0,
      255, 255, 255, 255, 255, 255, 255, 255, 255,
    ]);
  });
  it('intersects boxes', () => {
    expect(intersectBoxes({ x: 0, y: 0, width: 10, height: 10 }, { x: 5, y: -5, width: 10, height: 10 })).toEqual({
      x: 5,
      y: 0,
      width: 5,
      height: 5,
    });
  });
});
