// src/prep/split-figures.ts — characters that touch (shoulder to shoulder, hand in hand) share one mask
// part, and were cut as one crop. A part is split only when it clearly holds several figures: its
// distance transform (OpenCV) has thick cores (torsos, heads) that stand in separate columns, the
// part flooded from them (OpenCV watershed) gives figures that each span a fair share of the part's
// height and pixels and are tall and large for their own thickness (a child beside an adult is; a fist,
// hair bun or bag joined by a narrow neck is not), and they meet along a short seam. A single character with an arm
// or a leg out has one column of thick cores (an arm is thin), so it is never split. The seam is
// cleared in the mask, so the figures become separate parts for everything after (contours, the
// per-character crops and their isolation). The analysis runs on the mask max-pooled to at most
// ANALYSIS_SIDE_PX (thin links between figures survive pooling); only the seam is cut at full size.
import type { GrayImage } from '../vision/image.js';
import { loadOpenCv, type Mat, type OpenCv, withMats } from '../vision/opencv.js';
import { MASK_THRESHOLD, SECONDARY_COMPONENT_MIN_FRACTION } from './mask-contours.js';

/** A figure's core: the part's pixels at least this x its thickest half-width from its edge. Arms,
 * legs and the contact between two touching figures are thinner than that; torsos and heads are not.
 * Low enough that a child's torso (half as thick as the adult's beside it) still has a core. */
export const CORE_LEVEL = 0.4;
/** A core counts as a figure's only when its own thickest point is at least this x the part's (a
 * child's torso beside an adult: 0.5-0.7). */
export const STRONG_CORE = 0.45;
/** Two cores are the same figure (head above torso) when their columns overlap by this x the narrower. */
export const SAME_COLUMN_OVERLAP = 0.5;
/** Each figure spans at least this share of the part's height ... */
export const FIGURE_MIN_HEIGHT = 0.4;
/** ... and holds at least this share of its pixels ... */
export const FIGURE_MIN_AREA = 0.1;
/**
 * ... and is tall and large for its own thickness (its thickest half-width, `peak`, at the analysed
 * size): at least this x peak tall and this x peak² in area. Measured: standing stick figures, adults
 * and children 0.5-0.7 x their size (split-figures.test.ts), 8.5-9.2 x and 14.3-16.6 x; the stockier
 * figures of test/fixtures/prep-quality/ (trapezoid body) 5.9 x and 10.4 x; the piece flooded from a
 * fist on a raised arm, a hair bun, a ponytail's end, a bag held at the side or a fist at the end of a
 * spread arm (thick enough to be a core, joined by a narrow neck) 2.1-4.2 x and 3.7-6.0 x.
 */
export const FIGURE_MIN_HEIGHT_PER_PEAK = 4.5;
export const FIGURE_MIN_AREA_PER_PEAK_SQ = 8;
/** The figures meet along at most this share of the part's height (a long contact is one wide figure). */
export const SEAM_MAX_SHARE = 0.35;
/** Parts smaller than this (pixels) are never split: too small to hold two characters worth a crop. */
export const MIN_SPLIT_PART_PX = 2000;
/**
 * The mask is analysed max-pooled to at most this many pixels on its longer side. OpenCV's WASM build
 * took ~60 ms to label, ~30 ms to measure distances and ~90 ms to flood a 1024² mask; at 256² the
 * whole split check costs a few ms.
 */
export const ANALYSIS_SIDE_PX = 256;

interface Part {
  readonly label: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly area: number;
}

interface Core {
  readonly x0: number;
  readonly x1: number;
  readonly peak: number;
  readonly label: number;
}

/**
 * `mask` with every part that clearly holds several touching figures cut apart along the seam between
 * them (the seam's pixels set to 0); the same object when none was split. `splits` counts the parts cut.
 */
