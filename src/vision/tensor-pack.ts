// src/vision/tensor-pack.ts — images to the float tensors the ONNX models take (no product rules here).
import type { RgbImage } from './image.js';

/** NCHW float32 [1,3,h,w]: RGB / 255, one plane per channel (imgutils' `rgb_encode`, LaMa's `image`). Pure. */
export function rgbToUnitPlanes(image: RgbImage): Float32Array {
  const plane = image.width * image.height;
  const tensor = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    tensor[p] = (image.data[p * 3] ?? 0) / 255;
    tensor[plane + p] = (image.data[p * 3 + 1] ?? 0) / 255;
    tensor[2 * plane + p] = (image.data[p * 3 + 2] ?? 0) / 255;
  }
  return tensor;
}
