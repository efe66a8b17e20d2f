// src/prep/bubble-mask.ts — takes speech bubbles out of a character mask: a bubble's tail often
// touches the character, so mask-based segmenters (classic above all) merge the two and the crop
// grows to include the bubble. Near-white areas of the mask that held detected text are bubble
// interiors; clearing them and opening away the thin outline that is left separates the character.
import type { GrayImage, RgbImage } from '../vision/image.js';
import { loadOpenCv, type Mat, matFromGray, type OpenCv, withMats } from '../vision/opencv.js';
import { FOUR_STEPS } from './grid.js';
import { MASK_THRESHOLD } from './mask-contours.js';

/** Channel value from which a pixel counts as bubble white (text-removed bubbles are flat white). */
const BUBBLE_WHITE_MIN = 225;
/**
 * A white area holding text is a bubble interior only when at least this share of it is paper (white
 * pixels that were not text). Text removed from the art itself (a sound effect, or a false detection on
 * a face or legs) is an area of text pixels with next to no paper: clearing it cut the erased face out
 * of the character mask, and the crop followed. Measured: bubbles in examples/screens 0.62-0.77
 * paper; text removed over art 0.00-0.28 (0.00 over a figure's face or body, test/fixtures/prep-quality/;
 * up to 0.28 for sound-effect pieces next to white speed lines in panel-05). 0.4 sits between the two.
 */
export const BUBBLE_MIN_PAPER_SHARE = 0.4;

/**
 * A bubble's closed tail: a white area without text within the bubble's outline width of its interior
 * (the outline runs across the tail's base), at most this share of the interior's area and of the same
 * paper colour. Left in the mask, its outline and its tip touching the character's head came into the
 * crop (examples/screens/panel-03: a ~1,300 px tail against a ~25,000 px interior).
 */
export const TAIL_MAX_AREA_SHARE = 0.5;
/** ... and its mean colour within this (per channel, 0..255) of the interior's paper: a character's
 * white shirt drawn in #f2f2f2 (panel-01) next to a #fff bubble is 13 away; JPEG noise moves a mean by 1-2. */
export const TAIL_PAPER_TOLERANCE = 6;
/**
 * Around a closed tail (its box grown by {@link TAIL_TIP_REACH} outline widths) the mask is opened again
 * with a square {@link TAIL_TIP_OPEN_SCALE} outline widths wide: where the tail's two strokes meet at its
 * tip they make a wedge wider than one outline, which the bubble's opening left on the head as a small
 * hook (examples/screens/panel-03). The head beside it is far wider and stays.
 */
export const TAIL_TIP_REACH = 2;
export const TAIL_TIP_OPEN_SCALE = 3;
/**
 * ... only for a tail of at least this many outline widths squared in area: a white speck of
 * anti-aliasing between a bubble's paper and its outline passes for a closed tail too (1-12 px, 130 of
 * them on examples/screens/panel-01, against 124-1,283 px for the drawn tails there and in panel-03,
 * -05, -06) but has no tip; opening around each one took most of the bubble step's time (panel-01:
 * ~190 of ~260 ms) and cut a character's parts narrower than the tip's square that met the bubble there.
 */
export const TAIL_TIP_MIN_AREA = 1;

/**
 * Which labels of the white areas (`label` per pixel, `count` labels) are bubble interiors: they hold
 * text and at least {@link BUBBLE_MIN_PAPER_SHARE} of their pixels are white paper, not text.
 */
