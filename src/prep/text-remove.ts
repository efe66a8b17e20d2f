// src/prep/text-remove.ts — the TextRemover: mask from the detected regions (dilated by
// prep.textDilatePx), then per masked area either a flat fill with the speech bubble's colour (when
// the ring of pixels around it is near-uniform) or, for text over art, an inpaint: OpenCV's
// Navier-Stokes (SPEC §1 step 2, cv.INPAINT_NS, radius prep.inpaintRadius) by default, or a learned
// inpainter (LaMa, inpaint-lama.ts) on a window of context around the area. Over art only the letters
// are inpainted (text-letters.ts), with their outline also where it lies past the detected box.
import { dilateEllipse } from '../vision/binary-dilate.js';
import type { Box, GrayImage, RgbImage } from '../vision/image.js';
import { loadOpenCv, type Mat, type OpenCv, withMats } from '../vision/opencv.js';
import { grownBox } from './crop-box.js';
import type { WindowInpainter } from './inpaint-lama.js';
import type { TextRegion, TextRemovalResult, TextRemover } from './stage-types.js';
import { artTextPixels, lightRingColour, type RingSample, ringBandPx } from './text-letters.js';
import { measureRingColour, rasterizeTextMask } from './text-mask.js';

/** Ring width (px) sampled around each masked area to judge whether it sits on a flat bubble. */
const RING_PX = 3;
/**
 * A ring whose per-channel standard deviation is at most this (0..255) counts as flat. JPEG noise on
 * a white bubble stays under ~4; an outline or screentone in the ring pushes it past 20.
 */
const FLAT_RING_MAX_STD = 8;
/** A learned inpainter sees the area plus this x its longer side of context on each side, at least MIN_CONTEXT_PX. */
const CONTEXT_SHARE = 0.5;
const MIN_CONTEXT_PX = 32;

export interface OpenCvTextRemoverOptions {
  /** Mask growth in px (prep.textDilatePx). */
  readonly dilatePx: number;
  /** cv.inpaint radius in px (prep.inpaintRadius). */
  readonly inpaintRadius: number;
  /** Fill areas on flat bubbles with the bubble colour instead of inpainting; default true. */
  readonly flatFill?: boolean;
  /** Over art, inpaint only the letters (colours the surrounding art lacks, grown); default true. */
  readonly refineArtMask?: boolean;
  /** Fills text over art instead of cv.inpaint (e.g. LaMa); default: OpenCV Navier-Stokes. */
  readonly inpainter?: WindowInpainter;
}

/** Counts of how each masked area was filled (for the manifest / debugging). */
export interface TextRemovalCounts {
  readonly flatFilled: number;
  readonly inpainted: number;
}

export interface OpenCvTextRemover extends TextRemover {
  /** Same as `remove`, plus how many areas were flat-filled vs inpainted. */
  removeWithCounts(
    image: RgbImage,
    regions: readonly TextRegion[],
  ): Promise<TextRemovalResult & { counts: TextRemovalCounts }>;
}

/** Creates the remover (loads OpenCV once per process); named after what fills text over art. */
export async function createOpenCvTextRemover(options: OpenCvTextRemoverOptions): Promise<OpenCvTextRemover> {
  const cv = await loadOpenCv();
  const removeWithCounts = async (image: RgbImage, regions: readonly TextRegion[]) => {
    const mask = rasterizeTextMask(cv, regions, image.width, image.height, options.dilatePx);
    if (regions.length === 0) return { image, mask, counts: { flatFilled: 0, inpainted: 0 } };
    const within = regionsBounds(regions, options.dilatePx, image.width, image.height);
    return withMats((keep) => fillMaskedAreas(cv, keep, image, mask, within, options));
  };
  return {
    name: options.inpainter ? `${options.inpainter.name}-inpaint` : 'opencv-inpaint-ns',
    removeWithCounts,
    async remove(image, regions) {
      const { image: out, mask } = await removeWithCounts(image, regions);
      return { image: out, mask };
    },
  };
}

