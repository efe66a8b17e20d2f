// src/prep/text-mask.ts — turns detected text regions into the removal mask (filled polygons,
// dilated), and measures the colour ring around each masked area (to tell a flat speech bubble,
// which can simply be filled, from art, which must be inpainted).
import type { Box, GrayImage, RgbImage } from '../vision/image.js';
import type { OpenCv } from '../vision/opencv.js';
import type { TextRegion } from './stage-types.js';

/**
 * Filled region polygons, dilated by `dilatePx` with an elliptical kernel: 255 = text to remove.
 * `cv` is the loaded OpenCV module; the Mats made here are deleted here.
 */
export function rasterizeTextMask(
  cv: OpenCv,
  regions: readonly TextRegion[],
  width: number,
  height: number,
  dilatePx: number,
): GrayImage {
  const out = new Uint8Array(width * height);
  if (regions.length === 0) return { width, height, data: out };
  const filled = cv.Mat.zeros(height, width, cv.CV_8UC1);
  const polygons = new cv.MatVector();
  try {
    for (const region of regions) {
      const flat = region.polygon.flatMap(([x, y]) => [Math.round(x), Math.round(y)]);
      const points = cv.matFromArray(region.polygon.length, 1, cv.CV_32SC2, flat);
      polygons.push_back(points);
      points.delete();
    }
    cv.fillPoly(filled, polygons, new cv.Scalar(255));
    const source = filled.data as Uint8Array;
    if (dilatePx <= 0) {
      out.set(source);
      return { width, height, data: out };
    }
    // A non-rectangular kernel is not separable: dilating the whole 1024² panel costs ~60 ms in WASM.
    // Each region's box (plus the kernel radius) is dilated alone and OR-ed into the output instead;
    // boxes read the undilated source, so overlapping boxes give exactly the whole-image result.
    for (const region of regions) {
      const box = clampBox(polygonBounds(region.polygon), dilatePx, width, height);
      if (box.width <= 0 || box.height <= 0) continue;
      orDilatedRoi(cv, filled, box, dilatePx, out, width);
    }
    return { width, height, data: out };
  } finally {
    filled.delete();
    polygons.delete();
  }
}

function polygonBounds(polygon: TextRegion['polygon']): Box {
  const xs = polygon.map((p) => p[0]);
  const ys = polygon.map((p) => p[1]);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
}

/** `box` grown by `marginPx` on every side (plus one pixel for rounding), clipped to the image. */
function clampBox(box: Box, marginPx: number, width: number, height: number): Box {
  const x = Math.max(Math.floor(box.x) - marginPx - 1, 0);
  const y = Math.max(Math.floor(box.y) - marginPx - 1, 0);
  return {
    x,
    y,
    width: Math.min(Math.ceil(box.x + box.width) + marginPx + 1, width) - x,
    height: Math.min(Math.ceil(box.y + box.height) + marginPx + 1, height) - y,
  };
}

function orDilatedRoi(
  cv: OpenCv,
  source: OpenCv,
  box: Box,
  radiusPx: number,
  out: Uint8Array,
  width: number,
): void {
  const roi = source.roi(new cv.Rect(box.x, box.y, box.width, box.height));
  const dilated = new cv.Mat();
  const kernel = cv.getStructuringElement(cv.MORPH_ELLIPSE, new cv.Size(2 * radiusPx + 1, 2 * radiusPx + 1));
  try {
    cv.dilate(roi, dilated, kernel);
    const data = dilated.data as Uint8Array;
    for (let y = 0; y < box.height; y++) {
      const row = (box.y + y) * width + box.x;
      for (let x = 0; x < box.width; x++) if (data[y * box.width + x]) out[row + x] = 255;
    }
  } finally {
    roi.delete();
    dilated.delete();
    kernel.delete();
  }
}

