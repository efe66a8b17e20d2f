// src/prep/paint-over-sides.ts — what paint-over.ts fills a hole from: the kinds of a square's pixels,
// and the background colour beside a hole's run (the median of the runs beside it over a band of parallel
// lines, or the square's paper where those are lines over paper), by row and, walked on first use, by
// column. Pure.
import type { RgbImage } from '../vision/image.js';

/** What a pixel of the square is, for paint-over.ts's paintOverRuns. */
export const PIXEL = {
  /** Background: kept, and the source of the fill. */
  background: 0,
  /** Another character: painted over, white where no background lies beside it. */
  other: 1,
  /** This character's own pixel: kept, never a source. */
  own: 2,
  /** A speech bubble or removed text: painted over, kept as it is where no background lies beside it. */
  clutter: 3,
} as const;

/** Whether a pixel of this kind is painted over. */
export const painted = (k: number | undefined) => k === PIXEL.other || k === PIXEL.clutter;

/** Two side colours agree when no channel differs by more than this (0..255). */
export const SIDES_AGREE = 48;

/**
 * Background pixels looked at beside a hole, from its edge outwards: their median is the colour
 * carried into it, so a thin line (a speed line, an outline) just beside the hole does not streak
 * across it.
 */
export const SIDE_SAMPLES = 15;

/**
 * Rows (or columns) either side of a hole pixel's own whose background runs beside the hole join its
 * side colour's median: a thin line running almost along the row just beside the hole (a shallow speed
 * line ending at it) filled a whole 15-px run with its ink and was streaked across the hole, out to
 * the square's edge where the hole reached it (examples/screens/panel-05's crop).
 */
export const SIDE_BAND = 4;

/**
 * A side whose samples are both paper (every channel within {@link SIDES_AGREE} of the square's
 * {@link paperColour}) and ink (the others), each at least this share, is lines over paper (a double
 * speed line running into the hole): paper is carried into the hole instead of the samples' median,
 * which streaked the lines' ink or a grey across it (examples/screens/panel-05's crop: the sides
 * beside its streak held 0.25-0.47 paper). A flat area of another colour, or a gradient, holds one
 * kind only.
 */
export const LINE_SIDE_MIN_SHARE = 0.2;

/**
 * The square's paper: the mean colour of its commonest background colour (16 levels a channel, every
 * other pixel of every other row; a per-channel median mixes the colours of a wall and a floor);
 * undefined when it has none.
 */
export function paperColour(square: RgbImage, kind: Uint8Array): number[] | undefined {
  const { width, height, data } = square;
  // 16 levels a channel; the commonest bin's mean colour
  const counts = new Uint32Array(4096);
  const sums = new Float64Array(4096 * 3);
  for (let y = 0; y < height; y += 2)
    for (let x = 0; x < width; x += 2) {
      const p = y * width + x;
      if (kind[p] !== PIXEL.background) continue;
      const [r, g, b] = [data[p * 3] as number, data[p * 3 + 1] as number, data[p * 3 + 2] as number];
      const bin = ((r >> 4) << 8) | ((g >> 4) << 4) | (b >> 4);
      counts[bin] = (counts[bin] as number) + 1;
      sums[bin * 3] = (sums[bin * 3] as number) + r;
      sums[bin * 3 + 1] = (sums[bin * 3 + 1] as number) + g;
      sums[bin * 3 + 2] = (sums[bin * 3 + 2] as number) + b;
    }
  let best = 0;
  for (let bin = 1; bin < 4096; bin++) if ((counts[bin] as number) > (counts[best] as number)) best = bin;
  const n = counts[best] as number;
  if (n === 0) return undefined;
  return [0, 1, 2].map((c) => Math.round((sums[best * 3 + c] as number) / n));
}

/**
 * Per-channel median of the background runs starting at pixel (`x`, `y`) and going (`dx`, `dy`), at
 * most {@link SIDE_SAMPLES} pixels each, on that line and the {@link SIDE_BAND} lines either side of
 * it (each run from the same distance along, and only while background); `paper` instead where the
 * samples are lines over it (see {@link LINE_SIDE_MIN_SHARE}). Undefined when
 * (`x`, `y`) is not a background pixel of the square.
 */
export function sideColour(
  square: RgbImage,
  kind: Uint8Array,
  x: number,
  y: number,
  dx: number,
  dy: number,
  paper?: readonly number[],
): number[] | undefined {
  const { width, height, data } = square;
  if (x < 0 || y < 0 || x >= width || y >= height || kind[y * width + x] !== PIXEL.background)
    return undefined;
  const [r, g, b] = SIDE_SCRATCH;
  /** Where each parallel run's samples start in the scratch channels, and the end. */
  const runs = RUN_SCRATCH;
  let count = 0;
  for (let o = -SIDE_BAND; o <= SIDE_BAND; o++) {
    // the parallel line `o` away: across a row run is a column offset, and the other way round
    let cx = x + o * dy;
    let cy = y + o * dx;
    runs[o + SIDE_BAND] = count;
    for (let n = 0; n < SIDE_SAMPLES && cx >= 0 && cy >= 0 && cx < width && cy < height; n++) {
      const p = cy * width + cx;
      if (kind[p] !== PIXEL.background) break;
      r[count] = data[p * 3] as number;
      g[count] = data[p * 3 + 1] as number;
      b[count] = data[p * 3 + 2] as number;
      count++;
      cx += dx;
      cy += dy;
    }
  }
  runs[2 * SIDE_BAND + 1] = count;
  if (paper && linesOverPaper(r, g, b, count, runs, paper)) return [...paper];
  return [byteMedian(r, count), byteMedian(g, count), byteMedian(b, count)];
}

