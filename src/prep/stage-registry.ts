// src/prep/stage-registry.ts — the prep stage registry: name -> factory for every swappable stage (text
// detector, text remover and its inpainter, segmenter, person detector, captioner), and the `auto`
// choices. Each factory resolves its model files through the model cache and opens them before any
// output is written, so a stage asked for by name whose weights are missing or unloadable fails up
// front with one line naming the model and `toonlora models pull <id>`; an `auto` choice falls back
// instead.
import { type CacheOptions, findModelDir, findModelFile, requireModelFile } from '../models/cache.js';
import type { PrepConfig } from '../schemas/config.js';
import { captionImagesWithBlip } from '../worker/blip.js';
import type { WorkerEvent } from '../worker/protocol.js';
import { resolveWorkerPython } from '../worker/python-worker.js';
import type { StageChoice } from '../schemas/manifest.js';
import { type Captioner, combineCaptioners, noCaptioner } from './caption.js';
import { isToonloraError, ToonloraError } from '../errors.js';
import { incompleteModelFile } from '../models/model-status.js';
import { LAMA_MODEL_ID, loadLamaInpainter, type WindowInpainter } from './inpaint-lama.js';
import { loadPersonDetector } from './person-detect.js';
import { createClassicSegmenter } from './segment-classic.js';
import { loadIsnetSegmenter } from './segment-isnet.js';
import { loadU2netSegmenter } from './segment-u2net.js';
import type { CharacterSegmenter, PersonDetector, TextDetector, TextRemover } from './stage-types.js';
import type { AnalysisWorkerSpec } from './analysis-pool.js';
import type { AnalysisStages } from './analyse-file.js';
import { loadWd14Captioner } from './tag-wd14.js';
import { createPaddleTextDetector, PADDLE_DET_MODEL_ID } from './text-detect-paddle.js';
import { createOpenCvTextRemover } from './text-remove.js';
import { cliReason, errorPart, type StagePart, type StageReason, stageChoice } from '../stage-reason.js';
import {
  AUTO_WEIGHTS_CACHED,
  CAPTIONER_NOT_DOWNLOADED,
  PERSON_DETECTOR_CACHED,
  SEGMENTER_NOT_DOWNLOADED,
  TEXT_DETECTOR_SHIPPED,
} from './auto-stage-reasons.js';

export type SegmenterName = 'isnet-anime' | 'u2net' | 'classic';

/** Segmenter name -> loader (throws TL_ERR_MODEL_MISSING when its weights are not downloaded or do not load). */
export const SEGMENTERS: Record<SegmenterName, (cache: CacheOptions) => Promise<CharacterSegmenter>> = {
  'isnet-anime': (cache) =>
    loadIsnetSegmenter({ modelPath: requireModelFile('isnet-anime', undefined, cache) }),
  u2net: (cache) => loadU2netSegmenter({ modelPath: requireModelFile('u2net', undefined, cache) }),
  classic: async () => createClassicSegmenter(),
};

export interface Resolved<T> {
  readonly stage: T;
  readonly choice: StageChoice;
  /** The model file the stage opened, where an analysis worker must open it again. */
  readonly modelPath?: string;
}

/**
 * Runs `load`; a model file that is present but does not load (TL_ERR_MODEL_MISSING) gives
 * `{ failure }` with its error (its message names the file and why, its fix is data) instead of throwing.
 */
async function loadOrExplain<T>(load: () => Promise<T>): Promise<{ stage: T } | { failure: StagePart }> {
  try {
    return { stage: await load() };
  } catch (error) {
    if (isToonloraError(error) && error.code === 'TL_ERR_MODEL_MISSING') return { failure: errorPart(error) };
    throw error;
  }
}

