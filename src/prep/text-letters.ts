// src/prep/text-letters.ts — which pixels of a text area over art are the letters to inpaint: the
// colours the art around the area lacks (their fill), grown to take their anti-aliasing and a drawn
// outline (text-outline.ts), also where that outline lies past the detected box. Pure.
import { dilateEllipse } from '../vision/binary-dilate.js';
import type { Box, RgbImage } from '../vision/image.js';
import { grownBox } from './crop-box.js';
import { measureOutlineBandPx, measureOutlinePx, outlineColourAround } from './text-outline.js';
import { foreignColourPixels, type RingColourStats, ringColourBins } from './text-mask.js';

/** Below this share of foreign-coloured pixels, the letters cannot be told from the art by colour. */
const MIN_FOREIGN_SHARE = 0.02;
/** Letter outlines and anti-aliasing: the foreign-colour pixels grow by this x the area's shorter side. */
const OUTLINE_GROW = 0.06;
/**
 * A drawn outline (text-outline.ts) is erased past the area's edge by its width + 1, at most this x the
 * area's shorter side (at least OUTLINE_REACH_MIN_PX): the detected box can be tight to the letters'
 * fill, their outline outside it.
 */
const OUTLINE_REACH_SHARE = 0.25;
const OUTLINE_REACH_MIN_PX = 4;
/** A flat ring darker than this (luma 0..255) may be the letters' outline band, not a bubble (bubbles are light). */
export const BAND_MAX_LUMA = 100;

export interface RingSample {
  readonly ring: Uint8Array;
  readonly box: Box;
  readonly stats: RingColourStats;
}

/** A letters' outline measured outside their area: its width there and its colour. */
export interface OutlineBand {
  readonly px: number;
  readonly colour: readonly number[];
}

/** Pixels of the area within OUTLINE_BAND_TOLERANCE of the band's colour join the letters (the outline inside the area). */
const OUTLINE_BAND_TOLERANCE = 48;

/** `foreign` plus, with a band, the area's pixels of the band's colour (its outline inside the area). */
function withOutline(
  foreign: { mask: Uint8Array; count: number; area: number },
  image: RgbImage,
  area: Box,
  inArea: (i: number) => boolean,
  band: OutlineBand | undefined,
): { mask: Uint8Array; count: number; area: number } {
  if (!band) return foreign;
  const mask = new Uint8Array(foreign.mask);
  let count = foreign.count;
  for (let y = 0; y < area.height; y++)
    for (let x = 0; x < area.width; x++) {
      const i = (area.y + y) * image.width + area.x + x;
      if (mask[y * area.width + x] || !inArea(i)) continue;
      if (
        [0, 1, 2].every(
          (c) =>
            Math.abs((image.data[i * 3 + c] as number) - (band.colour[c] as number)) <=
            OUTLINE_BAND_TOLERANCE,
        )
      ) {
        mask[y * area.width + x] = 255;
        count++;
      }
    }
  return { mask, count, area: foreign.area };
}

/** Luma (0..255) of an RGB colour. */
export const luma = (c: readonly number[]) =>
  0.299 * (c[0] as number) + 0.587 * (c[1] as number) + 0.114 * (c[2] as number);

/** How far past `area` a drawn outline is erased at most (see OUTLINE_REACH_SHARE). */
export function outlineReachPx(area: Box): number {
  return Math.max(OUTLINE_REACH_MIN_PX, Math.round(Math.min(area.width, area.height) * OUTLINE_REACH_SHARE));
}

/**
 * Which pixels of a text area over art to inpaint (row-major over the returned `box`, non-zero =
 * inpaint), or undefined for all of the area's. The letters are the colours the surrounding art does
 * not have (their fill), grown by ~6% of the area's shorter side, or by the width of a drawn outline
 * around them (text-outline.ts) when that is more, to take their outline and anti-aliasing: the art
 * between and around the letters keeps its own texture instead of NS's smooth fill. With an outline,
 * the growth reaches past the area by its width + 1 (at most outlineReachPx): the detected box can be
 * tight to the fill and the outline lie outside it; `box` is then the area grown by that much. `bandPx`:
 * the outline's width measured outside the area (its ring was the outline's colour; `sample` is then
 * the ring beyond it, so the outline's pixels in the area count as letters). When almost no pixel has a
 * foreign colour (black text over black line art), the whole area is inpainted.
 */
export function artTextPixels(
  image: RgbImage,
  labels: Int32Array,
  label: number,
  area: Box,
  sample: RingSample,
  knownBand: OutlineBand | undefined,
  ringAt: (offsetPx: number) => RingSample,
): { box: Box; pixels: Uint8Array } | undefined {
  const inArea = (i: number) => labels[i] === label;
  const foreignTo = (ring: RingSample, band?: OutlineBand) =>
    withOutline(
      foreignColourPixels(image, labels, label, area, ringColourBins(image, ring.ring, ring.box)),
      image,
      area,
      inArea,
      band,
    );
  let foreign = knownBand ? foreignTo(ringAt(knownBand.px + 1), knownBand) : foreignTo(sample);
  if (foreign.count < foreign.area * MIN_FOREIGN_SHARE) return undefined;
  // a drawn outline (sound effects: red letters, thick black outline) is grown over whole, +1 px of anti-aliasing
  // (a band is measured from the area's edge, its anti-aliased last pixel and the area's rounded corners aside: +2)
  let outline = knownBand
    ? knownBand.px + 1
    : measureOutlinePx(image, area, foreign.mask, inArea, sample.ring, sample.box);
  if (outline === 0 && !knownBand) {
    // no outline inside the area: it may lie outside it (the ring then holds much of its colour)
    const colour = outlineColourAround(image, area, foreign.mask, inArea);
    const px = colour ? measureOutlineBandPx(image, labels, label, area, colour, outlineReachPx(area)) : 0;
    if (colour && px > 0) {
      outline = px + 1;
      foreign = foreignTo(ringAt(px + 1), { px, colour });
    }
  }
  const grow = Math.max(
    2,
    Math.round(Math.min(area.width, area.height) * OUTLINE_GROW),
    outline > 0 ? outline + 1 : 0,
  );
  if (outline === 0) return { box: area, pixels: dilateEllipse(foreign.mask, area.width, area.height, grow) };
  const reach = Math.min(outline + 1, outlineReachPx(area));
  const box = grownBox(area, reach, image);
  const { x: x0, y: y0 } = box;
  const local = new Uint8Array(box.width * box.height);
  for (let y = 0; y < area.height; y++)
    local.set(
      foreign.mask.subarray(y * area.width, (y + 1) * area.width),
      (y + area.y - y0) * box.width + area.x - x0,
    );
  return { box, pixels: dilateEllipse(local, box.width, box.height, grow) };
}
