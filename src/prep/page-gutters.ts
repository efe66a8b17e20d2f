// src/prep/page-gutters.ts — the flat bands of lines a manga page's gutters are made of (pure), tolerant of
// JPEG noise: a line is flat when nearly all its pixels are close to its colour (a median of a few of them).
// JPEG q60-q95 leaves a white gutter beside a black frame line at most ~6 levels off in all but ~1 % of its
// pixels (the ringing at a frame's corner, up to 80 off); strip-panels.ts's exact rule (2 levels, every
// pixel) lost gutters under ~28 px there. Strips keep their own rule.
import type { RgbImage } from '../vision/image.js';
import { near } from './strip-panels.js';

/** Largest per-channel difference from a page line's median colour that still counts as that colour. */
export const PAGE_NOISE_TOLERANCE = 10;

/** A page line is flat when at most this share of its pixels are off its median colour by more than
 * {@link PAGE_NOISE_TOLERANCE} (JPEG ringing where a frame line's corner meets the gutter). */
export const PAGE_NOISE_SHARE = 0.02;

/** A run of flat lines goes on while each line's median is within this of the run's first line's: a band is
 * about one colour, not shaded. 8, not 4: at q60 a yellow panel's colour bleeds into a 10 px white gutter
 * (JPEG halves colour's resolution), its lines' blue medians 250-255. */
export const PAGE_RUN_TOLERANCE = 8;

/** A page gutter is at least this many lines wide, on any page size (scans at 2000 px have 10-20 px gutters). */
export const PAGE_GUTTER_MIN_PX = 8;

type Rgb = readonly [number, number, number];

/** A run of flat lines of one colour (the first line's median): `start` inclusive, `end` exclusive. */
export interface PageBand {
  readonly start: number;
  readonly end: number;
  readonly colour: Rgb;
}

/** Whether pixel `i` (an index into the data) is off `colour` by more than the noise tolerance. */
function off(data: Uint8Array, i: number, colour: Rgb): boolean {
  return (
    Math.abs((data[i] as number) - colour[0]) > PAGE_NOISE_TOLERANCE ||
    Math.abs((data[i + 1] as number) - colour[1]) > PAGE_NOISE_TOLERANCE ||
    Math.abs((data[i + 2] as number) - colour[2]) > PAGE_NOISE_TOLERANCE
  );
}

/** How many pixels, evenly spaced, a line's colour is taken from (the median of each channel): nearly all a
 * flat line's pixels are close to it, so its median is one of them; a median of the whole line costs more and
 * tells no more. */
const SAMPLES = 31;

/** The median of each channel of {@link SAMPLES} pixels spread along line `y`. */
function sampledColour(image: RgbImage, y: number): Rgb {
  const { width, data } = image;
  const values = new Uint8Array(SAMPLES);
  const median = (c: number) => {
    for (let k = 0; k < SAMPLES; k++)
      values[k] = data[(y * width + Math.floor(((k + 0.5) * width) / SAMPLES)) * 3 + c] as number;
    return values.sort()[SAMPLES >> 1] as number;
  };
  return [median(0), median(1), median(2)];
}

/** Line `y`'s colour ({@link sampledColour}) when the line is flat: at most {@link PAGE_NOISE_SHARE} of its
 * pixels off it by more than {@link PAGE_NOISE_TOLERANCE}. Else null (as soon as too many are). */
export function flatLineColour(image: RgbImage, y: number): Rgb | null {
  const { width, data } = image;
  const colour = sampledColour(image, y);
  const allowed = PAGE_NOISE_SHARE * width;
  let offCount = 0;
  for (let i = y * width * 3, end = i + width * 3; i < end; i += 3)
    if (off(data, i, colour) && ++offCount > allowed) return null;
  return colour;
}

/** Runs of flat lines ({@link flatLineColour}) whose medians stay within {@link PAGE_RUN_TOLERANCE} of the
 * run's first line's. */
export function pageRuns(image: RgbImage): PageBand[] {
  const runs: PageBand[] = [];
  let open: { start: number; colour: Rgb } | null = null;
  for (let y = 0; y < image.height; y++) {
    const colour = flatLineColour(image, y);
    if (open && !(colour && near(colour, open.colour, PAGE_RUN_TOLERANCE))) {
      runs.push({ ...open, end: y });
      open = null;
    }
    if (colour) open ??= { start: y, colour };
  }
  if (open) runs.push({ ...open, end: image.height });
  return runs;
}

/** Whether something crosses the band: a column off the band's colour in every one of its lines (a thin
 * line of art, a hair, a pole). JPEG's ringing beside a frame is off in the lines next to it, not all. */
export function crossed(image: RgbImage, band: PageBand): boolean {
  const { width, data } = image;
  for (let x = 0; x < width; x++) {
    let y = band.start;
    while (y < band.end && off(data, (y * width + x) * 3, band.colour)) y++;
    if (y === band.end) return true;
  }
  return false;
}

/** Share (0-1) of line `a`'s pixels within the noise tolerance of line `b`'s pixel in the same column. */
export function matchingShare(image: RgbImage, a: number, b: number): number {
  const { width, data } = image;
  let same = 0;
  for (let x = 0; x < width; x++) {
    const i = (a * width + x) * 3;
    const j = (b * width + x) * 3;
    if (
      Math.abs((data[i] as number) - (data[j] as number)) <= PAGE_NOISE_TOLERANCE &&
      Math.abs((data[i + 1] as number) - (data[j + 1] as number)) <= PAGE_NOISE_TOLERANCE &&
      Math.abs((data[i + 2] as number) - (data[j + 2] as number)) <= PAGE_NOISE_TOLERANCE
    )
      same++;
  }
  return same / width;
}
