// src/prep/segment-classic.ts — the `classic` character segmenter, which needs no weights so a fresh
// offline machine still works on simple panels: flood-fill the background from the panel border
// (colour distance to the border's dominant colour), then OpenCV morphology to drop specks and close
// gaps. Everything the fill cannot reach from the border (character, bubbles) is foreground.
import { resizeRgbCv } from '../vision/cv-resize.js';
import type { GrayImage, RgbImage } from '../vision/image.js';
import { grayFromMat, loadOpenCv, matFromGray, withMats } from '../vision/opencv.js';
import type { CharacterSegmenter } from './stage-types.js';

export interface ClassicSegmenterOptions {
  /** Largest per-channel difference (0..255) from the background colour that still counts as background. */
  readonly tolerance?: number;
  /** Pixel count the panel is shrunk to (area average) before segmenting; the mask is scaled back.
   * Default {@link CLASSIC_WORKING_PIXELS}; 0 segments at full size. */
  readonly workingPixels?: number;
}

/**
 * Classic segmentation runs on the panel shrunk to about this many pixels (512x512): 4x fewer for a
 * 1024 px panel (at full size the JS flood fill was ~20x slower than Python's cv2.floodFill), while
 * the character box moves by 1-2 working pixels (2-5 source px; the crop adds a 10% margin). Outlines
 * survive the area average: a 1 px black line on white becomes ~50% grey, far outside the tolerance.
 * A pixel budget, not a side: a 3000x400 panorama keeps 1400x187 instead of 512x68.
 */
export const CLASSIC_WORKING_PIXELS = 512 * 512;

/** Default background tolerance: survives JPEG noise and light paper tint, stops at line art. */
export const CLASSIC_TOLERANCE = 40;

/** A colour bucket must hold at least this share of the border ring to seed the background fill. */
export const SEED_BUCKET_MIN_SHARE = 0.1;

/**
 * Mean colours of the 32-level colour buckets that hold at least `minShare` of the given pixels
 * (always at least the most common one), most common first (ties: first seen first): a panel's
 * background colours.
 */
export function dominantColours(
  image: RgbImage,
  pixels: ArrayLike<number>,
  minShare = SEED_BUCKET_MIN_SHARE,
): Array<[number, number, number]> {
  // 32768 buckets x (n, r, g, b) in one typed array; only the touched ones are read back and reset.
  const sums = bucketSums;
  const touched: number[] = [];
  const data = image.data;
  for (let k = 0; k < pixels.length; k++) {
    const i = (pixels[k] as number) * 3;
    const r = data[i] as number;
    const g = data[i + 1] as number;
    const b = data[i + 2] as number;
    const at = ((r >> 3) * 1024 + (g >> 3) * 32 + (b >> 3)) * 4;
    if (sums[at] === 0) touched.push(at);
    sums[at] = (sums[at] as number) + 1;
    sums[at + 1] = (sums[at + 1] as number) + r;
    sums[at + 2] = (sums[at + 2] as number) + g;
    sums[at + 3] = (sums[at + 3] as number) + b;
  }
  const buckets = touched.map((at) => ({
    n: sums[at] as number,
    r: sums[at + 1] as number,
    g: sums[at + 2] as number,
    b: sums[at + 3] as number,
  }));
  for (const at of touched) sums.fill(0, at, at + 4);
  const sorted = buckets.sort((x, y) => y.n - x.n);
  return sorted
    .filter((bucket, i) => i === 0 || bucket.n >= pixels.length * minShare)
    .map((bucket) => [bucket.r / bucket.n, bucket.g / bucket.n, bucket.b / bucket.n]);
}
const bucketSums = new Float64Array(32768 * 4);

/** Pixel indices of the rectangle ring `inset` pixels in from the image border. */
function ringPixels(width: number, height: number, inset: number): Int32Array {
  const x0 = inset;
  const y0 = inset;
  const x1 = width - 1 - inset;
  const y1 = height - 1 - inset;
  if (x1 < x0 || y1 < y0) return new Int32Array(0);
  const ring: number[] = [];
  for (let x = x0; x <= x1; x++) ring.push(y0 * width + x, y1 * width + x);
  for (let y = y0 + 1; y < y1; y++) ring.push(y * width + x0, y * width + x1);
  return Int32Array.from(ring);
}