/** Mean and standard deviation (per channel, 0..255) of a set of RGB pixels. */
export interface RingColourStats {
  readonly count: number;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

/**
 * Colour statistics of the pixels where `ring` is non-zero, inside the box `x, y, w, h` of `image`
 * (`ring` covers just that box, row-major `w * h`).
 */
export function measureRingColour(
  image: RgbImage,
  ring: Uint8Array,
  box: { x: number; y: number; width: number; height: number },
): RingColourStats {
  const sum = [0, 0, 0];
  const sumSq = [0, 0, 0];
  let count = 0;
  for (let ry = 0; ry < box.height; ry++) {
    for (let rx = 0; rx < box.width; rx++) {
      if (!ring[ry * box.width + rx]) continue;
      const p = ((box.y + ry) * image.width + box.x + rx) * 3;
      for (let c = 0; c < 3; c++) {
        const v = image.data[p + c] as number;
        sum[c] = (sum[c] as number) + v;
        sumSq[c] = (sumSq[c] as number) + v * v;
      }
      count++;
    }
  }
  const mean = sum.map((s) => (count ? s / count : 0)) as [number, number, number];
  const std = sumSq.map((s, c) =>
    count ? Math.sqrt(Math.max(s / count - (mean[c] as number) ** 2, 0)) : 0,
  ) as [number, number, number];
  return { count, mean, std };
}

/** Colour bin of an RGB pixel: 4 bits per channel (16 levels), 4096 bins. */
export function colourBin(r: number, g: number, b: number): number {
  return ((r >> 4) << 8) | ((g >> 4) << 4) | (b >> 4);
}

/**
 * The colours of the art around a text area: every 16-level bin holding at least `minShare` of the
 * ring's pixels, plus its 26 neighbouring bins (tolerance for JPEG noise and anti-aliasing).
 * Returns a 4096-entry table, 1 = a background colour.
 */
export function ringColourBins(image: RgbImage, ring: Uint8Array, box: Box, minShare = 0.005): Uint8Array {
  const counts = new Uint32Array(4096);
  let total = 0;
  for (let ry = 0; ry < box.height; ry++) {
    for (let rx = 0; rx < box.width; rx++) {
      if (!ring[ry * box.width + rx]) continue;
      const p = ((box.y + ry) * image.width + box.x + rx) * 3;
      const bin = colourBin(
        image.data[p] as number,
        image.data[p + 1] as number,
        image.data[p + 2] as number,
      );
      counts[bin] = (counts[bin] as number) + 1;
      total++;
    }
  }
  const bins = new Uint8Array(4096);
  for (let bin = 0; bin < 4096; bin++) {
    if (!counts[bin] || (counts[bin] as number) < total * minShare) continue;
    const [r, g, b] = [bin >> 8, (bin >> 4) & 15, bin & 15];
    for (let dr = -1; dr <= 1; dr++)
      for (let dg = -1; dg <= 1; dg++)
        for (let db = -1; db <= 1; db++) {
          const [nr, ng, nb] = [r + dr, g + dg, b + db];
          if (nr >= 0 && nr < 16 && ng >= 0 && ng < 16 && nb >= 0 && nb < 16)
            bins[(nr << 8) | (ng << 4) | nb] = 1;
        }
  }
  return bins;
}

/**
 * Pixels of component `label` (inside `area`) whose colour is not among the ring's colours: the
 * letters' fill, as opposed to the art showing between them. Row-major over `area`, 255 = foreign.
 */
export function foreignColourPixels(
  image: RgbImage,
  labels: Int32Array,
  label: number,
  area: Box,
  backgroundBins: Uint8Array,
): { mask: Uint8Array; count: number; area: number } {
  const mask = new Uint8Array(area.width * area.height);
  let count = 0;
  let inside = 0;
  for (let y = 0; y < area.height; y++) {
    for (let x = 0; x < area.width; x++) {
      const i = (area.y + y) * image.width + area.x + x;
      if (labels[i] !== label) continue;
      inside++;
      const p = i * 3;
      const bin = colourBin(
        image.data[p] as number,
        image.data[p + 1] as number,
        image.data[p + 2] as number,
      );
      if (backgroundBins[bin]) continue;
      mask[y * area.width + x] = 255;
      count++;
    }
  }
  return { mask, count, area: inside };
}
