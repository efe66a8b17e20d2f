// src/prep/inpaint-lama.ts — the `lama` inpainter: LaMa (Samsung's large-mask inpainting, Apache-2.0)
// as Carve exported it to ONNX (`lama_fp32.onnx`: inputs `image` [1,3,512,512] RGB / 255 and `mask`
// [1,1,512,512] with 1 where to fill; first output [1,3,512,512] RGB in 0..255 — the contract the
// public projects that run this file feed and read; it could not be run here). The text remover hands
// it one window around each text area over art (text-remove.ts); the window is resized to the model's
// square input and the answer resized back. Unlike OpenCV's Navier-Stokes fill, which smooths the hole,
// LaMa continues screentone, speed lines and hatching into it (SPEC §1 step 2's learned inpainter).
import type { GrayImage, RgbImage } from '../vision/image.js';
import { type Interpolation, resizeGrayCv, resizeRgbCv } from '../vision/cv-resize.js';
import { float32Tensor, openOnnxSession, runOnnx } from '../vision/onnx.js';
import { staticInputDim } from '../vision/onnx-shape.js';
import { rgbToUnitPlanes } from '../vision/tensor-pack.js';

export const LAMA_MODEL_ID = 'lama';
/** The side Carve's export was traced at (its input is fixed at 512 x 512). */
export const LAMA_INPUT_SIZE = 512;
export const LAMA_INPUT_NAMES = ['image', 'mask'] as const;

/** Fills the masked pixels of an image from their surroundings. */
export interface WindowInpainter {
  readonly name: string;
  /**
   * `image` with the pixels where `mask` is non-zero filled in, at the same size. Other pixels may come
   * back slightly changed (resampling): callers write back only the pixels they asked to fill.
   */
  inpaint(image: RgbImage, mask: GrayImage): Promise<RgbImage>;
}

/** NCHW float32 [1,1,h,w]: 1 where the mask is set (any non-zero value), else 0. Pure. */
export function packLamaMask(mask: GrayImage): Float32Array {
  const tensor = new Float32Array(mask.width * mask.height);
  for (let i = 0; i < tensor.length; i++) tensor[i] = mask.data[i] ? 1 : 0;
  return tensor;
}

/** The model's NCHW 0..255 output -> an RGB image (rounded, clamped to 0..255). Pure. */
export function unpackLamaOutput(output: Float32Array, width: number, height: number): RgbImage {
  const plane = width * height;
  const data = new Uint8Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const value = output[c * plane + i] ?? 0;
      data[i * 3 + c] = Math.round(Math.min(255, Math.max(0, value)));
    }
  }
  return { width, height, data };
}

/** Shrinking averages (area), enlarging interpolates (cubic): OpenCV's usual choice each way. */
function interpolationFor(from: number, to: number): Interpolation {
  return from > to ? 'area' : 'cubic';
}

export interface LamaInpainterOptions {
  /** Path of `lama_fp32.onnx` (resolved from the model cache by the stage registry). */
  readonly modelPath: string;
}

const openLamaSession = (modelPath: string) =>
  openOnnxSession(modelPath, { modelId: LAMA_MODEL_ID, expectInputs: LAMA_INPUT_NAMES });

/** The `lama` inpainter; the session opens on first use (TL_ERR_MODEL_MISSING if unloadable). */
export function createLamaInpainter(options: LamaInpainterOptions): WindowInpainter {
  return {
    name: LAMA_MODEL_ID,
    async inpaint(image, mask) {
      const session = await openLamaSession(options.modelPath);
      const size = staticInputDim(session, 0, 2) ?? LAMA_INPUT_SIZE;
      const longer = Math.max(image.width, image.height);
      const resized = await resizeRgbCv(image, size, size, interpolationFor(longer, size));
      // area-averaged, then any coverage counts: a glyph edge is never lost to the downscale
      const resizedMask = await resizeGrayCv(mask, size, size, longer > size ? 'area' : 'nearest');
      const outputs = await runOnnx(session, {
        image: float32Tensor(rgbToUnitPlanes(resized), [1, 3, size, size]),
        mask: float32Tensor(packLamaMask(resizedMask), [1, 1, size, size]),
      });
      const output = outputs[session.outputNames[0] ?? 'output'];
      if (!output || output.data.length !== 3 * size * size) {
        throw new Error(`lama: expected a [1,3,${size},${size}] output, got [${output?.dims.join(',')}]`);
      }
      const filled = unpackLamaOutput(output.data as Float32Array, size, size);
      return resizeRgbCv(filled, image.width, image.height, interpolationFor(size, longer));
    },
  };
}

/** The `lama` inpainter with its session opened now. @throws ToonloraError TL_ERR_MODEL_MISSING (absent or unloadable file, or not LaMa's inputs). */
export async function loadLamaInpainter(options: LamaInpainterOptions): Promise<WindowInpainter> {
  await openLamaSession(options.modelPath);
  return createLamaInpainter(options);
}
