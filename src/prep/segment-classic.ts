// src/prep/segment-classic.ts — the `classic` character segmenter, which needs no weights so a fresh
// offline machine still works on simple panels: flood-fill the background from the panel border
// (colour distance to the border's dominant colour), then OpenCV morphology to drop specks and close
// gaps. Everything the fill cannot reach from the border (character, bubbles) is foreground.
import type { GrayImage, RgbImage } from '../vision/image.js';
import { grayFromMat, loadOpenCv, matFromGray, withMats } from '../vision/opencv.js';
import type { CharacterSegmenter } from './stage-types.js';

export interface ClassicSegmenterOptions {
  /** Largest per-channel difference (0..255) from the background colour that still counts as background. */
  readonly tolerance?: number;
}

/** Default background tolerance: survives JPEG noise and light paper tint, stops at line art. */
export const CLASSIC_TOLERANCE = 40;

/** Mean colour of the most common 32-level colour bucket among the given pixel indices. */
export function dominantColour(image: RgbImage, pixels: readonly number[]): [number, number, number] {
  const counts = new Map<number, number>();
  for (const p of pixels) {
    const i = p * 3;
    const key = ((image.data[i] ?? 0) >> 3) * 1024 + ((image.data[i + 1] ?? 0) >> 3) * 32 + ((image.data[i + 2] ?? 0) >> 3);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let bestKey = 0;
  let bestCount = -1;
  for (const [key, count] of counts) {
    if (count > bestCount) [bestKey, bestCount] = [key, count];
  }
  const sum = [0, 0, 0];
  let n = 0;
  for (const p of pixels) {
    const i = p * 3;
    const r = image.data[i] ?? 0;
    const g = image.data[i + 1] ?? 0;
    const b = image.data[i + 2] ?? 0;
    if ((r >> 3) * 1024 + (g >> 3) * 32 + (b >> 3) !== bestKey) continue;
    sum[0] = (sum[0] ?? 0) + r;
    sum[1] = (sum[1] ?? 0) + g;
    sum[2] = (sum[2] ?? 0) + b;
    n++;
  }
  return [(sum[0] ?? 0) / Math.max(1, n), (sum[1] ?? 0) / Math.max(1, n), (sum[2] ?? 0) / Math.max(1, n)];
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

/**
 * Background mask (255 = background) by flood fill (4-connected) from border pixels near the border's
 * dominant colour. Two rings seed it: the outermost one and one ~1.5% in, so a drawn panel frame (a
 * dark border line) does not hide the white background inside it. Pure.
 */
export function floodBackground(image: RgbImage, tolerance = CLASSIC_TOLERANCE): GrayImage {
  const { width, height, data } = image;
  const background = new Uint8Array(width * height);
  const queue = new Int32Array(width * height);
  const inset = Math.max(2, Math.round(Math.min(width, height) * 0.015));
  for (const ringInset of [0, inset]) {
    const ring = ringPixels(width, height, ringInset);
    if (ring.length === 0) continue;
    const [br, bg, bb] = dominantColour(image, ring);
    const near = (p: number): boolean => {
      const i = p * 3;
      return (
        Math.abs((data[i] ?? 0) - br) <= tolerance &&
        Math.abs((data[i + 1] ?? 0) - bg) <= tolerance &&
        Math.abs((data[i + 2] ?? 0) - bb) <= tolerance
      );
    };
    let head = 0;
    let tail = 0;
    for (const p of ring) {
      if (!background[p] && near(p)) {
        background[p] = 255;
        queue[tail++] = p;
      }
    }
    while (head < tail) {
      const p = queue[head++] as number;
      const x = p % width;
      const neighbours = [x > 0 ? p - 1 : -1, x < width - 1 ? p + 1 : -1, p - width, p + width];
      for (const q of neighbours) {
        if (q < 0 || q >= width * height || background[q] || !near(q)) continue;
        background[q] = 255;
        queue[tail++] = q;
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

/** Foreground = not background, then opening (drops specks, leftover text strokes) and closing (joins gaps). */
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
    const openKernel = keep(cv.getStructuringElement(cv.MORPH_ELLIPSE, new cv.Size(k, k)));
    const closeKernel = keep(cv.getStructuringElement(cv.MORPH_ELLIPSE, new cv.Size(2 * k + 1, 2 * k + 1)));
    cv.morphologyEx(mask, opened, cv.MORPH_OPEN, openKernel);
    cv.morphologyEx(opened, closed, cv.MORPH_CLOSE, closeKernel);
    return grayFromMat(closed);
  });
}

/** The weight-free segmenter (`--segmenter classic`). */
export function createClassicSegmenter(options: ClassicSegmenterOptions = {}): CharacterSegmenter {
  const tolerance = options.tolerance ?? CLASSIC_TOLERANCE;
  return {
    name: 'classic',
    segment: async (image) => cleanForeground(floodBackground(image, tolerance)),
  };
}