/**
 * A box holding every pixel the text mask can set: the regions' polygons (rasterised at rounded
 * coordinates) grown by the dilation, plus a pixel for rounding, clipped to the image.
 */
function regionsBounds(regions: readonly TextRegion[], dilatePx: number, width: number, height: number): Box {
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const region of regions) {
    for (const [x, y] of region.polygon) {
      minX = Math.min(minX, x);
      minY = Math.min(minY, y);
      maxX = Math.max(maxX, x);
      maxY = Math.max(maxY, y);
    }
  }
  const margin = Math.max(dilatePx, 0) + 1;
  const x0 = Math.max(Math.floor(minX) - margin, 0);
  const y0 = Math.max(Math.floor(minY) - margin, 0);
  return {
    x: x0,
    y: y0,
    width: Math.max(Math.min(Math.ceil(maxX) + margin + 1, width) - x0, 0),
    height: Math.max(Math.min(Math.ceil(maxY) + margin + 1, height) - y0, 0),
  };
}

/**
 * 8-connected areas of the mask: a label per pixel (0 = unmasked, i + 1 = `areas[i]`) and each
 * area's box. connectedComponentsWithStats runs on the mask's bounding box only: on a 1024² panel
 * whose text sits in two corners that is a fraction of the ~15-20 ms the whole image costs in WASM.
 */
function labelMaskedAreas(
  cv: OpenCv,
  keep: <M extends Mat>(mat: M) => M,
  mask: GrayImage,
  within: Box,
): { labels: Int32Array; areas: Box[] } {
  const { width, height, data } = mask;
  // bounds of the set pixels, searched inside `within` only (the regions' box: the mask is empty outside)
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = within.y; y < within.y + within.height; y++) {
    const row = y * width;
    for (let x = within.x; x < within.x + within.width; x++) {
      if (!data[row + x]) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      y0 = Math.min(y0, y);
      y1 = y;
    }
  }
  const labels = new Int32Array(width * height);
  if (x1 < 0) return { labels, areas: [] };
  const roiWidth = x1 - x0 + 1;
  const roiHeight = y1 - y0 + 1;
  const roi = keep(new cv.Mat(roiHeight, roiWidth, cv.CV_8UC1));
  const roiData = roi.data as Uint8Array;
  for (let y = 0; y < roiHeight; y++) {
    const from = (y0 + y) * width + x0;
    roiData.set(data.subarray(from, from + roiWidth), y * roiWidth);
  }
  const roiLabels = keep(new cv.Mat());
  const stats = keep(new cv.Mat());
  const centroids = keep(new cv.Mat());
  const count = cv.connectedComponentsWithStats(roi, roiLabels, stats, centroids, 8, cv.CV_32S) as number;
  const local = roiLabels.data32S as Int32Array;
  for (let y = 0; y < roiHeight; y++) {
    labels.set(local.subarray(y * roiWidth, (y + 1) * roiWidth), (y0 + y) * width + x0);
  }
  const statData = stats.data32S as Int32Array;
  const areas: Box[] = [];
  for (let label = 1; label < count; label++) {
    const s = label * 5; // CC_STAT_LEFT, TOP, WIDTH, HEIGHT, AREA
    areas.push({
      x: (statData[s] as number) + x0,
      y: (statData[s + 1] as number) + y0,
      width: statData[s + 2] as number,
      height: statData[s + 3] as number,
    });
  }
  return { labels, areas };
}