function bubbleLabels(
  label: Int32Array,
  count: number,
  white: GrayImage,
  textMask: GrayImage,
  textInMask: Int32Array,
): Uint8Array {
  const text = new Uint32Array(count);
  const paper = new Uint32Array(count);
  for (let k = 0; k < textInMask.length; k++) {
    const l = label[textInMask[k] as number] as number;
    text[l] = (text[l] as number) + 1;
  }
  for (let p = 0; p < white.data.length; p++) {
    if (!white.data[p] || textMask.data[p]) continue;
    const l = label[p] as number;
    paper[l] = (paper[l] as number) + 1;
  }
  const bubble = new Uint8Array(count);
  for (let l = 1; l < count; l++) {
    const t = text[l] as number;
    const w = paper[l] as number;
    if (t > 0 && w >= (t + w) * BUBBLE_MIN_PAPER_SHARE) bubble[l] = 1;
  }
  return bubble;
}

/** Per label: its pixel count and the sum of its pixels' channels where no text is (r, g, b at 3l..3l+2). */
function labelPaper(
  label: Int32Array,
  count: number,
  white: GrayImage,
  image: RgbImage,
  textMask: GrayImage,
): { area: Uint32Array; sums: Float64Array; paper: Uint32Array } {
  const area = new Uint32Array(count);
  const paper = new Uint32Array(count);
  const sums = new Float64Array(count * 3);
  for (let p = 0; p < white.data.length; p++) {
    if (!white.data[p]) continue;
    const l = label[p] as number;
    area[l] = (area[l] as number) + 1;
    if (textMask.data[p]) continue;
    paper[l] = (paper[l] as number) + 1;
    for (let c = 0; c < 3; c++)
      sums[l * 3 + c] = (sums[l * 3 + c] as number) + (image.data[p * 3 + c] as number);
  }
  return { area, sums, paper };
}

/**
 * Marks in `bubble` (1 = bubble interior) the closed tails of the bubbles (see {@link TAIL_MAX_AREA_SHARE}):
 * white areas without text that a walk of at most `reachPx` (right, left, down, up) from one of their
 * pixels leads into a bubble's interior, small beside it and of its paper colour. Returns their labels;
 * mutates `bubble`.
 */
function markBubbleTails(
  label: Int32Array,
  count: number,
  white: GrayImage,
  image: RgbImage,
  textMask: GrayImage,
  bubble: Uint8Array,
  reachPx: number,
): number[] {
  const { width, height } = white;
  const { area, sums, paper } = labelPaper(label, count, white, image, textMask);
  const tailOf = new Int32Array(count); // the bubble label a candidate was found next to (0: none yet)
  const paperMatches = (l: number, b: number) =>
    [0, 1, 2].every(
      (c) =>
        Math.abs(
          (sums[l * 3 + c] as number) / (paper[l] as number) -
            (sums[b * 3 + c] as number) / (paper[b] as number),
        ) <= TAIL_PAPER_TOLERANCE,
    );
  const candidate = (l: number) => l > 0 && bubble[l] === 0 && (paper[l] as number) === (area[l] as number);
  for (let y = 0, p = 0; y < height; y++)
    for (let x = 0; x < width; x++, p++) {
      if (!white.data[p]) continue;
      const l = label[p] as number;
      if (tailOf[l] !== 0 || !candidate(l)) continue;
      for (const [dx, dy] of FOUR_STEPS) {
        for (let k = 1, cx = x + dx, cy = y + dy; k <= reachPx; k++, cx += dx, cy += dy) {
          if (cx < 0 || cy < 0 || cx >= width || cy >= height) break;
          const b = label[cy * width + cx] as number;
          if (b === l) break;
          if (b === 0 || bubble[b] === 0) continue;
          if ((area[l] as number) <= (area[b] as number) * TAIL_MAX_AREA_SHARE && paperMatches(l, b))
            tailOf[l] = b;
          break;
        }
        if (tailOf[l] !== 0) break;
      }
    }
  const tails: number[] = [];
  for (let l = 1; l < count; l++)
    if (tailOf[l] !== 0) {
      bubble[l] = 1;
      tails.push(l);
    }
  return tails;
}

/**
 * 255 where the mask is set and the (text-removed) image is near-white, or the text mask is set (the
 * text pixels were inpainted white too); and the indices of the text pixels inside the mask. Pure.
 */
