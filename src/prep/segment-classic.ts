// src/prep/segment-classic.ts — the `classic` character segmenter, which needs no weights so a fresh
// offline machine still works on simple panels: flood-fill the background from the panel border
// (colour distance to the border's dominant colour), then OpenCV morphology to drop specks and close
// gaps. Everything the fill cannot reach from the border (character, bubbles) is foreground.
import { resizeGrayCv, resizeRgbCv } from '../vision/cv-resize.js';
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
 * (always at least the most common one), most common first: a panel's background colours.
 */
export function dominantColours(
  image: RgbImage,
  pixels: readonly number[],
  minShare = SEED_BUCKET_MIN_SHARE,
): Array<[number, number, number]> {
  const buckets = new Map<number, { n: number; r: number; g: number; b: number }>();
  for (const p of pixels) {
    const i = p * 3;
    const r = image.data[i] ?? 0;
    const g = image.data[i + 1] ?? 0;
    const b = image.data[i + 2] ?? 0;
    const key = (r >> 3) * 1024 + (g >> 3) * 32 + (b >> 3);
    const bucket = buckets.get(key) ?? { n: 0, r: 0, g: 0, b: 0 };
    bucket.n++;
    bucket.r += r;
    bucket.g += g;
    bucket.b += b;
    buckets.set(key, bucket);
  }
  const sorted = [...buckets.values()].sort((x, y) => y.n - x.n);
  return sorted
    .filter((bucket, i) => i === 0 || bucket.n >= pixels.length * minShare)
    .map((bucket) => [bucket.r / bucket.n, bucket.g / bucket.n, bucket.b / bucket.n]);
}

/** Pixel indices of the rectangle ring `inset` pixels in from the image border. */
function ringPixels(width: number, height: number, inset: number): number[] {
  const x0 = inset;
  const y0 = inset;
  const x1 = width - 1 - inset;
  const y1 = height - 1 - inset;
  if (x1 < x0 || y1 < y0) return [];
  const ring: number[] = [];
  for (let x = x0; x <= x1; x++) ring.push(y0 * width + x, y1 * width + x);
  for (let y = y0 + 1; y < y1; y++) ring.push(y * width + x0, y * width + x1);
  return ring;
}

/** Largest per-channel step between neighbouring pixels that still continues the background (a smooth
 * gradient steps < 1 per pixel; line art's anti-aliased edges step 10+). */
export const CLASSIC_GRADIENT_STEP = 3;
/** A gradient may drift this many times `tolerance` away from the seed colours, no further. */
export const CLASSIC_GRADIENT_DRIFT = 2.5;

const FAR = 0;
const DRIFT = 1;
const NEAR = 2;

/** Per pixel: NEAR (within `tolerance` of a seed colour), DRIFT (within `drift`), or FAR. */
function classifyPixels(
  data: Uint8Array,
  seeds: ReadonlyArray<readonly [number, number, number]>,
  tolerance: number,
  drift: number,
): Uint8Array {
  const out = new Uint8Array(data.length / 3);
  for (let p = 0, i = 0; p < out.length; p++, i += 3) {
    const r = data[i] as number;
    const g = data[i + 1] as number;
    const b = data[i + 2] as number;
    let best = FAR;
    for (const [sr, sg, sb] of seeds) {
      const d = Math.max(Math.abs(r - sr), Math.abs(g - sg), Math.abs(b - sb));
      if (d <= tolerance) {
        best = NEAR;
        break;
      }
      if (d <= drift) best = DRIFT;
    }
    out[p] = best;
  }
  return out;
}

/**
 * Background mask (255 = background) by flood fill (4-connected) from border pixels near the border's
 * dominant colours. A pixel joins when it is within `tolerance` of one of them, or within
 * {@link CLASSIC_GRADIENT_STEP} of the background pixel next to it and within
 * {@link CLASSIC_GRADIENT_DRIFT} x `tolerance` of a seed colour (a smooth sky gradient). Every ring
 * from the border up to ~3% in seeds it with its own dominant colours, so a drawn panel frame (a dark
 * border line) does not hide the background inside it. Pure.
 */
