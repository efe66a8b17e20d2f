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
  const diffs = new Float64Array(MAX_TEXTURE_PERIOD + 1);
  const counts = new Float64Array(MAX_TEXTURE_PERIOD + 1);
  for (let y = 0; y < height; y += 2) {
    const row = y * width;
    for (let x = 0; x + 1 < width; x++) {
      if (kind[row + x] !== PIXEL.background) continue;
      const a = lumaAt(data, (row + x) * 3);
      for (let p = 1; p <= MAX_TEXTURE_PERIOD && x + p < width; p++) {
        if (kind[row + x + p] !== PIXEL.background) continue;
        diffs[p] = (diffs[p] as number) + Math.abs(a - lumaAt(data, (row + x + p) * 3));
        counts[p] = (counts[p] as number) + 1;
      }
    }
  }
  const mean = (p: number) =>
    (counts[p] as number) > 0 ? (diffs[p] as number) / (counts[p] as number) : Infinity;
  const neighbour = mean(1);
  if (!(neighbour > TEXTURE_MIN_CONTRAST) || !Number.isFinite(neighbour)) return 1;
  let best = Infinity;
  for (let p = 2; p <= MAX_TEXTURE_PERIOD; p++) best = Math.min(best, mean(p));
  if (!(best <= PERIOD_MAX_SHARE * neighbour)) return 1;
  for (let p = 2; p <= MAX_TEXTURE_PERIOD; p++) if (mean(p) <= best * 1.25 + 1) return p;
  return 1;
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
 * Per-channel median of the background run starting at pixel (`x`, `y`) and going (`dx`, `dy`), at
 * most {@link SIDE_SAMPLES} pixels; undefined when (`x`, `y`) is not a background pixel of the square.
 */
function sideColour(
  square: RgbImage,
  kind: Uint8Array,
  x: number,
  y: number,
  dx: number,
  dy: number,
): number[] | undefined {
  const { width, height, data } = square;
  const channels: number[][] = [[], [], []];
  for (let n = 0; n < SIDE_SAMPLES && x >= 0 && y >= 0 && x < width && y < height; n++) {
    const p = y * width + x;
    if (kind[p] !== PIXEL.background) break;
    for (let c = 0; c < 3; c++) channels[c]?.push(data[p * 3 + c] as number);
    x += dx;
    y += dy;
  }
  if (channels[0]?.length === 0) return undefined;
  return channels.map((values) => {
    values.sort((a, b) => a - b);
    return values[values.length >> 1] as number;
  });
}

const painted = (k: number | undefined) => k === PIXEL.other || k === PIXEL.clutter;

/**
 * For each painted pixel, the background colours above and below its column run (see sideColour),
 * with the share of the way down the run: `up`/`down` hold -1 where there is none.
 */
function columnSides(square: RgbImage, kind: Uint8Array) {
  const { width, height } = square;
  const up = new Int16Array(width * height * 3).fill(-1);
  const down = new Int16Array(width * height * 3).fill(-1);
  const share = new Float32Array(width * height);
  for (let x = 0; x < width; x++) {
    let y = 0;
    while (y < height) {
      if (!painted(kind[y * width + x])) {
        y++;
        continue;
      }
      const start = y;
      while (y < height && painted(kind[y * width + x])) y++;
      const above = sideColour(square, kind, x, start - 1, 0, -1);
      const below = sideColour(square, kind, x, y, 0, 1);
      for (let i = start; i < y; i++) {
        const p = i * width + x;
        share[p] = (i - start + 1) / (y - start + 1);
        if (above) up.set(above, p * 3);
        if (below) down.set(below, p * 3);
      }
    }
  }
  return { up, down, share };
}

/**
 * One channel of a painted pixel from the colours beside it (-1 = none): left `l` and right `r` at
 * share `t` of the row run, up `u` and down `d` at share `s` of the column run. All four: the mean of
 * the middle two (a line beside the hole on one side does not streak into it); three: the median; a
 * facing pair: the blend across the run; else their mean; none: -1.
 */
export function combineSides(l: number, r: number, t: number, u: number, d: number, s: number): number {
  const all = [l, r, u, d].filter((v) => v >= 0).sort((a, b) => a - b);
  if (all.length === 4) return Math.round(((all[1] as number) + (all[2] as number)) / 2);
  if (all.length === 3) return all[1] as number;
  if (l >= 0 && r >= 0) return Math.round(l + (r - l) * t);
  if (u >= 0 && d >= 0) return Math.round(u + (d - u) * s);
  if (all.length === 0) return -1;
  return Math.round(all.reduce((a, b) => a + b, 0) / all.length);
}

/**
 * Paints the pixels of `square` marked {@link PIXEL.other} or {@link PIXEL.clutter} in `kind`, row by
 * row. On a textured background (period > 1, {@link backgroundPeriod}) each hole pixel copies the
 * background pixel a whole number of periods away on the nearer side whose last period is all
 * background; otherwise each run is a blend from the background colour just left of it to the one
 * just right of it (each the median of up to {@link SIDE_SAMPLES} pixels), or the one side's colour where the other is the image edge or a character (its outline
 * would streak), or, where neither side is background, white (another character) or unchanged
 * (clutter). Returns a new image.
 */
export function paintOverRuns(square: RgbImage, kind: Uint8Array): RgbImage {
  const { width, height, data } = square;
  const out = new Uint8Array(data);
  const period = backgroundPeriod(square, kind);
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
      columns ??= columnSides(square, kind);
      const left = sideColour(square, kind, start - 1, y, -1, 0);
      const right = sideColour(square, kind, x, y, 1, 0);
      for (let i = start; i < x; i++) {
        const p = row + i;
        const t = (i - start + 1) / (x - start + 1);
        for (let c = 0; c < 3; c++) {
          const v = combineSides(
            left ? (left[c] as number) : -1,
            right ? (right[c] as number) : -1,
            t,
            columns.up[p * 3 + c] as number,
            columns.down[p * 3 + c] as number,
            columns.share[p] as number,
          );
          if (v >= 0) out[p * 3 + c] = v;
          else if (kind[p] === PIXEL.other) out[p * 3 + c] = 255;
        }
      }
    }
  }
  return { width, height, data: out };
}