/** Largest per-channel step between neighbouring pixels that still continues the background (a smooth
 * gradient steps < 1 per pixel; line art's anti-aliased edges step 10+). */
export const CLASSIC_GRADIENT_STEP = 3;
/** A gradient may drift this many times `tolerance` away from the seed colours, no further. */
export const CLASSIC_GRADIENT_DRIFT = 2.5;

/** A dark seed colour's tolerance is at most this share of its distance to black line art (its largest
 * channel)... */
export const CLASSIC_DARK_TOLERANCE_SHARE = 0.5;
/** ...and at least this (JPEG noise on a black panel). */
export const CLASSIC_DARK_MIN_TOLERANCE = 16;

/**
 * The tolerance around one seed colour: `tolerance`, or for a dark background less: half its distance to
 * black line art ({@link CLASSIC_DARK_TOLERANCE_SHARE}), at least {@link CLASSIC_DARK_MIN_TOLERANCE}. On a
 * night sky (31,34,65) a black outline is only ~50 away in one channel, barely outside 40: a JPEG's
 * chroma subsampling pulls the outline's blue towards the sky, the fill leaked through it into the dark
 * legs (21 from the sky) and the crop was cut at the knees. Light backgrounds (largest channel 80+) keep
 * `tolerance`.
 */
export function seedTolerance(seed: readonly [number, number, number], tolerance: number): number {
  const darkLimit = Math.round(Math.max(...seed) * CLASSIC_DARK_TOLERANCE_SHARE);
  return Math.min(tolerance, Math.max(CLASSIC_DARK_MIN_TOLERANCE, darkLimit));
}

/** Pixel classes for one seed set: FAR and STEEP (within the drift but not smooth) stop the fill,
 * GRADIENT (within the drift and smooth) and NEAR (within the tolerance) let it through; UNKNOWN
 * until the fill first asks. */
const FAR = 0;
const STEEP = 1;
const GRADIENT = 2;
const NEAR = 3;
const UNKNOWN = 4;

/** Whether pixels `p` and `q` (byte offsets `i`, `j`) differ by at most `step` in every channel. */
function closeAt(data: Uint8Array, i: number, j: number, step: number): boolean {
  const dr = (data[i] as number) - (data[j] as number);
  const dg = (data[i + 1] as number) - (data[j + 1] as number);
  const db = (data[i + 2] as number) - (data[j + 2] as number);
  return dr <= step && dr >= -step && dg <= step && dg >= -step && db <= step && db >= -step;
}

/** Whether pixel `p` is within `step` of each of its four neighbours inside the image (a smooth
 * gradient pixel; an anti-aliased stroke is not smooth across it). */
function smoothAt(data: Uint8Array, p: number, width: number, total: number, step: number): boolean {
  const x = p % width;
  const i = p * 3;
  return (
    (x === 0 || closeAt(data, i, i - 3, step)) &&
    (x === width - 1 || closeAt(data, i, i + 3, step)) &&
    (p < width || closeAt(data, i, i - width * 3, step)) &&
    (p + width >= total || closeAt(data, i, i + width * 3, step))
  );
}

/**
 * Per channel value 0..255, a bit per seed colour set when the value is within `limit` of that
 * seed's channel: a pixel is within `limit` of seed k in every channel (largest channel difference
 * <= limit) exactly when bit k is set in all three of its lookups. At most 10 seeds (each holds >= 10%
 * of its ring, the first excepted).
 */
function seedBitTables(seeds: ReadonlyArray<readonly [number, number, number]>, limits: readonly number[]): Uint32Array[] {
  return [0, 1, 2].map((channel) => {
    const table = new Uint32Array(256);
    for (let v = 0; v < 256; v++) {
      let bits = 0;
      seeds.forEach((seed, k) => {
        if (Math.abs(v - (seed[channel] as number)) <= (limits[k] as number)) bits |= 1 << k;
      });
      table[v] = bits;
    }
    return table;
  });
}