export function floodBackground(image: RgbImage, tolerance = CLASSIC_TOLERANCE): GrayImage {
  const { width, height, data } = image;
  const total = width * height;
  const background = new Uint8Array(total);
  const queue = new Int32Array(total);
  const maxInset = Math.min(Math.floor(Math.min(width, height) / 8), Math.max(4, Math.round(Math.min(width, height) * 0.03)));
  const step = CLASSIC_GRADIENT_STEP;
  // Rings mostly share their seed colours: classify every pixel once per distinct seed set.
  const classified = new Map<string, Uint8Array>();
  for (let ringInset = 0; ringInset <= maxInset; ringInset++) {
    const ring = ringPixels(width, height, ringInset);
    if (ring.length === 0) continue;
    const seeds = dominantColours(image, ring);
    // keyed by 8-level colour cells: rings through the same screentone share one classification
    const key = seeds.map((c) => c.map((v) => Math.round(v / 8)).join(',')).join(';');
    let near = classified.get(key);
    if (!near) {
      near = classifyPixels(data, seeds, tolerance, tolerance * CLASSIC_GRADIENT_DRIFT);
      classified.set(key, near);
    }
    const classes = near;
    const nearBackground = (p: number): boolean => classes[p] === NEAR;
    const close = (a: number, b: number): boolean => {
      const i = a * 3;
      const j = b * 3;
      return (
        Math.abs((data[i] as number) - (data[j] as number)) <= step &&
        Math.abs((data[i + 1] as number) - (data[j + 1] as number)) <= step &&
        Math.abs((data[i + 2] as number) - (data[j + 2] as number)) <= step
      );
    };
    // A gradient pixel is smooth towards all four neighbours; an anti-aliased stroke is not across it.
    const smoothAround = (q: number): boolean => {
      const x = q % width;
      return (
        (x === 0 || close(q, q - 1)) &&
        (x === width - 1 || close(q, q + 1)) &&
        (q < width || close(q, q - width)) &&
        (q + width >= total || close(q, q + width))
      );
    };
    const joins = (from: number, to: number): boolean => {
      if (background[to]) return false;
      if (nearBackground(to)) return true;
      return classes[to] === DRIFT && close(from, to) && smoothAround(to);
    };
    let head = 0;
    let tail = 0;
    for (const p of ring) {
      if (!background[p] && nearBackground(p)) {
        background[p] = 255;
        queue[tail++] = p;
      }
    }
    while (head < tail) {
      const p = queue[head++] as number;
      const x = p % width;
      if (x > 0 && joins(p, p - 1)) {
        background[p - 1] = 255;
        queue[tail++] = p - 1;
      }
      if (x < width - 1 && joins(p, p + 1)) {
        background[p + 1] = 255;
        queue[tail++] = p + 1;
      }
      if (p >= width && joins(p, p - width)) {
        background[p - width] = 255;
        queue[tail++] = p - width;
      }
      if (p + width < total && joins(p, p + width)) {
        background[p + width] = 255;
        queue[tail++] = p + width;
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

/** Foreground = not background, then opening (drops specks, leftover text strokes) and closing (joins gaps).
 * Rectangular kernels: OpenCV runs them as separable row/column passes, several times faster than ellipses. */
async function cleanForeground(background: GrayImage): Promise<GrayImage> {
  const cv = await loadOpenCv();
  const foreground: GrayImage = {
    width: background.width,
    height: background.height,
    data: background.data.map((v) => (v ? 0 : 255)),
  };
  const k = morphologyKernelPx(background.width, background.height);
  return withMats((keep) => {
    const mask = keep(matFromGray(cv, foreground));
    const opened = keep(new cv.Mat());
    const closed = keep(new cv.Mat());
    const openKernel = keep(cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(k, k)));
    const closeKernel = keep(cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(2 * k + 1, 2 * k + 1)));
    cv.morphologyEx(mask, opened, cv.MORPH_OPEN, openKernel);
    cv.morphologyEx(opened, closed, cv.MORPH_CLOSE, closeKernel);
    return grayFromMat(closed);
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
      const mask = await cleanForeground(floodBackground(small, tolerance));
      const back = await resizeGrayCv(mask, image.width, image.height, 'linear');
      for (let i = 0; i < back.data.length; i++) back.data[i] = (back.data[i] ?? 0) > 127 ? 255 : 0;
      return back;
    },
  };
}
