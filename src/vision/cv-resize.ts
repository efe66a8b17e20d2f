// src/vision/cv-resize.ts — resizing RGB images and masks with OpenCV's `cv.resize`, so the model
// stages can match their Python references' `cv2.resize` interpolation exactly (no product rules here).
import type { GrayImage, RgbImage } from './image.js';
import { grayFromMat, loadOpenCv, matFromGray, matFromRgb, rgbFromMat, withMats } from './opencv.js';

/** OpenCV interpolation flags by name (values of cv.INTER_*). */
export type Interpolation = 'nearest' | 'linear' | 'cubic' | 'area' | 'lanczos';

const INTERPOLATION_FLAG: Record<Interpolation, number> = { nearest: 0, linear: 1, cubic: 2, area: 3, lanczos: 4 };

/** Resizes an RGB image to exactly `width` x `height` pixels (positive integers). */
export async function resizeRgbCv(
  image: RgbImage,
  width: number,
  height: number,
  interpolation: Interpolation,
): Promise<RgbImage> {
  if (image.width === width && image.height === height) return image;
  const cv = await loadOpenCv();
  return withMats((keep) => {
    const src = keep(matFromRgb(cv, image));
    const dst = keep(new cv.Mat());
    cv.resize(src, dst, new cv.Size(width, height), 0, 0, INTERPOLATION_FLAG[interpolation]);
    return rgbFromMat(dst);
  });
}

/** Resizes a one-channel 8-bit image (a mask) to exactly `width` x `height`. */
export async function resizeGrayCv(
  image: GrayImage,
  width: number,
  height: number,
  interpolation: Interpolation,
): Promise<GrayImage> {
  if (image.width === width && image.height === height) return image;
  const cv = await loadOpenCv();
  return withMats((keep) => {
    const src = keep(matFromGray(cv, image));
    const dst = keep(new cv.Mat());
    cv.resize(src, dst, new cv.Size(width, height), 0, 0, INTERPOLATION_FLAG[interpolation]);
    return grayFromMat(dst);
  });
}

/**
 * Resizes a float32 one-channel map (a model's probability output) with OpenCV, returning float32.
 * Used to bring a mask back to the input size before quantising, as `cv2.resize` does on floats.
 */
export async function resizeFloatMapCv(
  values: Float32Array,
  srcWidth: number,
  srcHeight: number,
  width: number,
  height: number,
  interpolation: Interpolation,
): Promise<Float32Array> {
  if (srcWidth === width && srcHeight === height) return values;
  const cv = await loadOpenCv();
  return withMats((keep) => {
    const src = keep(new cv.Mat(srcHeight, srcWidth, cv.CV_32FC1));
    src.data32F.set(values);
    const dst = keep(new cv.Mat());
    cv.resize(src, dst, new cv.Size(width, height), 0, 0, INTERPOLATION_FLAG[interpolation]);
    return new Float32Array(dst.data32F);
  });
}
