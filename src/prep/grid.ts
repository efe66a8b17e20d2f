// src/prep/grid.ts — small walks over a pixel grid shared by the prep steps (bubble-mask.ts, text-letters.ts,
// text-outline.ts): the four 4-neighbour steps, and the image pixels of a mask laid over a box. Pure.
import type { Box } from '../vision/image.js';

/** The 4-neighbour steps [dx, dy]: right, left, down, up (in that order). */
export const FOUR_STEPS = [
  [1, 0],
  [-1, 0],
  [0, 1],
  [0, -1],
] as const;

/**
 * Calls `visit` with the image pixel index (row-major over an image `imageWidth` wide) of each set pixel
 * of `mask` (row-major over `box`), row by row; returns how many there were.
 */
export function forEachMaskPixel(
  mask: Uint8Array,
  box: Box,
  imageWidth: number,
  visit: (i: number) => void,
): number {
  let count = 0;
  for (let y = 0; y < box.height; y++)
    for (let x = 0; x < box.width; x++) {
      if (!mask[y * box.width + x]) continue;
      count++;
      visit((box.y + y) * imageWidth + box.x + x);
    }
  return count;
}