export function whiteInMask(
  image: RgbImage,
  mask: GrayImage,
  textMask?: GrayImage,
): { white: GrayImage; textInMask: Int32Array } {
  const m = mask.data;
  const px = image.data;
  const text = textMask?.data;
  const white = new Uint8Array(m.length);
  const textAt: number[] = [];
  for (let p = 0, i = 0; p < m.length; p++, i += 3) {
    if ((m[p] as number) <= MASK_THRESHOLD) continue;
    if (text && (text[p] as number) > 0) {
      white[p] = 255;
      textAt.push(p);
    } else if (
      (px[i] as number) >= BUBBLE_WHITE_MIN &&
      (px[i + 1] as number) >= BUBBLE_WHITE_MIN &&
      (px[i + 2] as number) >= BUBBLE_WHITE_MIN
    ) {
      white[p] = 255;
    }
  }
  return {
    white: { width: mask.width, height: mask.height, data: white },
    textInMask: Int32Array.from(textAt),
  };
}

/**
 * The mask without the bubbles: near-white connected areas (4-connected) of the mask that contain
 * text-mask pixels are cleared, with their closed tails (white areas without text within `outlinePx` of
 * one, small beside it and of its paper colour: {@link TAIL_MAX_AREA_SHARE}), then a morphological opening (kernel `outlinePx`) around them removes
 * the outline rings left behind. The opening covers the cleared area's box grown by 2 x `outlinePx`,
 * not the whole mask (it reads `outlinePx` beyond that box, so a head the box's edge crosses keeps its
 * sides): thin parts of the character away from the bubbles (hair strands) stay, and it
 * costs a fraction (a whole 1024² opening was 12 ms of WASM). Returns the mask unchanged when no text
 * lies on a white part of it. bench/prep_reference.py does the same in cv2.
 */
export async function removeTextBubbles(
  mask: GrayImage,
  image: RgbImage,
  textMask: GrayImage,
  outlinePx: number,
): Promise<GrayImage> {
  return (await removeTextBubblesWithInteriors(mask, image, textMask, outlinePx)).mask;
}

/**
 * {@link removeTextBubbles}, plus the bubble interiors it cleared (255 = cleared; null when none), so
 * the caller can tell what is left of a bubble (its thick outline, its tail) from a character.
 */
