// src/prep/character-isolate.ts — each character's crop shows that character alone: the mask's
// connected components are labelled, and in a character's square the pixels of the OTHER characters'
// components and of the clutter (speech bubbles, removed text; crop-clutter.ts), grown a little for
// their anti-aliased outline, are painted over with the background beside them (paint-over.ts).
// Without this, two characters standing close give crops that both hold both of them.
import type { Box, GrayImage, RgbImage } from '../vision/image.js';
import { dilateEllipse } from '../vision/binary-dilate.js';
import { loadOpenCv, matFromGray, withMats } from '../vision/opencv.js';
import { MASK_THRESHOLD } from './mask-contours.js';
import { paintOverRuns } from './paint-over.js';
import { PIXEL } from './paint-over-sides.js';

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
 * `square` (cut from the image at `cropBox`) with the pixels of the `others` components and of
 * `clutter` (speech bubbles, removed text: 255 where set, image-sized), grown by `growPx`, painted over
 * with the background beside them (paint-over.ts), except where they are `own`'s pixels. Returns a new
 * image (`square` itself when nothing is to be painted). Pure.
 */
export function paintOutOtherCharacters(
  square: RgbImage,
  cropBox: Box,
  components: MaskComponents,
  own: number,
  others: readonly number[],
  growPx: number,
  clutter?: GrayImage,
): RgbImage {
  if (others.length === 0 && !clutter) return square;
  const other = new Uint8Array(Math.max(components.boxes.length, ...others) + 1);
  for (const label of others) if (label >= 0) other[label] = 1;
  // the crop box grown by growPx, so a part just outside it still reaches in
  const x0 = cropBox.x - growPx;
  const y0 = cropBox.y - growPx;
  const w = cropBox.width + 2 * growPx;
  const h = cropBox.height + 2 * growPx;
  const local = new Uint8Array(w * h);
  const localClutter = new Uint8Array(w * h);
  let any = false;
  for (let y = 0; y < h; y++) {
    const sy = y0 + y;
    if (sy < 0 || sy >= components.height) continue;
    for (let x = 0; x < w; x++) {
      const sx = x0 + x;
      if (sx < 0 || sx >= components.width) continue;
      const p = sy * components.width + sx;
      if (other[components.labels[p] as number]) {
        local[y * w + x] = 255;
        any = true;
      } else if (clutter?.data[p]) {
        localClutter[y * w + x] = 255;
        any = true;
      }
    }
  }
  if (!any) return square;
  const grown = dilateEllipse(local, w, h, growPx);
  const grownClutter = clutter ? dilateEllipse(localClutter, w, h, growPx) : localClutter;
  const kind = new Uint8Array(cropBox.width * cropBox.height);
  for (let y = 0; y < cropBox.height; y++) {
    const sy = cropBox.y + y;
    for (let x = 0; x < cropBox.width; x++) {
      const sx = cropBox.x + x;
      const inside = sx >= 0 && sy >= 0 && sx < components.width && sy < components.height;
      const at = y * cropBox.width + x;
      const g = (y + growPx) * w + x + growPx;
      if (inside && components.labels[sy * components.width + sx] === own) kind[at] = PIXEL.own;
      else if (grown[g]) kind[at] = PIXEL.other;
      else if (grownClutter[g]) kind[at] = PIXEL.clutter;
    }
  }
  return paintOverRuns(square, kind);
}

/**
 * For characters cut from one mask: a function giving character `index` (of `boxes`, those cropped)'s
 * square with every other character of `everyone` (all the characters found, cropped or not; default
 * `boxes`) and the `clutter` painted over (see {@link paintOutOtherCharacters}); the identity when
 * there is only one character and no clutter. `labelled`: the mask's components when the caller has
 * them (cropClutter's), else the mask is labelled here.
 */
export async function characterIsolator(
  mask: GrayImage,
  boxes: readonly Box[],
  growPx: number,
  everyone: readonly Box[] = boxes,
  clutter?: GrayImage,
  labelled?: MaskComponents,
): Promise<(index: number, square: RgbImage, cropBox: Box) => RgbImage> {
  if (everyone.length < 2 && !clutter) return (_index, square) => square;
  const components = labelled ?? (await labelMaskComponents(mask));
  const owners = boxes.map((box) => componentOfBox(components, box));
  const all = [...new Set([...owners, ...everyone.map((box) => componentOfBox(components, box))])];
  return (index, square, cropBox) => {
    const own = owners[index] ?? 0;
    const others = all.filter((label) => label > 0 && label !== own);
    return paintOutOtherCharacters(square, cropBox, components, own, others, growPx, clutter);
  };
}
