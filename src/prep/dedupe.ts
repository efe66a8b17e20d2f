// src/prep/dedupe.ts — prep stage "near-duplicates" (pure): a 16x16 colour thumbnail of each crop
// compared with the crops already kept, so consecutive frames of the same shot do not flood the
// dataset; plus a 64-bit difference hash (dHash, Krawetz 2013) recorded in the manifest.
import type { RgbImage } from '../vision/image.js';

/**
 * Crops are near-duplicates when their 16x16 colour thumbnails differ by at most
 * {@link NEAR_DUPLICATE_MAX_DIFF} on average (0..255) AND {@link NEAR_DUPLICATE_CELL_SHARE} of the cells
 * differ by at most {@link NEAR_DUPLICATE_MAX_CELL_DIFF} in every channel: the same screenshot re-saved,
 * re-compressed or resized changes every cell a little; another character, pose or hair colour changes some
 * cells a lot. Measured on prep crops (r2/dedupe probe set): a JPEG q60 re-encode had mean 1.7 and 95% of
 * cells within 6.1; two drawings differing only in hair colour and arms had mean 5.3 but their 95th
 * percentile cell at 55.6, and the same character zoomed out (mean 2.9) at 14.3. The 8x8 thumbnail with a
 * mean of 6 alone dropped those as duplicates. dHash alone could not separate them either: flat white areas
 * flip its bits under JPEG noise (up to 9 of 64) while two characters drawn alike differed by only 4.
 */
export const NEAR_DUPLICATE_MAX_DIFF = 4;
/** Largest per-cell difference (its worst channel, 0..255) for {@link NEAR_DUPLICATE_CELL_SHARE} of the cells. */
export const NEAR_DUPLICATE_MAX_CELL_DIFF = 12;
/** Share of thumbnail cells that must stay within {@link NEAR_DUPLICATE_MAX_CELL_DIFF}. */
export const NEAR_DUPLICATE_CELL_SHARE = 0.95;
export const THUMBNAIL_SIDE = 16;

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
      const luma =
        0.299 * (image.data[i] ?? 0) + 0.587 * (image.data[i + 1] ?? 0) + 0.114 * (image.data[i + 2] ?? 0);
      sums[row * cols + col] = (sums[row * cols + col] ?? 0) + luma;
      counts[row * cols + col] = (counts[row * cols + col] ?? 0) + 1;
    }
  }
  for (let i = 0; i < sums.length; i++)
    sums[i] = (counts[i] ?? 0) > 0 ? (sums[i] ?? 0) / (counts[i] ?? 1) : 0;
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
  if (a.length !== b.length)
    throw new RangeError(`hammingDistance: hash lengths differ (${a.length} vs ${b.length})`);
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
  if (a.length !== b.length)
    throw new RangeError(`thumbnailDistance: sizes differ (${a.length} vs ${b.length})`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return sum / a.length;
}

export interface KeptCrop {
  readonly thumbnail: Float64Array;
  /** What to name in the skip reason (the kept crop's file, relative to the output folder). */
  readonly name: string;
}

/**
 * The worst channel difference of each cell's colour, sorted, at the `share` quantile (0..255): how far
 * the cells that changed most (all but 1 - `share` of them) moved.
 */
export function cellDifferenceQuantile(
  a: Float64Array,
  b: Float64Array,
  share = NEAR_DUPLICATE_CELL_SHARE,
): number {
  if (a.length !== b.length)
    throw new RangeError(`cellDifferenceQuantile: sizes differ (${a.length} vs ${b.length})`);
  const cells = new Float64Array(a.length / 3);
  for (let c = 0; c < cells.length; c++) {
    let worst = 0;
    for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs((a[c * 3 + k] ?? 0) - (b[c * 3 + k] ?? 0)));
    cells[c] = worst;
  }
  cells.sort();
  return cells[Math.min(cells.length - 1, Math.floor(cells.length * share))] ?? 0;
}

/**
 * The closest kept crop within `maxDiff` of `thumbnail` (mean difference) whose cells also all but
 * agree (see {@link NEAR_DUPLICATE_MAX_DIFF}), or undefined when none is that close.
 */
export function findNearDuplicate(
  thumbnail: Float64Array,
  kept: readonly KeptCrop[],
  maxDiff = NEAR_DUPLICATE_MAX_DIFF,
  maxCellDiff = NEAR_DUPLICATE_MAX_CELL_DIFF,
): { readonly match: KeptCrop; readonly distance: number } | undefined {
  let best: { match: KeptCrop; distance: number } | undefined;
  for (const candidate of kept) {
    const distance = thumbnailDistance(thumbnail, candidate.thumbnail);
    if (distance > maxDiff || (best && distance >= best.distance)) continue;
    if (cellDifferenceQuantile(thumbnail, candidate.thumbnail) > maxCellDiff) continue;
    best = { match: candidate, distance };
  }
  return best;
}