async function fillMaskedAreas(
  cv: OpenCv,
  keep: <M extends Mat>(mat: M) => M,
  image: RgbImage,
  mask: GrayImage,
  within: Box,
  options: OpenCvTextRemoverOptions,
): Promise<TextRemovalResult & { counts: TextRemovalCounts }> {
  const out = new Uint8Array(image.data);
  const { labels: labelData, areas } = labelMaskedAreas(cv, keep, mask, within);
  const inpaintMask = new Uint8Array(mask.width * mask.height);
  const used = new Uint8Array(mask.width * mask.height);
  const toInpaint: { label: number; area: Box }[] = [];
  let flatFilled = 0;
  for (const [index, area] of areas.entries()) {
    const label = index + 1;
    const sample = sampleRing(image, mask, labelData, label, area);
    let colour = options.flatFill === false ? undefined : flatColour(sample);
    // a flat ring may be the (dark or white) outline of letters whose box is tight to their fill, not a bubble
    // ... and a ring mostly light, broken by the gaps between letters, their white outline
    const refine = options.refineArtMask !== false;
    const bandColour = colour ?? (refine ? lightRingColour(image, sample) : undefined);
    const bandPx = bandColour && refine ? ringBandPx(image, labelData, label, area, bandColour) : 0;
    const band = bandColour && bandPx > 0 ? { px: bandPx, colour: bandColour } : undefined;
    if (band) colour = undefined;
    const letters =
      colour || options.refineArtMask === false
        ? undefined
        : artTextPixels(image, labelData, label, area, sample, band, (offset) =>
            sampleRing(image, mask, labelData, label, area, offset),
          );
    // the letters' erase mask may reach past the area (an outline outside the box): those pixels join it
    const box = letters?.box ?? area;
    for (let y = box.y; y < box.y + box.height; y++) {
      for (let x = box.x; x < box.x + box.width; x++) {
        const i = y * mask.width + x;
        const outside = labelData[i] === 0 && box !== area;
        if (labelData[i] !== label && !outside) continue;
        if (letters && !letters.pixels[(y - box.y) * box.width + x - box.x]) continue;
        if (outside) labelData[i] = label;
        used[i] = 255;
        if (colour) {
          out[i * 3] = colour[0];
          out[i * 3 + 1] = colour[1];
          out[i * 3 + 2] = colour[2];
        } else inpaintMask[i] = 255;
      }
    }
    if (colour) flatFilled++;
    else toInpaint.push({ label, area: box });
  }
  const filled = { ...image, data: out };
  for (const { label, area } of toInpaint) {
    if (options.inpainter)
      await inpaintWindow(options.inpainter, filled, inpaintMask, labelData, label, area);
    else inpaintArea(cv, keep, filled, inpaintMask, labelData, label, area, options.inpaintRadius);
  }
  const inpainted = toInpaint.length;
  return {
    image: { width: image.width, height: image.height, data: out },
    mask: { width: mask.width, height: mask.height, data: used },
    counts: { flatFilled, inpainted },
  };
}

/** The pixels in a RING_PX-wide band around component `label` (`offsetPx` out from it), outside every masked area. */
function sampleRing(
  image: RgbImage,
  mask: GrayImage,
  labels: Int32Array,
  label: number,
  area: Box,
  offsetPx = 0,
): RingSample {
  const reach = offsetPx + RING_PX;
  const box = grownBox(area, reach, image);
  const local = new Uint8Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    for (let x = 0; x < box.width; x++) {
      if (labels[(y + box.y) * image.width + x + box.x] === label) local[y * box.width + x] = 255;
    }
  }
  const data = dilateEllipse(local, box.width, box.height, reach);
  const inner = offsetPx > 0 ? dilateEllipse(local, box.width, box.height, offsetPx) : undefined;
  const ring = new Uint8Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    for (let x = 0; x < box.width; x++) {
      const i = y * box.width + x;
      ring[i] = data[i] && !inner?.[i] && !mask.data[(y + box.y) * image.width + x + box.x] ? 1 : 0;
    }
  }
  return { ring, box, stats: measureRingColour(image, ring, box) };
}

/** The bubble colour when the ring is near-uniform, else undefined. */
function flatColour(sample: RingSample): [number, number, number] | undefined {
  if (sample.stats.count < 8 || Math.max(...sample.stats.std) > FLAT_RING_MAX_STD) return undefined;
  return sample.stats.mean.map((v) => Math.round(v)) as [number, number, number];
}

/**
 * cv.inpaint(INPAINT_NS) of one masked area, run on its bounding box plus a margin rather than the
 * whole panel: NS only reads known pixels within `radius` of the fill front, so the result is the
 * same, at a fraction of the cost on a 1024 px panel. Only the area's own pixels are written back.
 */