/** One seed set's lookups ({@link seedBitTables}) and the class of every pixel seen so far. */
interface SeedClasses {
  readonly classes: Uint8Array;
  readonly nearR: Uint32Array;
  readonly nearG: Uint32Array;
  readonly nearB: Uint32Array;
  readonly driftR: Uint32Array;
  readonly driftG: Uint32Array;
  readonly driftB: Uint32Array;
}

function seedClasses(seeds: ReadonlyArray<readonly [number, number, number]>, tolerance: number, total: number): SeedClasses {
  const near = seeds.map((seed) => seedTolerance(seed, tolerance));
  const drift = near.map((limit) => limit * CLASSIC_GRADIENT_DRIFT);
  const [nearR, nearG, nearB] = seedBitTables(seeds, near) as [Uint32Array, Uint32Array, Uint32Array];
  const [driftR, driftG, driftB] = seedBitTables(seeds, drift) as [Uint32Array, Uint32Array, Uint32Array];
  return { classes: new Uint8Array(total).fill(UNKNOWN), nearR, nearG, nearB, driftR, driftG, driftB };
}

/**
 * Class of pixel `p`: NEAR within the tolerance of a seed colour (largest channel difference), else
 * GRADIENT / STEEP within the drift of one (smooth towards all four neighbours or not), else FAR.
 */
function classify(data: Uint8Array, p: number, t: SeedClasses, width: number, total: number): number {
  const i = p * 3;
  const r = data[i] as number;
  const g = data[i + 1] as number;
  const b = data[i + 2] as number;
  if (((t.nearR[r] as number) & (t.nearG[g] as number) & (t.nearB[b] as number)) !== 0) return NEAR;
  if (((t.driftR[r] as number) & (t.driftG[g] as number) & (t.driftB[b] as number)) === 0) return FAR;
  return smoothAt(data, p, width, total, CLASSIC_GRADIENT_STEP) ? GRADIENT : STEEP;
}

/**
 * Background mask (255 = background) by flood fill (4-connected) from border pixels near the border's
 * dominant colours. A pixel joins when it is within `tolerance` of one of them, or within
 * {@link CLASSIC_GRADIENT_STEP} of the background pixel next to it and within
 * {@link CLASSIC_GRADIENT_DRIFT} x `tolerance` of a seed colour (a smooth sky gradient). Every ring
 * from the border up to ~3% in seeds it with its own dominant colours, so a drawn panel frame (a dark
 * border line) does not hide the background inside it. Pure.
 *
 * Only a gradient pixel smooth towards all four neighbours may join, and that already means it is
 * within the step of the pixel it is reached from: whether a pixel may join depends on the pixel
 * alone, a fixed class per seed set (bench/prep_reference.py runs the same fill as connected
 * components of those classes). Pixels are classified when the fill first reaches them.
 */
export function floodBackground(image: RgbImage, tolerance = CLASSIC_TOLERANCE): GrayImage {
  const { width, height, data } = image;
  const total = width * height;
  const background = new Uint8Array(total);
  const queue = new Int32Array(total);
  const maxInset = Math.min(Math.floor(Math.min(width, height) / 8), Math.max(4, Math.round(Math.min(width, height) * 0.03)));
  // Rings mostly share their seed colours: one classification per distinct seed set.
  const classified = new Map<string, SeedClasses>();
  for (let ringInset = 0; ringInset <= maxInset; ringInset++) {
    const ring = ringPixels(width, height, ringInset);
    if (ring.length === 0) continue;
    const seeds = dominantColours(image, ring);
    // keyed by 8-level colour cells: rings through the same screentone share one classification
    const key = seeds.map((c) => c.map((v) => Math.round(v / 8)).join(',')).join(';');
    let entry = classified.get(key);
    if (!entry) {
      // the first ring's seed colours stand for the key (later rings reuse its classes)
      entry = seedClasses(seeds, tolerance, total);
      classified.set(key, entry);
    }
    const classes = entry.classes;
    let head = 0;
    let tail = 0;
    for (let k = 0; k < ring.length; k++) {
      const p = ring[k] as number;
      if (background[p]) continue;
      let c = classes[p] as number;
      if (c === UNKNOWN) classes[p] = c = classify(data, p, entry, width, total);
      if (c === NEAR) {
        background[p] = 255;
        queue[tail++] = p;
      }
    }
    while (head < tail) {
      const p = queue[head++] as number;
      const x = p % width;
      // left, right, up, down (unrolled: this loop is the segmenter's hot path)
      let q = p - 1;
      if (x > 0 && !background[q]) {
        let c = classes[q] as number;
        if (c === UNKNOWN) classes[q] = c = classify(data, q, entry, width, total);
        if (c >= GRADIENT) {
          background[q] = 255;
          queue[tail++] = q;
        }
      }
      q = p + 1;
      if (x < width - 1 && !background[q]) {
        let c = classes[q] as number;
        if (c === UNKNOWN) classes[q] = c = classify(data, q, entry, width, total);
        if (c >= GRADIENT) {
          background[q] = 255;
          queue[tail++] = q;
        }
      }
      q = p - width;
      if (q >= 0 && !background[q]) {
        let c = classes[q] as number;
        if (c === UNKNOWN) classes[q] = c = classify(data, q, entry, width, total);
        if (c >= GRADIENT) {
          background[q] = 255;
          queue[tail++] = q;
        }
      }
      q = p + width;
      if (q < total && !background[q]) {
        let c = classes[q] as number;
        if (c === UNKNOWN) classes[q] = c = classify(data, q, entry, width, total);
        if (c >= GRADIENT) {
          background[q] = 255;
          queue[tail++] = q;
        }
      }
    }
  }
  return { width, height, data: background };
}

