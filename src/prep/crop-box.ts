// src/prep/crop-box.ts — prep stage "crop" maths (pure): the square around a character's box with a
// margin (moved into the image where it fits), the too-small rule, and cutting that square out of an
// image, padding white where it still leaves the image (SPEC §1.4).
import type { Box, RgbImage } from '../vision/image.js';

/** A character whose box has a longer side below this many source pixels is too small to train on... */
export const MIN_CHARACTER_SIDE_PX = 64;
/** ...or below this share of the training resolution: its square would be upscaled more than ~4x, into blur.
 * An absolute rule, not a share of the panel: a webtoon strip or a 4K screenshot holds full-size characters
 * that are a small part of the whole image. */
export const MIN_CHARACTER_SIDE_OF_RESOLUTION = 0.25;

export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

/** Start of a `side`-long span around `centre`, moved to lie inside `0..size` where it fits, else to cover it. */
function placeSpan(centre: number, side: number, size: number): number {
  const start = Math.round(centre - side / 2);
  return side <= size ? Math.min(Math.max(start, 0), size - side) : Math.min(Math.max(start, size - side), 0);
}

/**
 * Square crop box around `character`, side = longer side x (1 + 2 x marginFraction), rounded to whole
 * pixels: centred on the character, then moved into the image where it fits (a character near an edge
 * keeps the picture around it instead of a white band). It extends past the image only on an axis the
 * image is shorter than the square; {@link cutSquare} pads that part. It always contains the character.
 * @param marginFraction margin on each side as a fraction of the character's longer side, 0..1.
 * @throws RangeError when the character box is empty.
 */
export function computeCropBox(character: Box, marginFraction: number, image: ImageSize): Box {
  if (character.width <= 0 || character.height <= 0) {
    throw new RangeError(
      `character box: expected a positive size, got ${character.width}x${character.height}`,
    );
  }
  const side = Math.max(
    1,
    Math.round(Math.max(character.width, character.height) * (1 + 2 * marginFraction)),
  );
  return {
    x: placeSpan(character.x + character.width / 2, side, image.width),
    y: placeSpan(character.y + character.height / 2, side, image.height),
    width: side,
    height: side,
  };
}

/**
 * Under this many pixels (e.g. 16x16, 8x4, 12x3) a box is no figure: a speck, a dash or a stray line the mask kept
 * on a panel with nothing drawn in it, which a skip reason calls blank, not a character too small.
 */
export const NO_FIGURE_MAX_AREA_PX = 256;

/** The smallest longer side a character may have at `resolution`: MIN_CHARACTER_SIDE_PX, or a quarter of it. */
function minimumCharacterSide(resolution: number): number {
  return Math.max(MIN_CHARACTER_SIDE_PX, Math.round(resolution * MIN_CHARACTER_SIDE_OF_RESOLUTION));
}

/** `longer side must be at least 128 px (a quarter of …)`: the rule a too-small character breaks. */
export function characterSideRule(resolution: number): string {
  const minimum = minimumCharacterSide(resolution);
  const why =
    minimum > MIN_CHARACTER_SIDE_PX
      ? ` (a quarter of the ${resolution} px training resolution: smaller would be upscaled into blur)`
      : '';
  return `longer side must be at least ${minimum} px${why}`;
}

/**
 * Why a character box is too small to become a training image, or null when it is big enough: its
 * longer side is below {@link MIN_CHARACTER_SIDE_PX}, or below {@link MIN_CHARACTER_SIDE_OF_RESOLUTION}
 * of the training `resolution`. A box under {@link NO_FIGURE_MAX_AREA_PX} is called blank (a speck, no figure).
 */
export function characterTooSmallReason(character: Box, resolution: number): string | null {
  const longer = Math.max(character.width, character.height);
  if (longer >= minimumCharacterSide(resolution)) return null;
  const size = `${character.width}x${character.height} px`;
  if (character.width * character.height < NO_FIGURE_MAX_AREA_PX)
    return `blank: only a ${size} mark, no figure`;
  return `character too small: ${size}, the ${characterSideRule(resolution)}`;
}

/**
 * A file's rejected-crop notes with the too-small rule said once: when several end with the same
 * `, the <rule>`, each keeps its size and `a character's <rule>` follows them (a manga page's six panels said the
 * 128 px explanation six times); a single one keeps it.
 */
export function sideRuleOnce(notes: readonly string[], resolution: number): string[] {
  const rule = characterSideRule(resolution);
  const suffix = `, the ${rule}`;
  if (notes.filter((note) => note.endsWith(suffix)).length < 2) return [...notes];
  return [
    ...notes.map((note) => (note.endsWith(suffix) ? note.slice(0, -suffix.length) : note)),
    `a character's ${rule}`,
  ];
}

/** `box` grown by `by` px on every side, clipped to an image of `size` (its top-left corner at 0, 0). */
export function grownBox(
  box: Box,
  by: number,
  size: { readonly width: number; readonly height: number },
): Box {
  const x = Math.max(box.x - by, 0);
  const y = Math.max(box.y - by, 0);
  return {
    x,
    y,
    width: Math.min(box.x + box.width + by, size.width) - x,
    height: Math.min(box.y + box.height + by, size.height) - y,
  };
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
export function cutSquare(
  image: RgbImage,
  box: Box,
  fill: readonly [number, number, number] = [255, 255, 255],
): RgbImage {
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
