// src/prep/paint-over.ts — paints marked pixels of a crop over with the background beside them, row
// by row (character-isolate.ts marks the other characters, speech bubbles and removed text). A flat
// or graded background (paper, sky, ground) is blended across each hole from one side to the other; a
// textured one (screentone) is carried on by repeating its last period from the nearer side, so the
// dots go on through the hole instead of a grey smear or streaks. The colours beside a hole are
// paint-over-sides.ts's. Pure.
import type { RgbImage } from '../vision/image.js';
import { columnSides, PIXEL, painted, paperColour, SIDES_AGREE, sideColour } from './paint-over-sides.js';

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
 * run (each the median of up to SIDE_SAMPLES (paint-over-sides.ts) pixels; none where the run reaches the square's
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
