// src/prep/text-outline.ts — the outline of sound-effect lettering over art: letters filled with one
// colour and drawn with a thick outline of another (red fill, black outline). The removal inpaints the
// letters' foreign-coloured fill grown by a little; an outline thicker than that growth was left as
// dark pieces around the erased letters. This measures the outline's width in a text area, so the
// erase mask can be grown to cover it. Pure.
import type { Box, RgbImage } from '../vision/image.js';

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

const near = (image: RgbImage, i: number, colour: readonly number[]) =>
  Math.abs((image.data[i * 3] as number) - (colour[0] as number)) <= OUTLINE_TOLERANCE &&
  Math.abs((image.data[i * 3 + 1] as number) - (colour[1] as number)) <= OUTLINE_TOLERANCE &&
  Math.abs((image.data[i * 3 + 2] as number) - (colour[2] as number)) <= OUTLINE_TOLERANCE;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
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
  if (samples.length < 8) return 0;
  const colour = [0, 1, 2].map((c) => median(samples.map((s) => s[c] as number)));
  const matching = samples.filter((s) =>
    s.every((v, c) => Math.abs(v - (colour[c] as number)) <= OUTLINE_TOLERANCE),
  );
  if (matching.length < samples.length * OUTLINE_MIN_SHARE) return 0;
  let ringCount = 0;
  let ringOutline = 0;
  for (let y = 0; y < ringBox.height; y++)
    for (let x = 0; x < ringBox.width; x++) {
      if (!ring[y * ringBox.width + x]) continue;
      ringCount++;
      if (near(image, (ringBox.y + y) * image.width + ringBox.x + x, colour)) ringOutline++;
    }
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
