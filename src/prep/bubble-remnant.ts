// src/prep/bubble-remnant.ts — what is left of a speech bubble once its interior is cleared from the
// character mask (bubble-mask.ts): a bubble drawn with an outline thicker than the opening kernel keeps
// its outline ring, and a tail keeps its two converging lines. On a page with only a bubble, that
// remnant was the largest mask part and became an `ok` crop of an empty bubble outline or tail.
// A mask part lying almost wholly along a cleared bubble interior is such a remnant, not a character. Pure.
import type { Box, GrayImage } from '../vision/image.js';
import { dilateEllipse } from '../vision/binary-dilate.js';
import { grownBox } from './crop-box.js';
import { MASK_THRESHOLD } from './mask-contours.js';

/**
 * A mask part with at least this share of its pixels within reach of a cleared bubble interior is a
 * bubble remnant. Measured: on synthetic bubble-only pages (outlines 8-16 px at 800 px, tails up to
 * 300 px long; test/fixtures/prep-quality/) every remnant part is at 1.00; a figure whose head the
 * tail touches is at 0.06, and examples/screens' characters at 0.00-0.01. 0.8 leaves room both ways.
 */
export const BUBBLE_REMNANT_SHARE = 0.8;

/**
 * Share (0..1) of the mask pixels inside `box` that lie within `reachPx` of a pixel of `interiors`
 * (the cleared bubble interiors; 0 when there are none).
 */
export function bubbleRemnantShare(
  mask: GrayImage,
  interiors: GrayImage | null,
  box: Box,
  reachPx: number,
): number {
  if (!interiors) return 0;
  const { x: x0, y: y0, width: w, height: h } = grownBox(box, reachPx, mask);
  const local = new Uint8Array(w * h);
  let any = false;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      if (interiors.data[(y0 + y) * mask.width + x0 + x]) {
        local[y * w + x] = 255;
        any = true;
      }
  if (!any) return 0;
  const near = dilateEllipse(local, w, h, reachPx);
  let inMask = 0;
  let nearCount = 0;
  for (let y = box.y; y < box.y + box.height; y++)
    for (let x = box.x; x < box.x + box.width; x++) {
      if ((mask.data[y * mask.width + x] ?? 0) <= MASK_THRESHOLD) continue;
      inMask++;
      if (near[(y - y0) * w + x - x0]) nearCount++;
    }
  return inMask === 0 ? 0 : nearCount / inMask;
}