export async function splitTouchingFigures(
  mask: GrayImage,
  threshold = MASK_THRESHOLD,
): Promise<{ mask: GrayImage; splits: number }> {
  const cv = await loadOpenCv();
  const pooled = maxPool(mask, threshold);
  const { factor, width: lw, height: lh } = pooled;
  return withMats((keep) => {
    const binary = keep(new cv.Mat(lh, lw, cv.CV_8UC1));
    (binary.data as Uint8Array).set(pooled.data);
    const labelMat = keep(new cv.Mat());
    const stats = keep(new cv.Mat());
    const count = cv.connectedComponentsWithStats(binary, labelMat, stats, keep(new cv.Mat()), 8, cv.CV_32S);
    const labels = labelMat.data32S as Int32Array;
    const s = stats.data32S as Int32Array;
    const parts: Part[] = [];
    for (let label = 1; label < count; label++) {
      const i = label * 5; // CC_STAT_LEFT, TOP, WIDTH, HEIGHT, AREA
      parts.push({
        label,
        x: s[i] as number,
        y: s[i + 1] as number,
        width: s[i + 2] as number,
        height: s[i + 3] as number,
        area: s[i + 4] as number,
      });
    }
    const largest = Math.max(0, ...parts.map((p) => p.area));
    let out: Uint8Array | undefined;
    let splits = 0;
    for (const part of parts) {
      if (part.area * factor * factor < MIN_SPLIT_PART_PX) continue;
      if (part.area < largest * SECONDARY_COMPONENT_MIN_FRACTION) continue;
      const figures = splitPart(cv, keep, labels, lw, part);
      if (!figures) continue;
      out ??= new Uint8Array(mask.data);
      cutSeam(out, mask, threshold, factor, figures);
      splits++;
    }
    return { mask: out ? { width: mask.width, height: mask.height, data: out } : mask, splits };
  });
}

/** `mask > threshold` max-pooled by a whole factor to at most ANALYSIS_SIDE_PX a side (255 = set). */
function maxPool(
  mask: GrayImage,
  threshold: number,
): { factor: number; width: number; height: number; data: Uint8Array } {
  const factor = Math.max(1, Math.ceil(Math.max(mask.width, mask.height) / ANALYSIS_SIDE_PX));
  const width = Math.ceil(mask.width / factor);
  const height = Math.ceil(mask.height / factor);
  const data = new Uint8Array(width * height);
  const column = new Int32Array(mask.width);
  for (let x = 0; x < mask.width; x++) column[x] = Math.floor(x / factor);
  const src = mask.data;
  for (let y = 0; y < mask.height; y++) {
    const row = y * mask.width;
    const low = Math.floor(y / factor) * width;
    for (let x = 0; x < mask.width; x++)
      if ((src[row + x] as number) > threshold) data[low + (column[x] as number)] = 255;
  }
  return { factor, width, height, data };
}

/** A split part at the pooled size: each pixel's figure (1..n, 0 = none) over the box x0, y0, w, h. */
interface Figures {
  readonly figure: Int32Array;
  readonly x0: number;
  readonly y0: number;
  readonly w: number;
  readonly h: number;
}

/**
 * Clears, in `out`, every full-size mask pixel with an 8-neighbour mask pixel of another figure (the
 * figures looked up at the pooled size). Only pooled pixels on the seam are visited.
 */
function cutSeam(out: Uint8Array, mask: GrayImage, threshold: number, factor: number, f: Figures): void {
  const { figure, x0, y0, w, h } = f;
  const figureAt = (x: number, y: number): number => {
    const lx = Math.floor(x / factor) - x0;
    const ly = Math.floor(y / factor) - y0;
    if (lx < 0 || ly < 0 || lx >= w || ly >= h) return 0;
    return (mask.data[y * mask.width + x] as number) > threshold ? (figure[ly * w + lx] as number) : 0;
  };
  for (let ly = 1; ly < h - 1; ly++)
    for (let lx = 1; lx < w - 1; lx++) {
      const own = figure[ly * w + lx] as number;
      if (own === 0 || !touchesOther(figure, ly * w + lx, w, own)) continue;
      const yEnd = Math.min((y0 + ly + 1) * factor, mask.height);
      const xEnd = Math.min((x0 + lx + 1) * factor, mask.width);
      for (let y = (y0 + ly) * factor; y < yEnd; y++)
        for (let x = (x0 + lx) * factor; x < xEnd; x++) {
          const mine = figureAt(x, y);
          if (mine === 0) continue;
          let cut = false;
          for (let dy = -1; dy <= 1 && !cut; dy++)
            for (let dx = -1; dx <= 1 && !cut; dx++) {
              const other = figureAt(x + dx, y + dy);
              cut = other !== 0 && other !== mine;
            }
          if (cut) out[y * mask.width + x] = 0;
        }
    }
}

