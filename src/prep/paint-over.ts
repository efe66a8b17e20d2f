// src/prep/paint-over.ts — paints marked pixels of a crop over with the background beside them, row
// by row (character-isolate.ts marks the other characters, speech bubbles and removed text). A flat
// or graded background (paper, sky, ground) is blended across each hole from one side to the other; a
// textured one (screentone) is carried on by repeating its last period from the nearer side, so the
// dots go on through the hole instead of a grey smear or streaks. Pure.
import type { RgbImage } from '../vision/image.js';

/** What a pixel of the square is, for {@link paintOverRuns}. */
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

/** Longest horizontal period (px) looked for in the background; screentone dots are 3-12 px apart. */
export const MAX_TEXTURE_PERIOD = 16;
/**
 * The background counts as textured when its pixels differ from their right neighbour by more than
 * this on average (0..255 luminance): flat paper, JPEG noise and a sky gradient stay under ~3,
 * screentone dots measured 20-40.
 */
export const TEXTURE_MIN_CONTRAST = 8;
/** A period counts when it repeats the background at least this much better than the next pixel does. */
const PERIOD_MAX_SHARE = 0.5;

const lumaAt = (d: Uint8Array, i: number) =>
  0.3 * (d[i] as number) + 0.59 * (d[i + 1] as number) + 0.11 * (d[i + 2] as number);

/**
 * The background's horizontal period: the shortest shift 2..{@link MAX_TEXTURE_PERIOD} whose mean
 * luminance difference over background pixel pairs is at most {@link PERIOD_MAX_SHARE} of the best
 * shift's... when the background is textured (see {@link TEXTURE_MIN_CONTRAST}); 1 for a flat or
 * graded background, or when no shift repeats it.
 */
export function backgroundPeriod(square: RgbImage, kind: Uint8Array): number {
  const { width, height, data } = square;
  const rowStep = 3; // every third row is plenty for a texture, and a third of the work
  // the sampled rows' luminance and background flags, made once for both passes below
  const rows = Math.ceil(height / rowStep);
  const luma = new Float32Array(rows * width);
  const background = new Uint8Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const row = r * rowStep * width;
    for (let x = 0; x < width; x++) {
      luma[r * width + x] = lumaAt(data, (row + x) * 3);
      background[r * width + x] = kind[row + x] === PIXEL.background ? 1 : 0;
    }
  }
  /** Mean luminance difference over background pairs `p` px apart, for each p in `periods`. */
  const means = (periods: readonly number[]) => {
    const diffs = new Float64Array(periods.length);
    const counts = new Float64Array(periods.length);
    for (let r = 0; r < rows; r++) {
      const row = r * width;
      // period by period, each sum still adds its pairs in row-major order (the same float result)
      for (let k = 0; k < periods.length; k++) {
        const period = periods[k] as number;
        let diff = diffs[k] as number;
        let count = counts[k] as number;
        for (let x = row; x + period < row + width; x++) {
          if (!background[x] || !background[x + period]) continue;
          diff += Math.abs((luma[x] as number) - (luma[x + period] as number));
          count++;
        }
        diffs[k] = diff;
        counts[k] = count;
      }
    }
    return periods.map((_, k) =>
      (counts[k] as number) > 0 ? (diffs[k] as number) / (counts[k] as number) : Infinity,
    );
  };
  const [neighbour] = means([1]) as [number];
  if (!(neighbour > TEXTURE_MIN_CONTRAST) || !Number.isFinite(neighbour)) return 1;
  const periods = Array.from({ length: MAX_TEXTURE_PERIOD - 1 }, (_, k) => k + 2);
  const mean = means(periods);
  const best = Math.min(...mean);
  if (!(best <= PERIOD_MAX_SHARE * neighbour)) return 1;
  const found = mean.findIndex((m) => m <= best * 1.25 + 1);
  return found < 0 ? 1 : (periods[found] as number);
}

