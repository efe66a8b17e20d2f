// src/prep/person-detect.ts — the anime person detector (deepghs anime_person_detection, YOLOv8 ONNX:
// input `images` [1,3,640,640] RGB/255, output `output0` [1, 4+classes, N] rows cx,cy,w,h,scores).
// Pre/post-processing follows deepghs imgutils `generic/yolo.py`: the image is resized (stretched) to
// the model size, not letterboxed; boxes above the confidence threshold go through NMS and are
// scaled back, clipped and rounded (`_xy_postprocess`). Thresholds: imgutils `detect_person` 0.3 / 0.5.
import type { Box } from '../vision/image.js';
import { resizeRgbCv } from '../vision/cv-resize.js';
import { float32Tensor, openOnnxSession, runOnnx } from '../vision/onnx.js';
import { staticInputDim } from '../vision/onnx-shape.js';
import { rgbToUnitPlanes } from '../vision/tensor-pack.js';
import { type CornerBox, centreToCorners, nonMaxSuppression } from './nms.js';
import type { PersonDetection, PersonDetector } from './stage-types.js';

export const PERSON_INPUT_SIZE = 640;
export const PERSON_INPUT_NAME = 'images';
export const PERSON_CONF_THRESHOLD = 0.3;
export const PERSON_IOU_THRESHOLD = 0.5;

/** numpy's `round`: halves go to the even neighbour (402.5 -> 402), as imgutils' `_xy_postprocess` rounds. */
export function roundHalfEven(v: number): number {
  const floor = Math.floor(v);
  const diff = v - floor;
  if (diff !== 0.5) return Math.round(v);
  return floor % 2 === 0 ? floor : floor + 1;
}

export interface YoloDecodeOptions {
  readonly confThreshold: number;
  readonly iouThreshold: number;
  /** Size the model saw (after resizing) and the original image's size. */
  readonly modelWidth: number;
  readonly modelHeight: number;
  readonly imageWidth: number;
  readonly imageHeight: number;
}

/**
 * Decodes a YOLOv8 output `[4 + classes, N]` (channel-major, batch dim dropped): keep columns whose
 * best class score is above `confThreshold`, NMS on corner boxes, scale to the image, clip, round
 * half to even. Pure.
 */
export function decodeYoloOutput(output: Float32Array, rows: number, count: number, options: YoloDecodeOptions): PersonDetection[] {
  if (rows < 5 || output.length < rows * count) {
    throw new RangeError(`person detector: expected a [1, 4+classes, N] output, got ${rows}x${count} for ${output.length} values`);
  }
  const boxes: CornerBox[] = [];
  const scores: number[] = [];
  for (let j = 0; j < count; j++) {
    let best = Number.NEGATIVE_INFINITY;
    for (let r = 4; r < rows; r++) best = Math.max(best, output[r * count + j] ?? 0);
    if (!(best > options.confThreshold)) continue;
    const at = (r: number): number => output[r * count + j] ?? 0;
    boxes.push(centreToCorners(at(0), at(1), at(2), at(3)));
    scores.push(best);
  }
  const sx = options.imageWidth / options.modelWidth;
  const sy = options.imageHeight / options.modelHeight;
  const clip = (v: number, max: number): number => roundHalfEven(Math.min(max, Math.max(0, v)));
  return nonMaxSuppression(boxes, scores, options.iouThreshold).map((i) => {
    const [x0, y0, x1, y1] = boxes[i] as CornerBox;
    const left = clip(x0 * sx, options.imageWidth);
    const top = clip(y0 * sy, options.imageHeight);
    const box: Box = {
      x: left,
      y: top,
      width: clip(x1 * sx, options.imageWidth) - left,
      height: clip(y1 * sy, options.imageHeight) - top,
    };
    return { box, score: scores[i] as number };
  });
}

export interface PersonDetectorOptions {
  readonly modelPath: string;
  readonly inputSizePx?: number;
  readonly confThreshold?: number;
  readonly iouThreshold?: number;
}

const openPersonSession = (modelPath: string) =>
  openOnnxSession(modelPath, { modelId: 'anime-person-detector', expectInputs: [PERSON_INPUT_NAME] });

/** The YOLO person detector; the session opens on first use (TL_ERR_MODEL_MISSING if unloadable). */
export function createPersonDetector(options: PersonDetectorOptions): PersonDetector {
  return {
    name: 'anime-person-detector',
    async detect(image) {
      const session = await openPersonSession(options.modelPath);
      // imgutils uses the model's `imgsz` (640 when absent); a static input shape says the same
      const size = options.inputSizePx ?? staticInputDim(session, 0, 2) ?? PERSON_INPUT_SIZE;
      const resized = await resizeRgbCv(image, size, size, 'cubic');
      const outputs = await runOnnx(session, {
        [PERSON_INPUT_NAME]: float32Tensor(rgbToUnitPlanes(resized), [1, 3, size, size]),
      });
      const output = outputs[session.outputNames[0] as string];
      const dims = output?.dims ?? [];
      if (!output || dims.length !== 3) {
        throw new Error(`anime-person-detector: expected a [1, 4+classes, N] output, got [${dims.join(',')}]`);
      }
      return decodeYoloOutput(output.data as Float32Array, Number(dims[1]), Number(dims[2]), {
        confThreshold: options.confThreshold ?? PERSON_CONF_THRESHOLD,
        iouThreshold: options.iouThreshold ?? PERSON_IOU_THRESHOLD,
        modelWidth: size,
        modelHeight: size,
        imageWidth: image.width,
        imageHeight: image.height,
      });
    },
  };
}

/** The person detector with its session opened now. @throws ToonloraError TL_ERR_MODEL_MISSING (absent, unloadable or wrong file). */
export async function loadPersonDetector(options: PersonDetectorOptions): Promise<PersonDetector> {
  await openPersonSession(options.modelPath);
  return createPersonDetector(options);
}
