// src/prep/mask-contours.ts — from a character mask to character boxes: threshold, external contours
// (OpenCV findContours RETR_EXTERNAL), largest first (SPEC §1.3: "the largest external contour of
// the thresholded mask is the character"); and the pure choice of which contours become crops.
import type { Box, GrayImage, RgbImage } from '../vision/image.js';
import { loadOpenCv, matFromGray, withMats } from '../vision/opencv.js';

/** Mask values above this (0..255) count as character; isnet/u2net outputs are 0.5 at 127.5. */
export const MASK_THRESHOLD = 127;

export interface MaskContour {
  /** Bounding box of the contour in mask pixels. */
  readonly box: Box;
  /** Area enclosed by the contour in pixels (OpenCV contourArea). */
  readonly area: number;
}

/** External contours of `mask > threshold`, largest area first. */
export async function findMaskContours(mask: GrayImage, threshold = MASK_THRESHOLD): Promise<MaskContour[]> {
  const cv = await loadOpenCv();
  return withMats((keep) => {
    const src = keep(matFromGray(cv, mask));
    const binary = keep(new cv.Mat());
    cv.threshold(src, binary, threshold, 255, cv.THRESH_BINARY);
    const contours = keep(new cv.MatVector());
    const hierarchy = keep(new cv.Mat());
    cv.findContours(binary, contours, hierarchy, cv.RETR_EXTERNAL, cv.CHAIN_APPROX_SIMPLE);
    const found: MaskContour[] = [];
    for (let i = 0; i < contours.size(); i++) {
      const contour = keep(contours.get(i));
      const rect = cv.boundingRect(contour);
      found.push({
        box: { x: rect.x, y: rect.y, width: rect.width, height: rect.height },
        area: cv.contourArea(contour),
      });
    }
    return found.sort((a, b) => b.area - a.area || b.box.width * b.box.height - a.box.width * a.box.height);
  });
}

/** In `all` mode, a separate mask component counts as another character when its area is at least
 * this fraction of the largest one (smaller ones are bubbles' tails, props, noise). */
export const SECONDARY_COMPONENT_MIN_FRACTION = 0.2;

/**
 * Which contours become characters: `largest` -> the largest; `all` -> every contour whose area is at
 * least {@link SECONDARY_COMPONENT_MIN_FRACTION} of the largest. Input sorted largest first.
 */
export function selectCharacterContours(
  contours: readonly MaskContour[],
  mode: 'largest' | 'all',
): MaskContour[] {
  const largest = contours[0];
  if (!largest || largest.area <= 0) return [];
  if (mode === 'largest') return [largest];
  return contours.filter((contour) => contour.area >= largest.area * SECONDARY_COMPONENT_MIN_FRACTION);
}

/** Bounding box of mask pixels above `threshold` inside `within` (tightens a detector box to the
 * character's pixels); undefined when none are there. */
export function maskBoundsWithin(mask: GrayImage, within: Box, threshold = MASK_THRESHOLD): Box | undefined {
  const x0 = Math.max(0, Math.floor(within.x));
  const y0 = Math.max(0, Math.floor(within.y));
  const x1 = Math.min(mask.width, Math.ceil(within.x + within.width));
  const y1 = Math.min(mask.height, Math.ceil(within.y + within.height));
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = -1;
  let maxY = -1;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      if ((mask.data[y * mask.width + x] ?? 0) > threshold) {
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
    }
  }
  if (maxX < 0) return undefined;
  return { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
}

/**
 * Mask parts whose pixels are more than this fraction near-white look like speech bubbles, not characters:
 * a bubble with its text removed is white but for its outline (0.95+ measured); a manga character drawn
 * as black lines on white paper (white skin, hair and clothes) measured 0.65-0.81, so the line sits
 * above that.
 */
export const BUBBLE_WHITE_FRACTION = 0.9;

/**
 * Fraction (0..1) of the mask pixels inside `box` whose colour is near-white (every channel >= 225):
 * a speech bubble with its text removed is almost all white, a character rarely more than half.
 */
export function whiteFractionWithin(
  image: RgbImage,
  mask: GrayImage,
  box: Box,
  threshold = MASK_THRESHOLD,
): number {
  let inMask = 0;
  let white = 0;
  for (let y = box.y; y < box.y + box.height; y++) {
    for (let x = box.x; x < box.x + box.width; x++) {
      const p = y * mask.width + x;
      if ((mask.data[p] ?? 0) <= threshold) continue;
      inMask++;
      const i = p * 3;
      if ((image.data[i] ?? 0) >= 225 && (image.data[i + 1] ?? 0) >= 225 && (image.data[i + 2] ?? 0) >= 225)
        white++;
    }
  }
  return inMask === 0 ? 0 : white / inMask;
}

/**
 * A mask part that fills at least this share of its bounding box, with each of the box's four sides
 * (2 px in) at least {@link PANEL_EDGE_FRACTION} mask, is a filled rectangle: a panel interior, a
 * narration box or a dark flashback panel, not a character. Measured (classic segmenter): panels and
 * boxes 0.82-1.00 filled with every side 0.98-1.00 mask; characters (examples/screens and the QA probe
 * set) 0.41-0.63 filled with no side over 0.44.
 */
export const PANEL_FILL_FRACTION = 0.8;
export const PANEL_EDGE_FRACTION = 0.9;

/** Whether the mask inside `box` is a filled rectangle (see {@link PANEL_FILL_FRACTION}). */
export function looksLikePanel(mask: GrayImage, box: Box, threshold = MASK_THRESHOLD): boolean {
  const inset = 2;
  if (box.width < 4 * inset || box.height < 4 * inset) return false;
  const at = (x: number, y: number) => (mask.data[y * mask.width + x] ?? 0) > threshold;
  let filled = 0;
  for (let y = box.y; y < box.y + box.height; y++)
    for (let x = box.x; x < box.x + box.width; x++) if (at(x, y)) filled++;
  if (filled < PANEL_FILL_FRACTION * box.width * box.height) return false;
  const share = (count: number, fn: (i: number) => boolean) => {
    let n = 0;
    for (let i = 0; i < count; i++) if (fn(i)) n++;
    return n / count;
  };
  const top = box.y + inset;
  const bottom = box.y + box.height - 1 - inset;
  const left = box.x + inset;
  const right = box.x + box.width - 1 - inset;
  return [
    share(box.width, (i) => at(box.x + i, top)),
    share(box.width, (i) => at(box.x + i, bottom)),
    share(box.height, (i) => at(left, box.y + i)),
    share(box.height, (i) => at(right, box.y + i)),
  ].every((side) => side >= PANEL_EDGE_FRACTION);
}

/** A detector box is tightened to the mask only when the mask fills at least this share of it;
 * a mask that disagrees with the detector (it missed most of the person) would shrink the crop. */
export const TIGHTEN_MIN_AREA_FRACTION = 0.3;

/** The detector's box tightened to the mask pixels inside it, or the box itself when the mask disagrees. */
export function tightenToMask(mask: GrayImage, box: Box): Box {
  const tight = maskBoundsWithin(mask, box);
  if (!tight || tight.width * tight.height < TIGHTEN_MIN_AREA_FRACTION * box.width * box.height) return box;
  return tight;
}
