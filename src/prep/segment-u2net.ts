// src/prep/segment-u2net.ts — the `u2net` character segmenter with rembg's pre/post-processing
// (rembg `sessions/base.py` normalize + `sessions/u2net.py` predict), i.e. what the original's
// `remove(image, only_mask=True)` returns: 320x320 resize (Lanczos), divide by the image's max value,
// ImageNet mean/std, NCHW; output `[:, 0]` min-max normalised to 0..255 and resized back.
// Like rembg, the first input and the first output are used whatever their names.
import type { GrayImage, RgbImage } from '../vision/image.js';
import { resizeGrayCv, resizeRgbCv } from '../vision/cv-resize.js';
import { float32Tensor, openOnnxSession, runOnnx } from '../vision/onnx.js';
import type { CharacterSegmenter } from './stage-types.js';

export const U2NET_INPUT_SIZE = 320;
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** rembg `normalize`: x / max(max(x), 1e-6), then (x - mean) / std per channel, NCHW [1,3,H,W]. Pure. */
export function packU2netInput(resized: RgbImage): Float32Array {
  let max = 0;
  for (const v of resized.data) if (v > max) max = v;
  const scale = 1 / Math.max(max, 1e-6);
  const plane = resized.width * resized.height;
  const tensor = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    IMAGENET_MEAN.forEach((mean, c) => {
      tensor[c * plane + p] = ((resized.data[p * 3 + c] ?? 0) * scale - mean) / IMAGENET_STD[c as 0 | 1 | 2];
    });
  }
  return tensor;
}

/** rembg `predict`: (pred - min) / (max - min) * 255, truncated to uint8 like `.astype("uint8")`. Pure. */
export function normaliseU2netOutput(pred: Float32Array, width: number, height: number): GrayImage {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of pred) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = max - min;
  const data = new Uint8Array(width * height);
  // numpy gives NaN (-> 0) for a constant map; rembg then returns an all-zero mask.
  if (range > 0) for (let i = 0; i < data.length; i++) data[i] = Math.trunc((((pred[i] ?? min) - min) / range) * 255);
  return { width, height, data };
}

export interface U2netSegmenterOptions {
  /** Path of rembg's `u2net.onnx` (resolved from the model cache by the stage registry). */
  readonly modelPath: string;
}

const openU2netSession = (modelPath: string) => openOnnxSession(modelPath, { modelId: 'u2net' });

/** The `u2net` segmenter; the session opens on first use (TL_ERR_MODEL_MISSING if unloadable). */
export function createU2netSegmenter(options: U2netSegmenterOptions): CharacterSegmenter {
  return {
    name: 'u2net',
    async segment(image) {
      const session = await openU2netSession(options.modelPath);
      const size = U2NET_INPUT_SIZE;
      // PIL's LANCZOS is a 3-lobe kernel, OpenCV's INTER_LANCZOS4 a 4-lobe one: masks differ by a grey level or two.
      const resized = await resizeRgbCv(image, size, size, 'lanczos');
      const inputName = session.inputNames[0] as string;
      const outputs = await runOnnx(session, { [inputName]: float32Tensor(packU2netInput(resized), [1, 3, size, size]) });
      const output = outputs[session.outputNames[0] as string];
      if (!output || output.data.length < size * size) {
        throw new Error(`u2net: expected a [1,1,${size},${size}] first output, got [${output?.dims.join(',')}]`);
      }
      // [:, 0, :, :] of a [1, C, 320, 320] output is its first plane.
      const pred = (output.data as Float32Array).subarray(0, size * size);
      const mask = normaliseU2netOutput(pred, size, size);
      return resizeGrayCv(mask, image.width, image.height, 'lanczos');
    },
  };
}

/** The `u2net` segmenter with its session opened now. @throws ToonloraError TL_ERR_MODEL_MISSING (absent or unloadable file). */
export async function loadU2netSegmenter(options: U2netSegmenterOptions): Promise<CharacterSegmenter> {
  await openU2netSession(options.modelPath);
  return createU2netSegmenter(options);
}