/** Samples one side may hold: SIDE_SAMPLES on each of its 2 x SIDE_BAND + 1 parallel lines. */
const SIDE_MAX_SAMPLES = (2 * SIDE_BAND + 1) * SIDE_SAMPLES;
/** sideColour's samples by channel, reused (it is synchronous): no arrays grown per hole side. */
const SIDE_SCRATCH = [0, 1, 2].map(() => new Uint8Array(SIDE_MAX_SAMPLES)) as [
  Uint8Array,
  Uint8Array,
  Uint8Array,
];
const RUN_SCRATCH = new Int32Array(2 * SIDE_BAND + 2);
const MEDIAN_COUNTS = new Uint16Array(256);

/**
 * The value at index `length >> 1` of the first `length` (at least 1) of `values` sorted ascending,
 * as `[...values].sort((a, b) => a - b)[length >> 1]`, by counting (0..255). Pure.
 */
export function byteMedian(values: Uint8Array, length = values.length): number {
  const counts = MEDIAN_COUNTS;
  for (let i = 0; i < length; i++) {
    const v = values[i] as number;
    counts[v] = (counts[v] as number) + 1;
  }
  const k = length >> 1;
  let seen = 0;
  let median = 0;
  for (; median < 255; median++) {
    seen += counts[median] as number;
    if (seen > k) break;
  }
  for (let i = 0; i < length; i++) counts[values[i] as number] = 0;
  return median;
}

/**
 * Whether side samples (by channel; parallel runs from `runs`' offsets) are lines over `paper`: at
 * least {@link LINE_SIDE_MIN_SHARE} of them paper and of them ink, and half or more of the runs that
 * hold samples both (a line crosses them; the rows beside a horizon are one colour each).
 */
function linesOverPaper(
  r: Uint8Array,
  g: Uint8Array,
  b: Uint8Array,
  count: number,
  runs: Int32Array,
  paper: readonly number[],
) {
  let onPaper = 0;
  let held = 0;
  let crossed = 0;
  for (let k = 0; k + 1 < runs.length; k++) {
    const [from, to] = [runs[k] as number, runs[k + 1] as number];
    let runPaper = 0;
    for (let i = from; i < to; i++) {
      const off = Math.max(
        Math.abs((r[i] as number) - (paper[0] as number)),
        Math.abs((g[i] as number) - (paper[1] as number)),
        Math.abs((b[i] as number) - (paper[2] as number)),
      );
      if (off <= SIDES_AGREE) runPaper++;
    }
    onPaper += runPaper;
    if (to > from) held++;
    if (runPaper > 0 && runPaper < to - from) crossed++;
  }
  const least = LINE_SIDE_MIN_SHARE * count;
  return onPaper >= least && count - onPaper >= least && crossed * 2 >= held && held > 0;
}

/** The colour at pixel `p` of a column side array, undefined where there is none. */
function columnSide(colours: Int16Array, p: number): number[] | undefined {
  const i = p * 3;
  return (colours[i] as number) >= 0
    ? [colours[i] as number, colours[i + 1] as number, colours[i + 2] as number]
    : undefined;
}

/**
 * For each painted pixel, the background colours above and below its column run (see sideColour),
 * with the share of the way down the run: a function of the pixel, walking its column once on first use.
 */
export function columnSides(square: RgbImage, kind: Uint8Array, paper: readonly number[] | undefined) {
  const { width, height } = square;
  const up = new Int16Array(width * height * 3).fill(-1);
  const down = new Int16Array(width * height * 3).fill(-1);
  const share = new Float32Array(width * height);
  // a column is walked the first time one of its pixels is asked for: the rows whose two sides agree
  // (most of them) never need theirs
  const walked = new Uint8Array(width);
  const walk = (x: number) => {
    walked[x] = 1;
    let y = 0;
    while (y < height) {
      if (!painted(kind[y * width + x])) {
        y++;
        continue;
      }
      const start = y;
      while (y < height && painted(kind[y * width + x])) y++;
      const above = sideColour(square, kind, x, start - 1, 0, -1, paper);
      const below = sideColour(square, kind, x, y, 0, 1, paper);
      for (let i = start; i < y; i++) {
        const p = i * width + x;
        share[p] = (i - start + 1) / (y - start + 1);
        if (above) up.set(above, p * 3);
        if (below) down.set(below, p * 3);
      }
    }
  };
  /** Pixel `p`'s up and down colours (undefined where none) and its share of the way down its run. */
  return (p: number) => {
    const x = p % width;
    if (!walked[x]) walk(x);
    return { up: columnSide(up, p), down: columnSide(down, p), share: share[p] as number };
  };
}