/** The segmenter for `prep.segmenter`, loaded; `auto` = isnet-anime when cached and loadable, else classic. */
export async function resolveSegmenter(
  name: PrepConfig['segmenter'],
  cache: CacheOptions = {},
): Promise<Resolved<CharacterSegmenter>> {
  if (name !== 'auto')
    return { stage: await SEGMENTERS[name](cache), choice: { name, reason: 'asked for by name' } };
  if (!findModelFile('isnet-anime', undefined, cache)) {
    return {
      stage: createClassicSegmenter(),
      choice: stageChoice('classic', SEGMENTER_NOT_DOWNLOADED),
    };
  }
  const isnet = await loadOrExplain(() => SEGMENTERS['isnet-anime'](cache));
  if ('stage' in isnet) {
    return {
      stage: isnet.stage,
      choice: { name: 'isnet-anime', reason: AUTO_WEIGHTS_CACHED },
    };
  }
  return {
    stage: createClassicSegmenter(),
    choice: stageChoice('classic', ['auto: isnet-anime failed to load: ', isnet.failure]),
  };
}

/**
 * The person detector for `--characters all` (null for `largest`). `stage` is null, and the choice
 * says why, when its weights are not cached or do not load: mask components are used then.
 */
export async function resolvePersonDetector(
  characters: PrepConfig['characters'],
  cache: CacheOptions = {},
): Promise<Resolved<PersonDetector | null> | null> {
  if (characters !== 'all') return null;
  const name = 'anime-person-detector';
  const path = findModelFile(name, undefined, cache);
  if (!path) {
    return {
      stage: null,
      choice: stageChoice(name, [{ kind: 'pull-model', id: name }, ' splits overlapping characters']),
    };
  }
  const loaded = await loadOrExplain(() => loadPersonDetector({ modelPath: path }));
  if ('failure' in loaded)
    return { stage: null, choice: stageChoice(name, [`${name} failed to load: `, loaded.failure]) };
  return {
    stage: loaded.stage,
    choice: stageChoice(name, PERSON_DETECTOR_CACHED),
    modelPath: path,
  };
}

/** What a run hands the out-of-process captioner (BLIP): its cancel signal and a per-batch count. */
export interface CaptionRunHooks {
  /** Stops the BLIP worker (SIGTERM) when the run is cancelled. */
  readonly signal?: AbortSignal;
  /** Called after each BLIP batch: `done` images of `total` captioned (or found unreadable). */
  readonly onCaptionProgress?: (progress: { readonly done: number; readonly total: number }) => void;
}

/**
 * The `blip` captioner: BLIP runs in the Python worker, which loads the model once per call, so it is
 * deferred: `describe` collects the crop files and `finish` captions them all in one worker call,
 * reporting each batch through `hooks.onCaptionProgress` and stopping on `hooks.signal`.
 */