/** Odd morphology kernel size for an image: ~0.5% of the shorter side, at least 3 px. */
export function morphologyKernelPx(width: number, height: number): number {
  const size = Math.max(3, Math.round(Math.min(width, height) / 200));
  return size % 2 === 1 ? size : size + 1;
}

/**
 * Foreground = not background, then opening (drops specks, leftover text strokes) and closing (joins
 * gaps); with `outSize`, the mask is then scaled to that size (bilinear) and thresholded at 127, all
 * inside one set of Mats (one copy out of the WASM heap).
 * Rectangular kernels: OpenCV runs them as separable row/column passes, several times faster than ellipses.
 */
async function cleanForeground(
  background: GrayImage,
  outSize?: { width: number; height: number },
): Promise<GrayImage> {
  const cv = await loadOpenCv();
  const k = morphologyKernelPx(background.width, background.height);
  return withMats((keep) => {
    const mask = keep(matFromGray(cv, background));
    cv.bitwise_not(mask, mask);
    const opened = keep(new cv.Mat());
    const closed = keep(new cv.Mat());
    const openKernel = keep(cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(k, k)));
    const closeKernel = keep(cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(2 * k + 1, 2 * k + 1)));
    cv.morphologyEx(mask, opened, cv.MORPH_OPEN, openKernel);
    cv.morphologyEx(opened, closed, cv.MORPH_CLOSE, closeKernel);
    if (!outSize || (outSize.width === background.width && outSize.height === background.height)) {
      return grayFromMat(closed);
    }
    const scaled = keep(new cv.Mat());
    cv.resize(closed, scaled, new cv.Size(outSize.width, outSize.height), 0, 0, cv.INTER_LINEAR);
    cv.threshold(scaled, scaled, 127, 255, cv.THRESH_BINARY);
    return grayFromMat(scaled);
  });
}

/** The weight-free segmenter (`--segmenter classic`). */
export function createClassicSegmenter(options: ClassicSegmenterOptions = {}): CharacterSegmenter {
  const tolerance = options.tolerance ?? CLASSIC_TOLERANCE;
  const workingPixels = options.workingPixels ?? CLASSIC_WORKING_PIXELS;
  return {
    name: 'classic',
    async segment(image) {
      const scale = workingPixels > 0 ? Math.sqrt(workingPixels / (image.width * image.height)) : 1;
      if (scale >= 1) return cleanForeground(floodBackground(image, tolerance));
      const small = await resizeRgbCv(
        image,
        Math.max(1, Math.round(image.width * scale)),
        Math.max(1, Math.round(image.height * scale)),
        'area',
      );
      // back to full size (bilinear), thresholded at 127
      return cleanForeground(floodBackground(small, tolerance), { width: image.width, height: image.height });
    },
  };
}
