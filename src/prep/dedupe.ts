// src/prep/dedupe.ts — prep stage "near-duplicates" (pure): an 8x8 colour thumbnail of each crop
// compared with the crops already kept, so consecutive frames of the same shot do not flood the
// dataset; plus a 64-bit difference hash (dHash, Krawetz 2013) recorded in the manifest.
import type { RgbImage } from '../vision/image.js';

/**
 * Crops whose 8x8 colour thumbnails differ by at most this mean absolute difference (0..255) are
 * near-duplicates. Measured on the synthetic crops: a JPEG q60 re-encode differs by <= 0.8, a 2%
 * shift by <= 3.6, a 5% shift by <= 9.8, two different characters by >= 15. dHash alone could not
 * separate them: flat white areas flip its bits under JPEG noise (up to 9 of 64) while two
 * characters drawn alike differed by only 4.
 */
export const NEAR_DUPLICATE_MAX_DIFF = 6;
export const THUMBNAIL_SIDE = 8;

const HASH_W = 9;
const HASH_H = 8;

/** Mean luminance (BT.601) of each cell of a `cols` x `rows` grid laid over the image (area average). */
export function gridLuminance(image: RgbImage, cols: number, rows: number): Float64Array {
  const sums = new Float64Array(cols * rows);
  const counts = new Float64Array(cols * rows);
  for (let y = 0; y < image.height; y++) {
    const row = Math.min(rows - 1, Math.floor((y * rows) / image.height));
    for (let x = 0; x < image.width; x++) {
      const col = Math.min(cols - 1, Math.floor((x * cols) / image.width));
      const i = (y * image.width + x) * 3;
      const luma = 0.299 * (image.data[i] ?? 0) + 0.587 * (image.data[i + 1] ?? 0) + 0.114 * (image.data[i + 2] ?? 0);
      sums[row * cols + col] = (sums[row * cols + col] ?? 0) + luma;
      counts[row * cols + col] = (counts[row * cols + col] ?? 0) + 1;
    }
  }
  for (let i = 0; i < sums.length; i++) sums[i] = (counts[i] ?? 0) > 0 ? (sums[i] ?? 0) / (counts[i] ?? 1) : 0;
  return sums;
}

/**
 * 64-bit dHash as 16 lowercase hex digits: 9x8 luminance grid, bit = left cell brighter than its right
 * neighbour, row-major, most significant bit first.
 */
export function differenceHash(image: RgbImage): string {
  const grid = gridLuminance(image, HASH_W, HASH_H);
  let hex = '';
  for (let row = 0; row < HASH_H; row++) {
    let byte = 0;
    for (let col = 0; col < HASH_W - 1; col++) {
      const left = grid[row * HASH_W + col] ?? 0;
      const right = grid[row * HASH_W + col + 1] ?? 0;
      byte = (byte << 1) | (left > right ? 1 : 0);
    }
    hex += byte.toString(16).padStart(2, '0');
  }
  return hex;
}

/** Number of differing bits between two 16-hex-digit hashes. */
export function hammingDistance(a: string, b: string): number {
  if (a.length !== b.length) throw new RangeError(`hammingDistance: hash lengths differ (${a.length} vs ${b.length})`);
  let bits = 0;
  for (let i = 0; i < a.length; i += 2) {
    let x = Number.parseInt(a.slice(i, i + 2), 16) ^ Number.parseInt(b.slice(i, i + 2), 16);
    while (x) {
      bits += x & 1;
      x >>= 1;
    }
  }
  return bits;
}

/** Mean colour of each cell of a side x side grid over the image: side*side*3 values, RGB, 0..255. */
export function colourThumbnail(image: RgbImage, side = THUMBNAIL_SIDE): Float64Array {
  const sums = new Float64Array(side * side * 3);
  const counts = new Float64Array(side * side);
  for (let y = 0; y < image.height; y++) {
    const row = Math.min(side - 1, Math.floor((y * side) / image.height));
    for (let x = 0; x < image.width; x++) {
      const cell = row * side + Math.min(side - 1, Math.floor((x * side) / image.width));
      const i = (y * image.width + x) * 3;
      sums[cell * 3] = (sums[cell * 3] ?? 0) + (image.data[i] ?? 0);
      sums[cell * 3 + 1] = (sums[cell * 3 + 1] ?? 0) + (image.data[i + 1] ?? 0);
      sums[cell * 3 + 2] = (sums[cell * 3 + 2] ?? 0) + (image.data[i + 2] ?? 0);
      counts[cell] = (counts[cell] ?? 0) + 1;
    }
  }
  return sums.map((sum, i) => sum / Math.max(1, counts[Math.floor(i / 3)] ?? 1));
}

/** Mean absolute difference of two thumbnails, 0..255. */
export function thumbnailDistance(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) throw new RangeError(`thumbnailDistance: sizes differ (${a.length} vs ${b.length})`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return sum / a.length;
}

export interface KeptCrop {
  readonly thumbnail: Float64Array;
  /** What to name in the skip reason (the kept crop's file, relative to the output folder). */
  readonly name: string;
}

/** The closest kept crop within `maxDiff` of `thumbnail`, or undefined when none is that close. */
export function findNearDuplicate(
  thumbnail: Float64Array,
  kept: readonly KeptCrop[],
  maxDiff = NEAR_DUPLICATE_MAX_DIFF,
): { readonly match: KeptCrop; readonly distance: number } | undefined {
  let best: { match: KeptCrop; distance: number } | undefined;
  for (const candidate of kept) {
    const distance = thumbnailDistance(thumbnail, candidate.thumbnail);
    if (distance <= maxDiff && (!best || distance < best.distance)) best = { match: candidate, distance };
  }
  return best;
}