/** Whether pixels `from .. from + count - 1` of row `row` all lie in the square and are background. */
function allBackground(kind: Uint8Array, row: number, width: number, from: number, count: number): boolean {
  if (from < 0 || from + count > width) return false;
  for (let x = from; x < from + count; x++) if (kind[row + x] !== PIXEL.background) return false;
  return true;
}

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
function sideColour(
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

const painted = (k: number | undefined) => k === PIXEL.other || k === PIXEL.clutter;

/**
 * For each painted pixel, the background colours above and below its column run (see sideColour),
 * with the share of the way down the run: a function of the pixel, walking its column once on first use.
 */
function columnSides(square: RgbImage, kind: Uint8Array, paper: readonly number[] | undefined) {
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

/** Two side colours agree when no channel differs by more than this (0..255). */
export const SIDES_AGREE = 48;

type Colour = readonly number[] | undefined;

const agree = (a: Colour, b: Colour) =>
  !!a && !!b && a.every((v, c) => Math.abs(v - (b[c] as number)) <= SIDES_AGREE);
const blend = (a: readonly number[], b: readonly number[], f: number) =>
  a.map((v, c) => Math.round(v + ((b[c] as number) - v) * f));

/**
 * A painted pixel's colour from the background colours beside it (undefined = none): left `l` and
 * right `r` at share `t` of the row run, up `u` and down `d` at share `s` of the column run. The row
 * decides (two sides: the blend across the row, so sky, ground and flat fills carry on through the
 * hole; one side: its colour), except where the column's two sides agree with each other and a row side
 * does not agree with them: that side is a line just beside the hole (a speed line, a leftover
 * stroke), which would streak across it, and the agreeing side or the column's colour is taken.
 */
export function combineSides(
  l: Colour,
  r: Colour,
  t: number,
  u: Colour,
  d: Colour,
  s: number,
): number[] | undefined {
  const column = u && d ? blend(u, d, s) : u ? [...u] : d ? [...d] : undefined;
  // one column side alone says too little: it may be across the character (sky above, ground below)
  const columnAgrees = !!u && !!d && agree(u, d);
  if (l && r) {
    if (agree(l, r) || !columnAgrees) return blend(l, r, t);
    if (agree(l, column)) return [...l];
    if (agree(r, column)) return [...r];
    return column;
  }
  const row = l ?? r;
  if (row) return columnAgrees && !agree(row, column) ? column : [...row];
  return column;
}

/**
 * Paints the pixels of `square` marked {@link PIXEL.other} or {@link PIXEL.clutter} in `kind`, row by
 * row. On a textured background (period > 1, {@link backgroundPeriod}) each hole pixel copies the
 * background pixel a whole number of periods away on the nearer side whose last period is all
 * background; otherwise each pixel takes the background colours beside its row run and its column
 * run (each the median of up to {@link SIDE_SAMPLES} pixels; none where the run reaches the square's
 * edge or a character, whose outline would streak) combined by {@link combineSides}, or, where none is
 * background, white (another character) or stays as it is (clutter). Returns a new image.
 */
export function paintOverRuns(square: RgbImage, kind: Uint8Array): RgbImage {
  const { width, height, data } = square;
  const out = new Uint8Array(data);
  const period = backgroundPeriod(square, kind);
  const paper = period > 1 ? undefined : paperColour(square, kind);
  let columns: ReturnType<typeof columnSides> | undefined;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let x = 0;
    while (x < width) {
      if (!painted(kind[row + x])) {
        x++;
        continue;
      }
      const start = x;
      while (x < width && painted(kind[row + x])) x++;
      const leftTile = period > 1 && allBackground(kind, row, width, start - period, period);
      const rightTile = period > 1 && allBackground(kind, row, width, x, period);
      if (leftTile || rightTile) {
        for (let i = start; i < x; i++) {
          const fromLeft = leftTile && (!rightTile || i - start < x - i);
          const source = fromLeft
            ? start - period + ((i - start) % period)
            : x + ((((i - x) % period) + period) % period);
          out.set(data.subarray((row + source) * 3, (row + source) * 3 + 3), (row + i) * 3);
        }
        continue;
      }
      const left = sideColour(square, kind, start - 1, y, -1, 0, paper);
      const right = sideColour(square, kind, x, y, 1, 0, paper);
      const across = left && right && agree(left, right);
      for (let i = start; i < x; i++) {
        const p = row + i;
        const t = (i - start + 1) / (x - start + 1);
        if (across) {
          // the common case (two agreeing row sides), without the column's colours
          for (let c = 0; c < 3; c++)
            out[p * 3 + c] = Math.round(
              (left[c] as number) + ((right[c] as number) - (left[c] as number)) * t,
            );
          continue;
        }
        columns ??= columnSides(square, kind, paper);
        const column = columns(p);
        const colour = combineSides(left, right, t, column.up, column.down, column.share);
        if (colour) out.set(colour, p * 3);
        else if (kind[p] === PIXEL.other) out.fill(255, p * 3, p * 3 + 3);
      }
    }
  }
  return { width, height, data: out };
}