/** Whether pooled pixel `i` has an 8-neighbour of a figure other than `own`. */
function touchesOther(figure: Int32Array, i: number, w: number, own: number): boolean {
  for (const j of [i - w - 1, i - w, i - w + 1, i - 1, i + 1, i + w - 1, i + w, i + w + 1]) {
    const g = figure[j] as number;
    if (g > 0 && g !== own) return true;
  }
  return false;
}

/** Each pixel's figure over `part`'s box (plus a pixel), or undefined when it is one figure. */
function splitPart(
  cv: OpenCv,
  keep: <M extends Mat>(mat: M) => M,
  labels: Int32Array,
  imageWidth: number,
  part: Part,
): Figures | undefined {
  // the part's box plus a pixel of background all round, holding this part only
  const x0 = part.x - 1;
  const y0 = part.y - 1;
  const w = part.width + 2;
  const h = part.height + 2;
  const inPart = new Uint8Array(w * h);
  for (let y = 1; y <= part.height; y++)
    for (let x = 1; x <= part.width; x++)
      if (labels[(y0 + y) * imageWidth + x0 + x] === part.label) inPart[y * w + x] = 1;
  const roi = keep(new cv.Mat(h, w, cv.CV_8UC1));
  (roi.data as Uint8Array).set(inPart.map((v) => v * 255));
  const dist = keep(new cv.Mat());
  cv.distanceTransform(roi, dist, cv.DIST_L2, 5);
  const dt = dist.data32F as Float32Array;
  let max = 0;
  for (const v of dt) if (v > max) max = v;
  if (max < 3) return undefined;
  const groups = figureColumns(cv, keep, dt, w, h, max);
  if (groups.length < 2) return undefined;
  // flood the part from the figures' cores; on the flat binary image the seam falls where the floods
  // meet, which is the narrow contact between the cores
  const markers = keep(new cv.Mat(h, w, cv.CV_32SC1, new cv.Scalar(0)));
  const mk = markers.data32S as Int32Array;
  const coreOf = groups.coreLabels;
  for (let i = 0; i < w * h; i++) {
    const core = coreOf[i] ?? 0;
    if (core > 0) mk[i] = groups.groupOfCore.get(core) ?? 0;
  }
  const relief = keep(new cv.Mat());
  cv.cvtColor(roi, relief, cv.COLOR_GRAY2RGB);
  cv.watershed(relief, markers);
  const figure = resolveFigures(mk, inPart, w, h);
  return clearSplit(figure, inPart, dt, w, h, groups.length, part) ? { figure, x0, y0, w, h } : undefined;
}

/** The strong cores of a part grouped by column: one group per standing figure. */
function figureColumns(
  cv: OpenCv,
  keep: <M extends Mat>(mat: M) => M,
  dt: Float32Array,
  w: number,
  h: number,
  max: number,
): { length: number; coreLabels: Int32Array; groupOfCore: Map<number, number> } {
  const coreMask = keep(new cv.Mat(h, w, cv.CV_8UC1));
  const cm = coreMask.data as Uint8Array;
  for (let i = 0; i < w * h; i++) cm[i] = (dt[i] as number) >= CORE_LEVEL * max ? 255 : 0;
  const coreLabelMat = keep(new cv.Mat());
  const coreStats = keep(new cv.Mat());
  const n = cv.connectedComponentsWithStats(
    coreMask,
    coreLabelMat,
    coreStats,
    keep(new cv.Mat()),
    8,
    cv.CV_32S,
  );
  const coreLabels = new Int32Array(coreLabelMat.data32S as Int32Array);
  const cs = coreStats.data32S as Int32Array;
  const peaks = new Float32Array(n);
  for (let i = 0; i < w * h; i++) {
    const label = coreLabels[i] as number;
    if (label > 0 && (dt[i] as number) > (peaks[label] as number)) peaks[label] = dt[i] as number;
  }
  const strong: Core[] = [];
  for (let label = 1; label < n; label++) {
    if ((peaks[label] as number) < STRONG_CORE * max) continue;
    const x = cs[label * 5] as number;
    strong.push({ label, x0: x, x1: x + (cs[label * 5 + 2] as number), peak: peaks[label] as number });
  }
  // union the cores whose columns overlap (a head above its torso)
  const parent = strong.map((_, i) => i);
  const root = (i: number): number => (parent[i] === i ? i : root(parent[i] as number));
  for (let a = 0; a < strong.length; a++)
    for (let b = a + 1; b < strong.length; b++) {
      const ca = strong[a] as Core;
      const cb = strong[b] as Core;
      const overlap = Math.min(ca.x1, cb.x1) - Math.max(ca.x0, cb.x0);
      if (overlap >= SAME_COLUMN_OVERLAP * Math.min(ca.x1 - ca.x0, cb.x1 - cb.x0)) parent[root(b)] = root(a);
    }
  const groupIds = new Map<number, number>();
  const groupOfCore = new Map<number, number>();
  for (const [i, core] of strong.entries()) {
    const r = root(i);
    if (!groupIds.has(r)) groupIds.set(r, groupIds.size + 1);
    groupOfCore.set(core.label, groupIds.get(r) as number);
  }
  return { length: groupIds.size, coreLabels, groupOfCore };
}

