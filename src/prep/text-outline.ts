// src/prep/text-outline.ts — the outline of sound-effect lettering over art: letters filled with one
// colour and drawn with a thick outline of another (red fill, black outline). The removal inpaints the
// letters' foreign-coloured fill grown by a little; an outline thicker than that growth was left as
// dark pieces around the erased letters. This measures the outline's width in a text area (or outside
// it, when the detected box is tight to the letters' fill), so the erase mask can be grown to cover it. Pure.
import type { Box, RgbImage } from '../vision/image.js';
import { forEachMaskPixel } from './grid.js';

/** A pixel belongs to the outline when every channel is within this (0..255) of the outline colour;
 * wide enough for JPEG noise on a black or dark outline, narrow enough to stop at screentone grey. */
const OUTLINE_TOLERANCE = 48;
/** The outline colour is the one found 2 px outside the letters' fill at at least this share of the
 * fill's edges: a real outline runs around the whole letter (0.9+ on drawn SFX); art next to plain
 * letters gives a mix of colours (under 0.5). */
const OUTLINE_MIN_SHARE = 0.6;
/** ... and at most this share of the ring around the area has that colour: a colour that is most of
 * the background (letters on a flat colour) is the background, not an outline. */
const OUTLINE_MAX_RING_SHARE = 0.3;
/** Half of the measured runs must end inside the area (at art): runs that all reach the area's edge
 * are background. */
const OUTLINE_MIN_BOUNDED_SHARE = 0.5;

const near = (image: RgbImage, i: number, colour: readonly number[], tolerance = OUTLINE_TOLERANCE) =>
  Math.abs((image.data[i * 3] as number) - (colour[0] as number)) <= tolerance &&
  Math.abs((image.data[i * 3 + 1] as number) - (colour[1] as number)) <= tolerance &&
  Math.abs((image.data[i * 3 + 2] as number) - (colour[2] as number)) <= tolerance;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** The colours 2 px outside the fill's edges: their median when OUTLINE_MIN_SHARE of them are near it. */
function outlineColour(samples: readonly (readonly number[])[]): number[] | undefined {
  if (samples.length < 8) return undefined;
  const colour = [0, 1, 2].map((c) => median(samples.map((s) => s[c] as number)));
  const matching = samples.filter((s) =>
    s.every((v, c) => Math.abs(v - (colour[c] as number)) <= OUTLINE_TOLERANCE),
  );
  return matching.length < samples.length * OUTLINE_MIN_SHARE ? undefined : colour;
}

/**
 * The colour of a one-colour outline the letters' fill sits in (see measureOutlinePx for the
 * arguments), or undefined: the median of the colours 2 px outside the fill's edges, inside the area,
 * when most of them are that colour. Says nothing about its width.
 */
export function outlineColourAround(
  image: RgbImage,
  area: Box,
  fill: Uint8Array,
  inArea: (i: number) => boolean,
): number[] | undefined {
  const at = (x: number, y: number) => fill[y * area.width + x] !== 0;
  const samples: number[][] = [];
  const sample = (i: number) => {
    if (inArea(i))
      samples.push([
        image.data[i * 3] as number,
        image.data[i * 3 + 1] as number,
        image.data[i * 3 + 2] as number,
      ]);
  };
  for (let y = 0; y < area.height; y++)
    for (let x = 0; x < area.width; x++) {
      if (!at(x, y)) continue;
      const i = (area.y + y) * image.width + area.x + x;
      if (x + 2 < area.width && !at(x + 1, y)) sample(i + 2);
      if (x > 1 && !at(x - 1, y)) sample(i - 2);
      if (y + 2 < area.height && !at(x, y + 1)) sample(i + 2 * image.width);
      if (y > 1 && !at(x, y - 1)) sample(i - 2 * image.width);
    }
  return outlineColour(samples);
}

/**
 * Width in px of a one-colour outline around the letters' fill, or 0 when there is none.
 * `fill` is the letters' foreign-colour mask (row-major over `area`, non-zero = fill); `inArea(i)`
 * says whether image pixel `i` belongs to the text area; `ring` / `ringBox` are the pixels around it.
 * Scans rows and columns outward from every edge of the fill: the colour 2 px out is the candidate
 * outline colour, and each run of that colour (the first, anti-aliased pixel included) is a width.
 */
