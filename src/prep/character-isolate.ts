// src/prep/character-isolate.ts — with `--characters all`, each character's crop shows that character
// alone: the mask's connected components are labelled, and in a character's square the pixels of the
// OTHER characters' components (grown a little, for their anti-aliased outline) are painted over with
// the background beside them (white where there is none).
// Without this, two characters standing close give two crops that both hold both of them.
import type { Box, GrayImage, RgbImage } from '../vision/image.js';
import { dilateEllipse } from '../vision/binary-dilate.js';
import { loadOpenCv, matFromGray, withMats } from '../vision/opencv.js';
import { MASK_THRESHOLD } from './mask-contours.js';

/** 8-connected components of `mask > threshold`: a label per pixel (0 = none) and each label's box (index = label). */
export interface MaskComponents {
  readonly width: number;
  readonly height: number;
  readonly labels: Int32Array;
  readonly boxes: readonly Box[];
}

export async function labelMaskComponents(
  mask: GrayImage,
  threshold = MASK_THRESHOLD,
): Promise<MaskComponents> {
  const cv = await loadOpenCv();
  return withMats((keep) => {
    const binary = keep(new cv.Mat());
    cv.threshold(keep(matFromGray(cv, mask)), binary, threshold, 255, cv.THRESH_BINARY);
    const labelMat = keep(new cv.Mat());
    const stats = keep(new cv.Mat());
    const count = cv.connectedComponentsWithStats(
      binary,
      labelMat,
      stats,
      keep(new cv.Mat()),
      8,
      cv.CV_32S,
    ) as number;
    const labels = new Int32Array(labelMat.data32S as Int32Array);
    const s = stats.data32S as Int32Array;
    const boxes: Box[] = [];
    for (let label = 0; label < count; label++) {
      const i = label * 5; // CC_STAT_LEFT, TOP, WIDTH, HEIGHT, AREA
      boxes.push({
        x: s[i] as number,
        y: s[i + 1] as number,
        width: s[i + 2] as number,
        height: s[i + 3] as number,
      });
    }
    return { width: mask.width, height: mask.height, labels, boxes };
  });
}

/**
 * The component whose bounding box is `box` (an external contour's bounding rectangle is its
 * component's), or the component with the most pixels inside `box` (a person detector's box); 0 when
 * none. Pure.
 */
export function componentOfBox(components: MaskComponents, box: Box): number {
  const same = components.boxes.findIndex(
    (b, label) =>
      label > 0 && b.x === box.x && b.y === box.y && b.width === box.width && b.height === box.height,
  );
  if (same > 0) return same;
  const counts = new Map<number, number>();
  // a detector's box may have fractional coordinates and reach past the image
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(components.width, Math.ceil(box.x + box.width));
  const y1 = Math.min(components.height, Math.ceil(box.y + box.height));
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      const label = components.labels[y * components.width + x] ?? 0;
      if (label > 0) counts.set(label, (counts.get(label) ?? 0) + 1);
    }
  let best = 0;
  let most = 0;
  for (const [label, n] of counts) if (n > most) [best, most] = [label, n];
  return best;
}

/**
 * `square` (cut from the image at `cropBox`) with the pixels of the `others` components, grown by
 * `growPx`, painted over with the background beside them (see paintOverRuns), except where they are
 * `own`'s pixels. Returns a new image. Pure.
 */
export function paintOutOtherCharacters(
  square: RgbImage,
  cropBox: Box,
  components: MaskComponents,
  own: number,
  others: readonly number[],
  growPx: number,
): RgbImage {
  if (others.length === 0) return square;
  const other = new Set(others);
  // the crop box grown by growPx, so a component just outside it still reaches in
  const x0 = cropBox.x - growPx;
  const y0 = cropBox.y - growPx;
  const w = cropBox.width + 2 * growPx;
  const h = cropBox.height + 2 * growPx;
  const local = new Uint8Array(w * h);
  let any = false;
  for (let y = 0; y < h; y++) {
    const sy = y0 + y;
    if (sy < 0 || sy >= components.height) continue;
    for (let x = 0; x < w; x++) {
      const sx = x0 + x;
      if (sx < 0 || sx >= components.width) continue;
      if (other.has(components.labels[sy * components.width + sx] as number)) {
        local[y * w + x] = 255;
        any = true;
      }
    }
  }
  if (!any) return square;
  const grown = dilateEllipse(local, w, h, growPx);
  // 1 = paint over (another character), 2 = this character's own pixel, 0 = background
  const kind = new Uint8Array(cropBox.width * cropBox.height);
  for (let y = 0; y < cropBox.height; y++) {
    const sy = cropBox.y + y;
    for (let x = 0; x < cropBox.width; x++) {
      const sx = cropBox.x + x;
      const inside = sx >= 0 && sy >= 0 && sx < components.width && sy < components.height;
      if (inside && components.labels[sy * components.width + sx] === own) kind[y * cropBox.width + x] = 2;
      else if (grown[(y + growPx) * w + x + growPx]) kind[y * cropBox.width + x] = 1;
    }
  }
  return paintOverRuns(square, kind);
}

/**
 * Paints the pixels marked 1 in `kind` row by row: each run is a blend from the background pixel just
 * left of it to the one just right of it (sky, ground and flat fills carry on through the hole), or
 * the one side's colour where the other is the image edge or the character itself (its outline would
 * streak), or white where neither side is background. Returns a new image. Pure.
 */
function paintOverRuns(square: RgbImage, kind: Uint8Array): RgbImage {
  const { width, height } = square;
  const out = new Uint8Array(square.data);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let x = 0;
    while (x < width) {
      if (kind[row + x] !== 1) {
        x++;
        continue;
      }
      const start = x;
      while (x < width && kind[row + x] === 1) x++;
      const left = start > 0 && kind[row + start - 1] === 0 ? (row + start - 1) * 3 : -1;
      const right = x < width && kind[row + x] === 0 ? (row + x) * 3 : -1;
      for (let i = start; i < x; i++) {
        const t = (i - start + 1) / (x - start + 1);
        for (let c = 0; c < 3; c++) {
          const a = left >= 0 ? (square.data[left + c] as number) : -1;
          const b = right >= 0 ? (square.data[right + c] as number) : -1;
          out[(row + i) * 3 + c] =
            a >= 0 && b >= 0 ? Math.round(a + (b - a) * t) : a >= 0 ? a : b >= 0 ? b : 255;
        }
      }
    }
  }
  return { width, height, data: out };
}

/**
 * For characters cut from one mask: a function giving character `index` (of `boxes`, those cropped)'s
 * square with every other character of `everyone` (all the characters found, cropped or not; default
 * `boxes`) painted over (see {@link paintOutOtherCharacters}); the identity when there is only one.
 */
export async function characterIsolator(
  mask: GrayImage,
  boxes: readonly Box[],
  growPx: number,
  everyone: readonly Box[] = boxes,
): Promise<(index: number, square: RgbImage, cropBox: Box) => RgbImage> {
  if (everyone.length < 2) return (_index, square) => square;
  const components = await labelMaskComponents(mask);
  const owners = boxes.map((box) => componentOfBox(components, box));
  const all = [...new Set([...owners, ...everyone.map((box) => componentOfBox(components, box))])];
  return (index, square, cropBox) => {
    const own = owners[index] ?? 0;
    const others = all.filter((label) => label > 0 && label !== own);
    return paintOutOtherCharacters(square, cropBox, components, own, others, growPx);
  };
}
