// src/prep/text-letters.ts — which pixels of a text area over art are the letters to inpaint: the
// colours the art around the area lacks (their fill), grown to take their anti-aliasing and a drawn
// outline (text-outline.ts), also where that outline lies past the detected box. Pure.
import { dilateEllipse } from '../vision/binary-dilate.js';
import type { Box, RgbImage } from '../vision/image.js';
import { grownBox } from './crop-box.js';
import { FOUR_STEPS, forEachMaskPixel } from './grid.js';
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
/**
 * A flat ring at least this light (luma 0..255) may be a white outline band around dark letters whose
 * box hugs their fill, not a bubble: it is when the walks out of the area leave it within
 * outlineReachPx (a bubble's paper goes on). Light grey ground (screentone paper, #ddd) is told from the
 * outline's white by LIGHT_BAND_TOLERANCE, not the dark band's 48.
 */
const LIGHT_BAND_MIN_LUMA = 200;
const LIGHT_BAND_TOLERANCE = 20;

/**
 * The width of the letters' outline band that a flat ring of `colour` around the area lies on
 * (text-outline.ts measureOutlineBandPx), or 0 when the ring is the ground the text sits on (a bubble,
 * a narration box): dark rings with the dark outline's tolerance, light rings with LIGHT_BAND_TOLERANCE,
 * mid-tones never.
 */
export function ringBandPx(
  image: RgbImage,
  labels: Int32Array,
  label: number,
  area: Box,
  colour: readonly number[],
): number {
  const l = luma(colour);
  if (l < BAND_MAX_LUMA)
    return measureOutlineBandPx(image, labels, label, area, colour, outlineReachPx(area));
  if (l < LIGHT_BAND_MIN_LUMA) return 0;
  return measureOutlineBandPx(image, labels, label, area, colour, outlineReachPx(area), LIGHT_BAND_TOLERANCE);
}

/**
 * A ring around a text area that is not flat but at least this share light (every channel at least
 * LIGHT_BAND_MIN_LUMA - LIGHT_BAND_TOLERANCE, luma LIGHT_BAND_MIN_LUMA+) may lie on a white outline of letters
 * whose box hugs their fill, broken by the gaps between letters (art shows through them): ringBandPx
 * then measures that light colour's band (a bubble's paper runs on past it: no band). Measured on the
 * white-outlined sound effect (prep-white-outline.test.ts), box on the letters, 10-18 px outlines:
 * 0.85-0.99 light over screentone, 0.74-0.98 over a flat blue.
 */
export const LIGHT_RING_MIN_SHARE = 0.5;

/** The mean colour of the light pixels of `sample`'s ring (see LIGHT_RING_MIN_SHARE), or undefined. */
export function lightRingColour(image: RgbImage, sample: RingSample): number[] | undefined {
  const { ring, box } = sample;
  const sum = [0, 0, 0];
  let light = 0;
  const count = forEachMaskPixel(ring, box, image.width, (p) => {
    const i = p * 3;
    const c = [image.data[i] as number, image.data[i + 1] as number, image.data[i + 2] as number];
    if (Math.min(...c) < LIGHT_BAND_MIN_LUMA - LIGHT_BAND_TOLERANCE || luma(c) < LIGHT_BAND_MIN_LUMA) return;
    light++;
    for (let k = 0; k < 3; k++) sum[k] = (sum[k] as number) + (c[k] as number);
  });
  if (count < 8 || light < count * LIGHT_RING_MIN_SHARE) return undefined;
  return sum.map((v) => Math.round(v / light));
}

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

/**
 * Foreign pixels this light on average (luma 0..255) are a light outline (dark sound-effect letters
 * drawn with a white outline), not the letters: the art around has the letters' dark colour (its line
 * work), so only the outline was foreign and the letters inside it were left. What the outline
 * encloses then joins the letters. Measured: white outlines (synthetic, over screentone, a flat blue and
 * light grey, text-remove.test.ts / prep-quality.test.ts) 240+; red letter fills ~100.
 */
export const LIGHT_OUTLINE_MIN_LUMA = 200;

/**
 * The pixels of the area (over `area`'s box, `inArea`) that `mask` encloses: not set in it and not
 * reachable (4-connected, through unset pixels) from the box's edge or from a pixel outside the area. Pure.
 */
export function enclosedPixels(
  mask: Uint8Array,
  image: RgbImage,
  area: Box,
  inArea: (i: number) => boolean,
): Uint8Array {
  const { width: w, height: h } = area;
  const reached = new Uint8Array(w * h);
  const queue: number[] = [];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const j = y * w + x;
      if (mask[j]) continue;
      const edge = x === 0 || y === 0 || x === w - 1 || y === h - 1;
      if (edge || !inArea((area.y + y) * image.width + area.x + x)) {
        reached[j] = 1;
        queue.push(j);
      }
    }
  while (queue.length > 0) {
    const j = queue.pop() as number;
    const x = j % w;
    for (const k of [x > 0 ? j - 1 : -1, x < w - 1 ? j + 1 : -1, j - w, j + w]) {
      if (k < 0 || k >= w * h || reached[k] || mask[k]) continue;
      reached[k] = 1;
      queue.push(k);
    }
  }
  const enclosed = new Uint8Array(w * h);
  for (let j = 0; j < w * h; j++) if (!mask[j] && !reached[j]) enclosed[j] = 255;
  return enclosed;
}