export function measureOutlinePx(
  image: RgbImage,
  area: Box,
  fill: Uint8Array,
  inArea: (i: number) => boolean,
  ring: Uint8Array,
  ringBox: Box,
): number {
  // the walks outward from each edge of the fill: start pixel (image index) and step
  const walks: { start: number; step: number; limit: number }[] = [];
  const at = (x: number, y: number) => fill[y * area.width + x] !== 0;
  for (let y = 0; y < area.height; y++) {
    for (let x = 0; x < area.width; x++) {
      if (!at(x, y)) continue;
      const i = (area.y + y) * image.width + area.x + x;
      if (x + 1 < area.width && !at(x + 1, y))
        walks.push({ start: i + 1, step: 1, limit: area.width - x - 1 });
      if (x > 0 && !at(x - 1, y)) walks.push({ start: i - 1, step: -1, limit: x });
      if (y + 1 < area.height && !at(x, y + 1))
        walks.push({ start: i + image.width, step: image.width, limit: area.height - y - 1 });
      if (y > 0 && !at(x, y - 1)) walks.push({ start: i - image.width, step: -image.width, limit: y });
    }
  }
  const samples: number[][] = [];
  for (const walk of walks) {
    if (walk.limit < 3) continue;
    const i = walk.start + walk.step;
    if (!inArea(i)) continue;
    samples.push([
      image.data[i * 3] as number,
      image.data[i * 3 + 1] as number,
      image.data[i * 3 + 2] as number,
    ]);
  }
  const colour = outlineColour(samples);
  if (!colour) return 0;
  let ringOutline = 0;
  const ringCount = forEachMaskPixel(ring, ringBox, image.width, (i) => {
    if (near(image, i, colour)) ringOutline++;
  });
  if (ringCount > 0 && ringOutline > ringCount * OUTLINE_MAX_RING_SHARE) return 0;
  const runs: number[] = [];
  let bounded = 0;
  for (const walk of walks) {
    let run = 0;
    let i = walk.start;
    let ended = false;
    while (run < walk.limit && inArea(i)) {
      const local = (Math.floor(i / image.width) - area.y) * area.width + (i % image.width) - area.x;
      if (fill[local]) {
        ended = true; // the next letter's fill: the outline is between the two
        break;
      }
      if (run > 0 && !near(image, i, colour)) {
        ended = true;
        break;
      }
      run++;
      i += walk.step;
    }
    if (run === 0) continue;
    runs.push(run);
    if (ended) bounded++;
  }
  if (runs.length === 0 || bounded < runs.length * OUTLINE_MIN_BOUNDED_SHARE) return 0;
  return median(runs);
}

/** At least this share of the walks out of a text area must leave the ring's colour within the bound
 * for that colour to be a band (an outline) rather than the ground the text sits on. */
const BAND_MIN_ENDED_SHARE = 0.8;

/**
 * Width in px of a band of `colour` around the text area (component `label` of `labels`, box `area`),
 * measured outward from the area's edge, or 0 when it is not a band: an outline thicker than the text
 * mask's growth, around letters whose detected box is tight to their fill, reads as a flat ring of its
 * colour. Walks leave the area from every edge pixel, through pixels of no masked area; a walk that is
 * still on `colour` after `boundPx` steps (a bubble's or panel's ground) counts against the band.
 * `tolerance`: how far (per channel) a pixel may be from `colour` and still be on the band.
 */
export function measureOutlineBandPx(
  image: RgbImage,
  labels: Int32Array,
  label: number,
  area: Box,
  colour: readonly number[],
  boundPx: number,
  tolerance = OUTLINE_TOLERANCE,
): number {
  const { width, height, data } = image;
  const [r, g, b] = colour as [number, number, number];
  const runs: number[] = [];
  let open = 0;
  // from edge pixel (x, y) of the area, (dx, dy) a 4-neighbour step onto a pixel of no masked area
  const walk = (x: number, y: number, dx: number, dy: number) => {
    let run = 0;
    let cx = x + dx;
    let cy = y + dy;
    while (cx >= 0 && cy >= 0 && cx < width && cy < height && run <= boundPx) {
      const i = cy * width + cx;
      if (
        labels[i] !== 0 ||
        Math.abs((data[i * 3] as number) - r) > tolerance ||
        Math.abs((data[i * 3 + 1] as number) - g) > tolerance ||
        Math.abs((data[i * 3 + 2] as number) - b) > tolerance
      )
        break;
      run++;
      cx += dx;
      cy += dy;
    }
    if (run > boundPx) open++;
    else if (run > 0) runs.push(run); // 0: the area's edge is not on the band there (a gap between letters)
  };
  for (let y = area.y; y < area.y + area.height; y++)
    for (let x = area.x; x < area.x + area.width; x++) {
      const p = y * width + x;
      if (labels[p] !== label) continue;
      // FOUR_STEPS' order: right, left, down, up
      if (x + 1 < width && labels[p + 1] === 0) walk(x, y, 1, 0);
      if (x > 0 && labels[p - 1] === 0) walk(x, y, -1, 0);
      if (y + 1 < height && labels[p + width] === 0) walk(x, y, 0, 1);
      if (y > 0 && labels[p - width] === 0) walk(x, y, 0, -1);
    }
  if (runs.length < 8 || runs.length < (runs.length + open) * BAND_MIN_ENDED_SHARE) return 0;
  return median(runs);
}