function inpaintArea(
  cv: OpenCv,
  keep: <M extends Mat>(mat: M) => M,
  image: RgbImage,
  inpaintMask: Uint8Array,
  labels: Int32Array,
  label: number,
  area: Box,
  radius: number,
): void {
  const margin = radius + 2;
  const { x: x0, y: y0, width: w, height: h } = grownBox(area, margin, image);
  const src = keep(new cv.Mat(h, w, cv.CV_8UC3));
  const roiMask = keep(new cv.Mat(h, w, cv.CV_8UC1));
  const srcData = src.data as Uint8Array;
  const maskData = roiMask.data as Uint8Array;
  for (let y = 0; y < h; y++) {
    const row = (y0 + y) * image.width + x0;
    srcData.set(image.data.subarray(row * 3, (row + w) * 3), y * w * 3);
    maskData.set(inpaintMask.subarray(row, row + w), y * w);
  }
  const dst = keep(new cv.Mat());
  cv.inpaint(src, roiMask, dst, radius, cv.INPAINT_NS);
  const filled = dst.data as Uint8Array;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y0 + y) * image.width + x0 + x;
      if (labels[i] !== label) continue;
      const j = (y * w + x) * 3;
      image.data[i * 3] = filled[j] as number;
      image.data[i * 3 + 1] = filled[j + 1] as number;
      image.data[i * 3 + 2] = filled[j + 2] as number;
    }
  }
}

/**
 * The window a learned inpainter sees for `area`: the area grown by CONTEXT_SHARE x its longer side
 * (at least MIN_CONTEXT_PX) on every side, widened to a square where the image allows (the model's
 * input is square, so a square window is not stretched), clipped to the image. Pure.
 */
export function contextWindow(area: Box, imageWidth: number, imageHeight: number): Box {
  const margin = Math.max(MIN_CONTEXT_PX, Math.round(Math.max(area.width, area.height) * CONTEXT_SHARE));
  const side = Math.max(area.width, area.height) + 2 * margin;
  const span = (start: number, length: number, limit: number): [number, number] => {
    const wanted = Math.min(side, limit);
    const from = Math.round(start + length / 2 - wanted / 2);
    const clamped = Math.min(Math.max(from, 0), limit - wanted);
    return [clamped, wanted];
  };
  const [x, width] = span(area.x, area.width, imageWidth);
  const [y, height] = span(area.y, area.height, imageHeight);
  return { x, y, width, height };
}

/**
 * Fills one masked area with `inpainter` on its context window. The window's mask holds every text
 * pixel to inpaint there (other areas' letters too, so they are never taken as context), and only this
 * area's own masked pixels are written back.
 */
async function inpaintWindow(
  inpainter: WindowInpainter,
  image: RgbImage,
  inpaintMask: Uint8Array,
  labels: Int32Array,
  label: number,
  area: Box,
): Promise<void> {
  const win = contextWindow(area, image.width, image.height);
  const pixels = new Uint8Array(win.width * win.height * 3);
  const maskData = new Uint8Array(win.width * win.height);
  for (let y = 0; y < win.height; y++) {
    const row = (win.y + y) * image.width + win.x;
    pixels.set(image.data.subarray(row * 3, (row + win.width) * 3), y * win.width * 3);
    maskData.set(inpaintMask.subarray(row, row + win.width), y * win.width);
  }
  const filled = await inpainter.inpaint(
    { width: win.width, height: win.height, data: pixels },
    { width: win.width, height: win.height, data: maskData },
  );
  for (let y = area.y; y < area.y + area.height; y++) {
    for (let x = area.x; x < area.x + area.width; x++) {
      const i = y * image.width + x;
      if (labels[i] !== label || !inpaintMask[i]) continue;
      const j = ((y - win.y) * win.width + (x - win.x)) * 3;
      image.data.set(filled.data.subarray(j, j + 3), i * 3);
    }
  }
}
