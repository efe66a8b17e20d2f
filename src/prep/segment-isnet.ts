// src/prep/segment-isnet.ts — the `isnet-anime` character segmenter (SkyTNT anime-segmentation
// `isnetis.onnx`, input `img` [1,3,1024,1024], output `mask` [1,1,1024,1024], already sigmoid).
// Pre/post-processing follows SkyTNT's `inference.py` `get_mask`: aspect kept, long side resized to
// 1024 (cv2.resize, bilinear), /255, placed centred on a zero canvas, NCHW; the output's padding is
// cut off and the rest resized back to the input size (export.py names the tensors img/mask).
// (rembg's own `dis_anime.py` session instead stretches to 1024x1024 and subtracts the ImageNet mean;
// toonlora follows the model's authors.)
import type { GrayImage, RgbImage } from '../vision/image.js';
import { resizeFloatMapCv, resizeRgbCv } from '../vision/cv-resize.js';
import { float32Tensor, openOnnxSession, runOnnx } from '../vision/onnx.js';
import { staticInputDim } from '../vision/onnx-shape.js';
import type { CharacterSegmenter } from './stage-types.js';

export const ISNET_INPUT_SIZE = 1024;
export const ISNET_INPUT_NAME = 'img';

/** Where the resized image sits on the square canvas (SkyTNT: ph // 2, pw // 2, int() sizes). */
export interface Placement {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** SkyTNT's sizing: the longer side becomes `size`, the other `int(size * short / long)`, centred. */
export function isnetPlacement(width: number, height: number, size: number): Placement {
  const [h, w] = height > width ? [size, Math.trunc((size * width) / height)] : [Math.trunc((size * height) / width), size];
  const scaledW = Math.max(1, w);
  const scaledH = Math.max(1, h);
  return { x: Math.trunc((size - scaledW) / 2), y: Math.trunc((size - scaledH) / 2), width: scaledW, height: scaledH };
}

/** NCHW float32 [1,3,size,size]: zeros, with the resized RGB image / 255 at `placement`. Pure. */
export function packIsnetInput(resized: RgbImage, size: number, placement: Placement): Float32Array {
  const plane = size * size;
  const tensor = new Float32Array(3 * plane);
  for (let y = 0; y < resized.height; y++) {
    for (let x = 0; x < resized.width; x++) {
      const src = (y * resized.width + x) * 3;
      const dst = (y + placement.y) * size + (x + placement.x);
      tensor[dst] = (resized.data[src] ?? 0) / 255;
      tensor[plane + dst] = (resized.data[src + 1] ?? 0) / 255;
      tensor[2 * plane + dst] = (resized.data[src + 2] ?? 0) / 255;
    }
  }
  return tensor;
}

/** Cuts the `placement` window out of a size x size probability map (row-major). Pure. */
export function cropPlacement(map: Float32Array, size: number, placement: Placement): Float32Array {
  const out = new Float32Array(placement.width * placement.height);
  for (let y = 0; y < placement.height; y++) {
    const start = (y + placement.y) * size + placement.x;
    out.set(map.subarray(start, start + placement.width), y * placement.width);
  }
  return out;
}

/** Probabilities 0..1 -> 8-bit mask 0..255 (clamped, rounded). Pure. */
export function probabilitiesToMask(values: Float32Array, width: number, height: number): GrayImage {
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = Math.round(Math.min(1, Math.max(0, values[i] ?? 0)) * 255);
  return { width, height, data };
}

export interface IsnetSegmenterOptions {
  /** Path of `isnetis.onnx` (resolved from the model cache by the stage registry). */
  readonly modelPath: string;
  /** Square input side; default: the model's declared input size (1024 for isnetis.onnx). */
  readonly inputSizePx?: number;
}

const openIsnetSession = (modelPath: string) => openOnnxSession(modelPath, { modelId: 'isnet-anime' });

/** The `isnet-anime` segmenter; the session opens on first use (TL_ERR_MODEL_MISSING if unloadable). */
export function createIsnetSegmenter(options: IsnetSegmenterOptions): CharacterSegmenter {
  return {
    name: 'isnet-anime',
    async segment(image) {
      // SkyTNT's export names the input `img`; rembg's copy of the file is fed by position, so do that too.
      const session = await openIsnetSession(options.modelPath);
      const inputName = session.inputNames[0] ?? ISNET_INPUT_NAME;
      const size = options.inputSizePx ?? staticInputDim(session, 0, 2) ?? ISNET_INPUT_SIZE;
      const placement = isnetPlacement(image.width, image.height, size);
      const resized = await resizeRgbCv(image, placement.width, placement.height, 'linear');
      const input = float32Tensor(packIsnetInput(resized, size, placement), [1, 3, size, size]);
      const outputs = await runOnnx(session, { [inputName]: input });
      const output = outputs[session.outputNames[0] ?? 'mask'];
      if (!output || output.data.length !== size * size) {
        throw new Error(`isnet-anime: expected a [1,1,${size},${size}] output, got [${output?.dims.join(',')}]`);
      }
      const window = cropPlacement(output.data as Float32Array, size, placement);
      const back = await resizeFloatMapCv(window, placement.width, placement.height, image.width, image.height, 'linear');
      return probabilitiesToMask(back, image.width, image.height);
    },
  };
}

/** The `isnet-anime` segmenter with its session opened now. @throws ToonloraError TL_ERR_MODEL_MISSING (absent or unloadable file). */
export async function loadIsnetSegmenter(options: IsnetSegmenterOptions): Promise<CharacterSegmenter> {
  await openIsnetSession(options.modelPath);
  return createIsnetSegmenter(options);
}
