// src/prep/text-tiles.ts — splitting long webtoon strips and panoramas into overlapping tiles for
// text detection, and merging the tiles' regions back. Upstream's DetResizeForTest shrinks the longer
// side to 960 px: a 600x7200 strip reaches the network as 96x960 with its 32 px text ~4 px high, and
// the detector finds none of its 10 lines (test/prep-text-strip.test.ts; 0 of 16 on 600x8000).
// Tiles of about the short side's length keep the text at its real size and find all of them.
import type { Box, RgbImage } from '../vision/image.js';
import type { TextRegion } from './stage-types.js';

/** Strips longer than this many times their width (or panoramas wider than their height) are tiled. */
export const TILE_MAX_ASPECT = 2.5;
/** Consecutive tiles share this fraction of a tile, so a line cut by one tile edge is whole in the next. */
export const TILE_OVERLAP = 0.25;
/** A region mostly (this share of its box) inside another region's box is a duplicate from an overlap. */
const DUPLICATE_CONTAINMENT = 0.8;

/**
 * Tiles covering a `width` x `height` image: one tile (the whole image) unless its aspect ratio is
 * above `maxAspect`; then square tiles of the short side along the long side, overlapping by
 * `overlap` (0..0.9), the last one flush with the far edge.
 */
export function planDetectionTiles(
  width: number,
  height: number,
  maxAspect = TILE_MAX_ASPECT,
  overlap = TILE_OVERLAP,
): Box[] {
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  if (long <= short * maxAspect) return [{ x: 0, y: 0, width, height }];
  const step = Math.max(1, Math.floor(short * (1 - overlap)));
  const starts: number[] = [];
  for (let start = 0; start + short < long; start += step) starts.push(start);
  starts.push(long - short);
  return starts.map((start) =>
    height >= width ? { x: 0, y: start, width, height: short } : { x: start, y: 0, width: short, height },
  );
}

/** Copies the pixels of `box` out of `image`. */
export function cropRgb(image: RgbImage, box: Box): RgbImage {
  const data = new Uint8Array(box.width * box.height * 3);
  for (let y = 0; y < box.height; y++) {
    const from = ((box.y + y) * image.width + box.x) * 3;
    data.set(image.data.subarray(from, from + box.width * 3), y * box.width * 3);
  }
  return { width: box.width, height: box.height, data };
}

/** Moves a region found in a tile back to image coordinates. */
export function offsetRegion(region: TextRegion, dx: number, dy: number): TextRegion {
  return {
    polygon: region.polygon.map(([x, y]) => [x + dx, y + dy] as const),
    box: { ...region.box, x: region.box.x + dx, y: region.box.y + dy },
    score: region.score,
  };
}

function overlapArea(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * Drops regions found twice in tile overlaps: a region whose box lies mostly inside a larger
 * region's box is a duplicate (or the cut-off half of a line the next tile saw whole). Largest first.
 */
export function mergeTileRegions(regions: readonly TextRegion[]): TextRegion[] {
  const area = (r: TextRegion) => r.box.width * r.box.height;
  const sorted = [...regions].sort((a, b) => area(b) - area(a));
  const kept: TextRegion[] = [];
  for (const region of sorted) {
    const inside = kept.some((k) => overlapArea(k.box, region.box) >= DUPLICATE_CONTAINMENT * area(region));
    if (!inside) kept.push(region);
  }
  return kept;
}
