// src/prep/bubble-mask.ts — takes speech bubbles out of a character mask: a bubble's tail often
// touches the character, so mask-based segmenters (classic above all) merge the two and the crop
// grows to include the bubble. Near-white areas of the mask that held detected text are bubble
// interiors; clearing them and opening away the thin outline that is left separates the character.
import type { GrayImage, RgbImage } from '../vision/image.js';
import { grayFromMat, loadOpenCv, matFromGray, withMats } from '../vision/opencv.js';
import { MASK_THRESHOLD } from './mask-contours.js';

/** Channel value from which a pixel counts as bubble white (text-removed bubbles are flat white). */
const BUBBLE_WHITE_MIN = 225;

/** 255 where the mask is set and the (text-removed) image is near-white. Pure. */
export function whiteInMask(image: RgbImage, mask: GrayImage): GrayImage {
  const data = new Uint8Array(mask.width * mask.height);
  for (let p = 0; p < data.length; p++) {
    const i = p * 3;
    if (
      (mask.data[p] ?? 0) > MASK_THRESHOLD &&
      (image.data[i] ?? 0) >= BUBBLE_WHITE_MIN &&
      (image.data[i + 1] ?? 0) >= BUBBLE_WHITE_MIN &&
      (image.data[i + 2] ?? 0) >= BUBBLE_WHITE_MIN
    ) {
      data[p] = 255;
    }
  }
  return { width: mask.width, height: mask.height, data };
}

/**
 * The mask without the bubbles: near-white connected areas of the mask that contain text-mask pixels
 * are cleared, then a morphological opening (kernel `outlinePx`) removes the outline rings left
 * behind. Returns the mask unchanged when no text lies on a white part of it.
 */
export async function removeTextBubbles(
  mask: GrayImage,
  image: RgbImage,
  textMask: GrayImage,
  outlinePx: number,
): Promise<GrayImage> {
  if (!textMask.data.some((v) => v > 0)) return mask;
  const cv = await loadOpenCv();
  const white = whiteInMask(image, mask);
  // the text pixels themselves were inpainted white too: count them in
  for (let p = 0; p < white.data.length; p++) if ((textMask.data[p] ?? 0) > 0 && (mask.data[p] ?? 0) > MASK_THRESHOLD) white.data[p] = 255;
  return withMats((keep) => {
    const labels = keep(new cv.Mat());
    const count: number = cv.connectedComponents(keep(matFromGray(cv, white)), labels, 4, cv.CV_32S);
    const holdsText = new Uint8Array(count);
    // one copy out of the WASM heap: two full passes through a heap view cost more than the copy
    const label = new Int32Array(labels.data32S as Int32Array);
    for (let p = 0; p < label.length; p++) if ((textMask.data[p] ?? 0) > 0) holdsText[label[p] as number] = 1;
    holdsText[0] = 0;
    if (!holdsText.some((v) => v)) return mask;
    const cleared = new Uint8Array(mask.data);
    for (let p = 0; p < label.length; p++) if (holdsText[label[p] as number]) cleared[p] = 0;
    const opened = keep(new cv.Mat());
    const kernel = keep(cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(outlinePx, outlinePx)));
    cv.morphologyEx(keep(matFromGray(cv, { ...mask, data: cleared })), opened, cv.MORPH_OPEN, kernel);
    return grayFromMat(opened);
  });
}
