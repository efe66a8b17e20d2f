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

/**
 * A hollow mask part (its pixels below this share of the area its outline encloses: a bubble's outline
 * ring, with its tail) is a bubble remnant when it holds removed text in its hollow, or has at least
 * {@link HOLLOW_REMNANT_SHARE} of its pixels near a cleared interior: a segmenter that takes white paper
 * for background keeps only the ring, and a tail longer than the reach kept a ring under
 * {@link BUBBLE_REMNANT_SHARE}; its enclosed area then made it a second character. Characters' masks
 * are solid (0.9-1.0 of their area).
 */
export const HOLLOW_FILL_SHARE = 0.5;
export const HOLLOW_REMNANT_SHARE = 0.3;

/** Mask pixels inside `box`, and text-mask pixels inside it where the mask is not set. */
function pixelsWithin(mask: GrayImage, textMask: GrayImage, box: Box): { mask: number; text: number } {
  let inMask = 0;
  let text = 0;
  for (let y = box.y; y < box.y + box.height; y++)
    for (let x = box.x; x < box.x + box.width; x++) {
      const p = y * mask.width + x;
      if ((mask.data[p] ?? 0) > MASK_THRESHOLD) inMask++;
      else if (textMask.data[p]) text++;
    }
  return { mask: inMask, text };
}

/**
 * Whether the mask part with bounding box `box` and enclosed `area` is what is left of a speech bubble:
 * at least {@link BUBBLE_REMNANT_SHARE} of it within `reachPx` of a cleared interior, or hollow (see
 * {@link HOLLOW_FILL_SHARE}) around removed text (`textMask`) or {@link HOLLOW_REMNANT_SHARE} within reach.
 */
export function isBubbleRemnant(
  mask: GrayImage,
  interiors: GrayImage | null,
  textMask: GrayImage,
  part: { readonly box: Box; readonly area: number },
  reachPx: number,
): boolean {
  const share = bubbleRemnantShare(mask, interiors, part.box, reachPx);
  if (share >= BUBBLE_REMNANT_SHARE) return true;
  const within = pixelsWithin(mask, textMask, part.box);
  if (within.mask >= HOLLOW_FILL_SHARE * part.area) return false;
  return within.text > 0 || share >= HOLLOW_REMNANT_SHARE;
}