/** Each part pixel's figure (1..n) from the watershed's markers; its boundary pixels (-1) take a
 * neighbouring figure's. 0 outside the part. */
function resolveFigures(markers: Int32Array, inPart: Uint8Array, w: number, h: number): Int32Array {
  const figure = new Int32Array(w * h);
  for (let i = 0; i < w * h; i++)
    if (inPart[i] && (markers[i] as number) > 0) figure[i] = markers[i] as number;
  for (let pass = 0; pass < 4; pass++) {
    let left = 0;
    for (let y = 1; y < h - 1; y++)
      for (let x = 1; x < w - 1; x++) {
        const i = y * w + x;
        if (!inPart[i] || figure[i]) continue;
        const near = [i - 1, i + 1, i - w, i + w].map((j) => figure[j] as number).find((f) => f > 0);
        if (near) figure[i] = near;
        else left++;
      }
    if (left === 0) break;
  }
  return figure;
}

/**
 * Whether the figures make a clear split: each spans FIGURE_MIN_HEIGHT of the part and holds
 * FIGURE_MIN_AREA of it, is tall and large for its own thickness (FIGURE_MIN_HEIGHT_PER_PEAK,
 * FIGURE_MIN_AREA_PER_PEAK_SQ: a child beside an adult is, a fist or hair bun flooded on its own is
 * not), and they meet along a short seam (SEAM_MAX_SHARE of the part's height, counted along its length).
 */
function clearSplit(
  figure: Int32Array,
  inPart: Uint8Array,
  dt: Float32Array,
  w: number,
  h: number,
  figures: number,
  part: Part,
): boolean {
  const area = new Array<number>(figures + 1).fill(0);
  const peak = new Array<number>(figures + 1).fill(0);
  const top = new Array<number>(figures + 1).fill(h);
  const bottom = new Array<number>(figures + 1).fill(-1);
  let seam = 0;
  for (let y = 1; y < h - 1; y++)
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const f = figure[i] as number;
      if (!inPart[i] || f === 0) continue;
      area[f] = (area[f] as number) + 1;
      peak[f] = Math.max(peak[f] as number, dt[i] as number);
      top[f] = Math.min(top[f] as number, y);
      bottom[f] = Math.max(bottom[f] as number, y);
      if (touchesOther(figure, i, w, f)) seam++;
    }
  for (let f = 1; f <= figures; f++) {
    const height = (bottom[f] as number) - (top[f] as number) + 1;
    const a = area[f] as number;
    const p = peak[f] as number;
    if (height < FIGURE_MIN_HEIGHT * part.height || a < FIGURE_MIN_AREA * part.area) return false;
    if (height < FIGURE_MIN_HEIGHT_PER_PEAK * p || a < FIGURE_MIN_AREA_PER_PEAK_SQ * p * p) return false;
  }
  // the seam is two pixels wide (one on each side): its length is about half its pixels
  return seam / 2 <= SEAM_MAX_SHARE * part.height;
}
