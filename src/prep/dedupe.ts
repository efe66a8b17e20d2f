// src/prep/dedupe.ts — prep stage "near-duplicates" (pure): a 64-bit difference hash (dHash, Krawetz
// 2013) of each crop and a Hamming-distance check against the crops already kept, so consecutive
// frames of the same shot do not flood the dataset.
import type { RgbImage } from '../vision/image.js';

/** Crops whose dHashes differ in at most this many of 64 bits count as near-duplicates (measured: the
 * same panel re-encoded or with text removed differs by 0-3 bits; different poses by 15+). */
export const NEAR_DUPLICATE_MAX_BITS = 5;

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

export interface KeptHash {
  readonly dhash: string;
  /** What to name in the skip reason (the kept crop's file, relative to the output folder). */
  readonly name: string;
}

/** The closest kept crop within `maxBits` of `dhash`, or undefined when none is that close. */
export function findNearDuplicate(
  dhash: string,
  kept: readonly KeptHash[],
  maxBits = NEAR_DUPLICATE_MAX_BITS,
): { readonly match: KeptHash; readonly distance: number } | undefined {
  let best: { match: KeptHash; distance: number } | undefined;
  for (const candidate of kept) {
    const distance = hammingDistance(dhash, candidate.dhash);
    if (distance <= maxBits && (!best || distance < best.distance)) best = { match: candidate, distance };
  }
  return best;
}