export async function removeTextBubblesWithInteriors(
  mask: GrayImage,
  image: RgbImage,
  textMask: GrayImage,
  outlinePx: number,
): Promise<{ mask: GrayImage; interiors: GrayImage | null }> {
  const { white, textInMask } = whiteInMask(image, mask, textMask);
  if (textInMask.length === 0) return { mask, interiors: null };
  const cv = await loadOpenCv();
  return withMats((keep) => {
    const labels = keep(new cv.Mat());
    const count: number = cv.connectedComponents(keep(matFromGray(cv, white)), labels, 4, cv.CV_32S);
    const label = labels.data32S as Int32Array; // a heap view: read before the next OpenCV call
    const holdsText = bubbleLabels(label, count, white, textMask, textInMask);
    const tails = markBubbleTails(label, count, white, image, textMask, holdsText, outlinePx);
    const { width, height } = mask;
    const cleared = new Uint8Array(mask.data);
    const interiors = new Uint8Array(mask.data.length);
    let minX = width;
    let minY = height;
    let maxX = -1;
    let maxY = -1;
    for (let y = 0, p = 0; y < height; y++) {
      for (let x = 0; x < width; x++, p++) {
        if (holdsText[label[p] as number] === 0) continue;
        cleared[p] = 0;
        interiors[p] = 255;
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
    }
    if (maxX < 0) return { mask, interiors: null };
    const reach = 2 * outlinePx;
    const x0 = Math.max(0, minX - reach);
    const y0 = Math.max(0, minY - reach);
    const x1 = Math.min(width, maxX + 1 + reach);
    const y1 = Math.min(height, maxY + 1 + reach);
    // padded like the tip's opening: unpadded, the window's edge read as empty and a head crossing it
    // lost its sides in the rows above the edge (examples/screens/panel-03: the girl's hair outline left
    // as a flat black bar, its sides painted over with sky)
    openWindow(cv, keep, { width, height, data: cleared }, { x0, y0, x1, y1 }, outlinePx, outlinePx);
    const tipMinPx = TAIL_TIP_MIN_AREA * outlinePx * outlinePx;
    for (const box of labelBoxes(label, width, height, tails)) {
      if (box.pixels < tipMinPx) continue;
      // the tail's tip: its two strokes meet in a wedge wider than the outline, left on the head
      const grow = TAIL_TIP_REACH * outlinePx;
      const win = {
        x0: Math.max(0, box.x0 - grow),
        y0: Math.max(0, box.y0 - grow),
        x1: Math.min(width, box.x1 + grow),
        y1: Math.min(height, box.y1 + grow),
      };
      const kernelPx = TAIL_TIP_OPEN_SCALE * outlinePx;
      openWindow(cv, keep, { width, height, data: cleared }, win, kernelPx, kernelPx);
    }
    return { mask: { width, height, data: cleared }, interiors: { width, height, data: interiors } };
  });
}

interface Window {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** Bounding windows (x1, y1 exclusive) of the pixels of each of `labels`, with their pixel counts. Pure. */
function labelBoxes(
  label: Int32Array,
  width: number,
  height: number,
  labels: readonly number[],
): (Window & { readonly pixels: number })[] {
  if (labels.length === 0) return [];
  const at = new Map(labels.map((l, k) => [l, k]));
  const boxes = labels.map(() => ({ x0: width, y0: height, x1: 0, y1: 0, pixels: 0 }));
  for (let y = 0, p = 0; y < height; y++)
    for (let x = 0; x < width; x++, p++) {
      const k = at.get(label[p] as number);
      if (k === undefined) continue;
      const b = boxes[k] as { x0: number; y0: number; x1: number; y1: number; pixels: number };
      b.pixels++;
      b.x0 = Math.min(b.x0, x);
      b.y0 = Math.min(b.y0, y);
      b.x1 = Math.max(b.x1, x + 1);
      b.y1 = Math.max(b.y1, y + 1);
    }
  return boxes;
}

/**
 * Opens `mask` with a `kernelPx` square inside `win`, in place: the opening runs on `win` grown by
 * `padPx` (within the image), so the mask beyond the window's edge is seen (a window's edge reads as
 * empty, and a head cut by it lost the rows beside it), and only `win` is written back.
 */
function openWindow(
  cv: OpenCv,
  keep: <M extends Mat>(mat: M) => M,
  mask: GrayImage,
  win: Window,
  kernelPx: number,
  padPx: number,
): void {
  const { width, height, data } = mask;
  const x0 = Math.max(0, win.x0 - padPx);
  const y0 = Math.max(0, win.y0 - padPx);
  const x1 = Math.min(width, win.x1 + padPx);
  const y1 = Math.min(height, win.y1 + padPx);
  const w = x1 - x0;
  const roi = new Uint8Array(w * (y1 - y0));
  for (let y = y0; y < y1; y++) roi.set(data.subarray(y * width + x0, y * width + x1), (y - y0) * w);
  const opened = keep(new cv.Mat());
  const kernel = keep(cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(kernelPx, kernelPx)));
  cv.morphologyEx(
    keep(matFromGray(cv, { width: w, height: y1 - y0, data: roi })),
    opened,
    cv.MORPH_OPEN,
    kernel,
  );
  const out = opened.data as Uint8Array;
  for (let y = win.y0; y < win.y1; y++) {
    const from = (y - y0) * w + (win.x0 - x0);
    data.set(out.subarray(from, from + (win.x1 - win.x0)), y * width + win.x0);
  }
}