export function createBlipCaptioner(
  modelDir: string,
  config: PrepConfig,
  caption: typeof captionImagesWithBlip = captionImagesWithBlip,
  hooks: CaptionRunHooks = {},
): Captioner {
  const pending: string[] = [];
  const onEvent = (event: WorkerEvent) => {
    if (event.type === 'progress') hooks.onCaptionProgress?.({ done: event.step, total: event.total });
  };
  return {
    name: 'blip',
    async describe(images, files) {
      pending.push(...files);
      return images.map(() => ({}));
    },
    async finish() {
      const options = {
        maxLength: config.blip.maxLength,
        numBeams: config.blip.numBeams,
        model: modelDir,
        onEvent,
      };
      const results = pending.length
        ? await caption(pending, { ...options, ...(hooks.signal ? { signal: hooks.signal } : {}) })
        : [];
      return new Map(
        pending.map((file, i) => [file, results[i]?.caption ? { sentence: results[i].caption } : {}]),
      );
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

/** @throws TL_ERR_MODEL_MISSING when the WD14 files are not downloaded or do not load. */
function wd14Captioner(config: PrepConfig, cache: CacheOptions): Promise<Captioner> {
  return loadWd14Captioner({
    modelPath: requireModelFile('wd-vit-tagger-v3', 'model.onnx', cache),
    tagsPath: requireModelFile('wd-vit-tagger-v3', 'selected_tags.csv', cache),
    thresholds: { general: config.wd14.generalThreshold, character: config.wd14.characterThreshold },
  });
}

/** Why the downloaded blip-base folder looks incomplete (a file far under its size), or undefined. */
export function incompleteBlip(cache: CacheOptions): StageReason | undefined {
  const problem = incompleteModelFile('blip-base', cache);
  if (!problem) return undefined;
  return [
    `blip-base looks incomplete (${problem}); `,
    { kind: 'pull-model', id: 'blip-base' },
    ' replaces it',
  ];
}

/** @throws TL_ERR_MODEL_MISSING (blip-base not downloaded or incomplete) or TL_ERR_PYTHON_ENV (no worker Python). */
function requireBlip(config: PrepConfig, cache: CacheOptions, hooks: CaptionRunHooks): Captioner {
  requireModelFile('blip-base', undefined, cache);
  const modelDir = findModelDir('blip-base', cache);
  if (!modelDir) requireModelFile('blip-base', 'model.safetensors', cache);
  const incomplete = incompleteBlip(cache);
  if (incomplete)
    throw new ToonloraError('TL_ERR_MODEL_MISSING', cliReason(incomplete), {
      details: { model: 'blip-base' },
      fix: { kind: 'pull-model', id: 'blip-base' },
    });
  resolveWorkerPython();
  return createBlipCaptioner(modelDir as string, config, captionImagesWithBlip, hooks);
}

/** The captioner for `prep.captioner`; `auto` = blip+wd14, wd14 or blip when their weights are present, else none. */
export async function resolveCaptioner(
  config: PrepConfig,
  cache: CacheOptions = {},
  hooks: CaptionRunHooks = {},
): Promise<Resolved<Captioner>> {
  const byName = (stage: Captioner): Resolved<Captioner> => ({
    stage,
    choice: { name: stage.name, reason: 'asked for by name' },
  });
  switch (config.captioner) {
    case 'none':
      return byName(noCaptioner);
    case 'wd14':
      return byName(await wd14Captioner(config, cache));
    case 'blip':
      return byName(requireBlip(config, cache, hooks));
    case 'blip+wd14':
      return byName(
        combineCaptioners('blip+wd14', [
          requireBlip(config, cache, hooks),
          await wd14Captioner(config, cache),
        ]),
      );
    case 'auto':
      return autoCaptioner(config, cache, hooks);
  }
}

/** WD14 for `auto`: loaded when its files are cached; `failure` says why a cached copy did not load. */
async function autoWd14(
  config: PrepConfig,
  cache: CacheOptions,
): Promise<{ stage?: Captioner; failure?: StagePart }> {
  const cached =
    findModelFile('wd-vit-tagger-v3', 'model.onnx', cache) !== undefined &&
    findModelFile('wd-vit-tagger-v3', 'selected_tags.csv', cache) !== undefined;
  return cached ? loadOrExplain(() => wd14Captioner(config, cache)) : {};
}

async function autoCaptioner(
  config: PrepConfig,
  cache: CacheOptions,
  hooks: CaptionRunHooks,
): Promise<Resolved<Captioner>> {
  const wd14 = await autoWd14(config, cache);
  const failed: StageReason = wd14.failure ? ['; wd-vit-tagger-v3 failed to load: ', wd14.failure] : [];
  const foundBlip = findModelDir('blip-base', cache);
  // a folder with every file name but a cut-off or placeholder file is not used (and the reason said)
  const blipIncomplete = foundBlip === undefined ? undefined : incompleteBlip(cache);
  const blipDir = blipIncomplete ? undefined : foundBlip;
  const blip = blipDir !== undefined && hasWorkerPython();
  if (blip && blipDir && wd14.stage) {
    const stage = combineCaptioners('blip+wd14', [
      createBlipCaptioner(blipDir, config, captionImagesWithBlip, hooks),
      wd14.stage,
    ]);
    return {
      stage,
      choice: { name: 'blip+wd14', reason: 'auto: BLIP and WD14 weights are in the model cache' },
    };
  }
  const notBlip: StageReason = blipIncomplete ? ['; not BLIP: ', ...blipIncomplete] : [];
  if (wd14.stage)
    return {
      stage: wd14.stage,
      choice: stageChoice('wd14', ['auto: WD14 weights are in the model cache', ...notBlip]),
    };
  if (blip && blipDir) {
    return {
      stage: createBlipCaptioner(blipDir, config, captionImagesWithBlip, hooks),
      choice: stageChoice('blip', ['auto: BLIP weights are in the model cache', ...failed]),
    };
  }
  const none: StageReason = wd14.failure
    ? ['auto: captions are the trigger and class words', ...failed]
    : CAPTIONER_NOT_DOWNLOADED;
  if (blipIncomplete)
    return {
      stage: noCaptioner,
      choice: stageChoice('none', ['auto: captions are the trigger and class words', ...notBlip, ...failed]),
    };
  return { stage: noCaptioner, choice: stageChoice('none', none) };
}

/**
 * Opens the analysis stages a run resolved, again, in an analysis worker thread: the same text
 * stages, the segmenter by its resolved name and the person detector from its model file.
 * @throws TL_ERR_MODEL_MISSING when a model does not load there.
 */
export async function loadAnalysisStages(spec: AnalysisWorkerSpec): Promise<AnalysisStages> {
  // (async wrappers: a model missing from the cache throws synchronously, before the others settle)
  const open = async <T>(start: () => Promise<T> | T): Promise<T> => start();
  const { personDetectorModel } = spec;
  const opening = [
    open(() => createTextStages(spec.config, spec.cache)),
    open(() => SEGMENTERS[spec.segmenter](spec.cache)),
    open(() => (personDetectorModel ? loadPersonDetector({ modelPath: personDetectorModel }) : null)),
  ] as const;
  // A failure is reported only once every open has finished: a worker must not be stopped while
  // another model is still opening (see releaseOnnxSessions).
  const failed = (await Promise.allSettled(opening)).find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  const [text, segmenter, personDetector] = await Promise.all(opening);
  return { textDetector: text.detector.stage, textRemover: text.remover.stage, segmenter, personDetector };
}

/**
 * What fills text over art for `prep.inpainter`: `opencv` = Navier-Stokes (no inpainter), `lama` = LaMa
 * (TL_ERR_MODEL_MISSING when not downloaded or unloadable), `auto` = LaMa when cached and loadable.
 */
export async function resolveInpainter(
  name: PrepConfig['inpainter'],
  cache: CacheOptions = {},
): Promise<{ inpainter?: WindowInpainter; reason: StageReason }> {
  if (name === 'opencv') return { reason: ['asked for by name'] };
  if (name === 'lama') {
    const modelPath = requireModelFile(LAMA_MODEL_ID, undefined, cache);
    return { inpainter: await loadLamaInpainter({ modelPath }), reason: ['asked for by name'] };
  }
  const path = findModelFile(LAMA_MODEL_ID, undefined, cache);
  if (!path) {
    return {
      reason: [
        `auto: ${LAMA_MODEL_ID} is not downloaded; `,
        { kind: 'pull-model', id: LAMA_MODEL_ID },
        ' keeps screentone and lines under removed text',
      ],
    };
  }
  const lama = await loadOrExplain(() => loadLamaInpainter({ modelPath: path }));
  if ('failure' in lama) return { reason: [`auto: ${LAMA_MODEL_ID} failed to load: `, lama.failure] };
  return { inpainter: lama.stage, reason: [AUTO_WEIGHTS_CACHED] };
}

/** The text stages: PaddleOCR PP-OCRv4 detection (weights ship in npm) + removal with the `prep.inpainter` choice. */
export async function createTextStages(
  config: PrepConfig,
  cache: CacheOptions = {},
): Promise<{ detector: Resolved<TextDetector>; remover: Resolved<TextRemover> }> {
  const opening = [
    createPaddleTextDetector({ modelPath: requireModelFile(PADDLE_DET_MODEL_ID, undefined, cache) }),
    resolveInpainter(config.inpainter, cache),
  ] as const;
  // as loadAnalysisStages: a failure is reported once both models have finished opening
  const failed = (await Promise.allSettled(opening)).find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  const [detector, { inpainter, reason }] = await Promise.all(opening);
  const remover = await createOpenCvTextRemover({
    dilatePx: config.textDilatePx,
    inpaintRadius: config.inpaintRadius,
    ...(inpainter ? { inpainter } : {}),
  });
  return {
    detector: {
      stage: detector,
      choice: { name: detector.name, reason: TEXT_DETECTOR_SHIPPED },
    },
    remover: { stage: remover, choice: stageChoice(remover.name, reason) },
  };
}
