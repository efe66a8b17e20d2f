// src/prep/text-tiles.test.ts — tile planning for long strips / panoramas and the overlap merge.
import { describe, expect, it } from 'vitest';
import type { TextRegion } from './stage-types.js';
import { cropRgb, mergeTileRegions, offsetRegion, planDetectionTiles } from './text-tiles.js';

function boxRegion(x: number, y: number, width: number, height: number): TextRegion {
  return {
    polygon: [
      [x, y],
      [x + width, y],
      [x + width, y + height],
      [x, y + height],
    ],
    box: { x, y, width, height },
    score: 0.9,
  };
}

describe('planDetectionTiles', () => {
  it('keeps ordinary panels (up to 2.5:1) whole', () => {
    expect(planDetectionTiles(1024, 1024)).toEqual([{ x: 0, y: 0, width: 1024, height: 1024 }]);
    expect(planDetectionTiles(720, 1600)).toEqual([{ x: 0, y: 0, width: 720, height: 1600 }]);
  });

  it('cuts a tall strip into overlapping squares, the last flush with the bottom', () => {
    const tiles = planDetectionTiles(600, 2000);
    expect(tiles.map((t) => t.y)).toEqual([0, 450, 900, 1350, 1400]);
    for (const t of tiles) expect([t.x, t.width, t.height]).toEqual([0, 600, 600]);
  });

  it('cuts a panorama along its width', () => {
    const tiles = planDetectionTiles(3000, 400);
    expect(tiles[0]).toEqual({ x: 0, y: 0, width: 400, height: 400 });
    expect(tiles.at(-1)).toEqual({ x: 2600, y: 0, width: 400, height: 400 });
    for (let i = 1; i < tiles.length; i++)
      expect((tiles[i]?.x ?? 0) - (tiles[i - 1]?.x ?? 0)).toBeLessThanOrEqual(300);
  });
});

describe('cropRgb / offsetRegion / mergeTileRegions', () => {
  it('crops the right pixels', () => {
    const image = { width: 3, height: 3, data: Uint8Array.from({ length: 27 }, (_, i) => i) };
    expect([...cropRgb(image, { x: 1, y: 1, width: 2, height: 1 }).data]).toEqual([12, 13, 14, 15, 16, 17]);
  });

  it('moves a tile region to image coordinates', () => {
    const moved = offsetRegion(boxRegion(10, 20, 30, 5), 0, 450);
    expect(moved.box).toEqual({ x: 10, y: 470, width: 30, height: 5 });
    expect(moved.polygon[0]).toEqual([10, 470]);
  });

  it('drops the duplicate and the cut-off half of a line seen by two tiles, keeps distinct lines', () => {
    const whole = boxRegion(100, 1030, 300, 30);
    const cutHalf = boxRegion(100, 1030, 300, 20);
    const duplicate = boxRegion(101, 1031, 298, 29);
    const other = boxRegion(100, 1080, 300, 30);
    const merged = mergeTileRegions([cutHalf, whole, duplicate, other]);
    expect(merged).toHaveLength(2);
    expect(merged).toContain(whole);
    expect(merged).toContain(other);
  });
});