/**
 * What light foreign pixels enclose is art, not letters, when its colours are this common (on average,
 * 0..1) just outside them: white letters (no outline) over art hold the same art in their counters
 * (the holes of A, B, O) as around them, while dark letters inside a white outline have a fill that is
 * rare there (the art's line work at most). Measured: counters of white letters over a figure on
 * screentone 0.31, on a flat blue 0.41 (test/prep-white-letters.test.ts); black letters in an 8 px white
 * outline over the same 0.09-0.10 (prep-white-outline.test.ts).
 */
export const ENCLOSED_ART_MIN_SHARE = 0.2;

/** A colour's 32-level bin (0..511). */
const colourBin = (image: RgbImage, i: number) =>
  ((image.data[i * 3] as number) >> 5) * 64 +
  ((image.data[i * 3 + 1] as number) >> 5) * 8 +
  ((image.data[i * 3 + 2] as number) >> 5);

/**
 * How common (0..1, averaged over the `enclosed` pixels) each enclosed pixel's colour bin is among the
 * pixels 2 px outside `mask`'s outer edges (in the area, neither masked nor enclosed); 0 when fewer than
 * 8 such pixels exist. Both masks row-major over `area`. Pure.
 */
export function outsideColourShare(
  mask: Uint8Array,
  enclosed: Uint8Array,
  image: RgbImage,
  area: Box,
  inArea: (i: number) => boolean,
): number {
  const { width: w, height: h } = area;
  const bins = new Uint32Array(512);
  let outside = 0;
  const free = (x: number, y: number) => !mask[y * w + x] && !enclosed[y * w + x];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      if (!mask[y * w + x]) continue;
      for (const [dx, dy] of FOUR_STEPS) {
        const [x2, y2] = [x + 2 * dx, y + 2 * dy];
        if (x2 < 0 || y2 < 0 || x2 >= w || y2 >= h) continue;
        if (!free(x + dx, y + dy) || !free(x2, y2)) continue;
        const i = (area.y + y2) * image.width + area.x + x2;
        if (!inArea(i)) continue;
        const b = colourBin(image, i);
        bins[b] = (bins[b] as number) + 1;
        outside++;
      }
    }
  if (outside < 8) return 0;
  let sum = 0;
  let n = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      if (!enclosed[y * w + x]) continue;
      sum += bins[colourBin(image, (area.y + y) * image.width + area.x + x)] as number;
      n++;
    }
  return n === 0 ? 0 : sum / n / outside;
}

/** `foreign` plus what it encloses when it is a light outline (see LIGHT_OUTLINE_MIN_LUMA) around letters
 * whose fill is not the art around them (see ENCLOSED_ART_MIN_SHARE). */
function withEnclosedLetters(
  foreign: { mask: Uint8Array; count: number; area: number },
  image: RgbImage,
  area: Box,
  inArea: (i: number) => boolean,
): { mask: Uint8Array; count: number; area: number } {
  if (foreign.count === 0) return foreign;
  let sum = 0;
  for (let y = 0; y < area.height; y++)
    for (let x = 0; x < area.width; x++) {
      if (!foreign.mask[y * area.width + x]) continue;
      const i = ((area.y + y) * image.width + area.x + x) * 3;
      sum += luma([image.data[i] as number, image.data[i + 1] as number, image.data[i + 2] as number]);
    }
  if (sum / foreign.count < LIGHT_OUTLINE_MIN_LUMA) return foreign;
  return withEnclosed(foreign, image, area, inArea);
}

/** `foreign` plus what it encloses, unless that is the art around it (see ENCLOSED_ART_MIN_SHARE). */
function withEnclosed(
  foreign: { mask: Uint8Array; count: number; area: number },
  image: RgbImage,
  area: Box,
  inArea: (i: number) => boolean,
): { mask: Uint8Array; count: number; area: number } {
  const enclosed = enclosedPixels(foreign.mask, image, area, inArea);
  if (outsideColourShare(foreign.mask, enclosed, image, area, inArea) >= ENCLOSED_ART_MIN_SHARE)
    return foreign;
  const mask = new Uint8Array(foreign.mask);
  let count = foreign.count;
  for (let j = 0; j < mask.length; j++)
    if (enclosed[j]) {
      mask[j] = 255;
      count++;
    }
  return { mask, count, area: foreign.area };
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
  const foreignTo = (ring: RingSample, band?: OutlineBand) => {
    const letters = withOutline(
      withEnclosedLetters(
        foreignColourPixels(image, labels, label, area, ringColourBins(image, ring.ring, ring.box)),
        image,
        area,
        inArea,
      ),
      image,
      area,
      inArea,
      band,
    );
    // a light band is the letters' white outline: what it encloses in the area is the letters (their
    // dark fill can be the art's line colour, so not foreign: an 18 px stem kept its middle)
    return band && luma(band.colour) >= LIGHT_OUTLINE_MIN_LUMA
      ? withEnclosed(letters, image, area, inArea)
      : letters;
  };
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
