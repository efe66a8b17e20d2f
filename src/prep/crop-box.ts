// src/prep/crop-box.ts — prep stage "crop" maths (pure): the square around a character's box with a
// margin, the too-small rule, and cutting that square out of an image, padding white where it leaves
// the image (SPEC §1.4).
import type { Box, RgbImage } from '../vision/image.js';

/** A character whose box has a longer side below this many source pixels is too small to train on. */
export const MIN_CHARACTER_SIDE_PX = 64;
/** ...or whose box covers less than this fraction of the panel (a far-away figure, a stray mark). */
export const MIN_CHARACTER_AREA_FRACTION = 0.03;

export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

/**
 * Square crop box centred on `character`, side = longer side x (1 + 2 x marginFraction), rounded to
 * whole pixels. The square may extend past the image; {@link cutSquare} pads that part.
 * @param marginFraction margin on each side as a fraction of the character's longer side, 0..1.
 * @throws RangeError when the character box is empty.
 */
export function computeCropBox(character: Box, marginFraction: number): Box {
  if (character.width <= 0 || character.height <= 0) {
    throw new RangeError(`character box: expected a positive size, got ${character.width}x${character.height}`);
  }
  const side = Math.max(1, Math.round(Math.max(character.width, character.height) * (1 + 2 * marginFraction)));
  const centreX = character.x + character.width / 2;
  const centreY = character.y + character.height / 2;
  return { x: Math.round(centreX - side / 2), y: Math.round(centreY - side / 2), width: side, height: side };
}

/**
 * Why a character box is too small to become a training image, or null when it is big enough:
 * longer side < {@link MIN_CHARACTER_SIDE_PX} or area < {@link MIN_CHARACTER_AREA_FRACTION} of the panel.
 */
export function characterTooSmallReason(character: Box, panel: ImageSize): string | null {
  const longer = Math.max(character.width, character.height);
  if (longer < MIN_CHARACTER_SIDE_PX) {
    return `character too small: ${character.width}x${character.height} px, the longer side must be at least ${MIN_CHARACTER_SIDE_PX} px`;
  }
  const fraction = (character.width * character.height) / (panel.width * panel.height);
  if (fraction < MIN_CHARACTER_AREA_FRACTION) {
    return `character too small: its box covers ${(fraction * 100).toFixed(1)}% of the panel, below ${MIN_CHARACTER_AREA_FRACTION * 100}%`;
  }
  return null;
}

/** Intersection of two boxes (zero-size box when they do not overlap). */
export function intersectBoxes(a: Box, b: Box): Box {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const right = Math.min(a.x + a.width, b.x + b.width);
  const bottom = Math.min(a.y + a.height, b.y + b.height);
  return { x, y, width: Math.max(0, right - x), height: Math.max(0, bottom - y) };
}

/** True when `inner` lies entirely inside `outer`. */
export function boxContains(outer: Box, inner: Box): boolean {
  return (
    inner.x >= outer.x &&
    inner.y >= outer.y &&
    inner.x + inner.width <= outer.x + outer.width &&
    inner.y + inner.height <= outer.y + outer.height
  );
}

/**
 * Copies `box` out of `image`; pixels outside the image are `fill` (default white, matching the
 * flattened alpha and the WD14 padding).
 */
export function cutSquare(image: RgbImage, box: Box, fill: readonly [number, number, number] = [255, 255, 255]): RgbImage {
  const out = new Uint8Array(box.width * box.height * 3);
  const inside = intersectBoxes(box, { x: 0, y: 0, width: image.width, height: image.height });
  if (inside.width * inside.height < box.width * box.height) {
    // only squares that leave the image need padding; a grey/white fill is one memset
    if (fill[0] === fill[1] && fill[1] === fill[2]) out.fill(fill[0]);
    else {
      for (let i = 0; i < out.length; i += 3) {
        out[i] = fill[0];
        out[i + 1] = fill[1];
        out[i + 2] = fill[2];
      }
    }
  }
  for (let y = inside.y; y < inside.y + inside.height; y++) {
    const srcStart = (y * image.width + inside.x) * 3;
    const dstStart = ((y - box.y) * box.width + (inside.x - box.x)) * 3;
    out.set(image.data.subarray(srcStart, srcStart + inside.width * 3), dstStart);
  }
  return { width: box.width, height: box.height, data: out };
}
