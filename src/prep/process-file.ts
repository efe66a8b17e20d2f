// src/prep/process-file.ts — the prep stages for ONE input file, in two halves: `analyseFile` (decode ->
// detect text -> remove text -> segment (minus speech bubbles) -> (detect persons) -> crop; pure image
// work, any thread) and `finishFile` (dedupe -> names -> write -> caption, in input order on the run's
// thread), timing each, and returns its manifest entry. Product failures of this file (bad image, no
// character) become its status and reason; only run-level failures (a model that cannot load) propagate.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isToonloraError } from '../errors.js';
import type { PrepConfig } from '../schemas/config.js';
import type { ManifestCrop, ManifestFile, ManifestStages } from '../schemas/manifest.js';
import type { Box, GrayImage, RgbImage } from '../vision/image.js';
import { removeTextBubblesWithInteriors } from './bubble-mask.js';
import { BUBBLE_REMNANT_SHARE, bubbleRemnantShare } from './bubble-remnant.js';
import { encodePng, resizeRgb } from '../vision/sharp-io.js';
import { assembleCaption, type CaptionParts, type Captioner } from './caption.js';
import { characterTooSmallReason, computeCropBox, cutSquare } from './crop-box.js';
import { characterIsolator } from './character-isolate.js';
import { decodeImage } from './decode.js';
import { erasedCharacterWarning, erasedShare } from './erased-character.js';
import { failedEntry, fileEntry } from './file-entry.js';
import { noCharacterReason, refusedTextNote } from './file-notes.js';
import { splitPlausibleText } from './text-plausible.js';
import { colourThumbnail, differenceHash, findNearDuplicate, type KeptCrop } from './dedupe.js';
import {
  BUBBLE_WHITE_FRACTION,
  findMaskContours,
  looksLikePanel,
  selectCharacterContours,
  tightenToMask,
  whiteFractionWithin,
} from './mask-contours.js';
import { safeStem, type UniqueNames } from './output-names.js';
import { morphologyKernelPx } from './segment-classic.js';
import type { CharacterSegmenter, PersonDetector, TextDetector, TextRemover } from './stage-types.js';

/** Re-exported: the analysis pool builds entries for files its workers could not analyse. */
export { fileEntry };

/** The stages that look at one file: all a thread needs to analyse it (no run state). */
export interface AnalysisStages {
  readonly textDetector: TextDetector;
  readonly textRemover: TextRemover;
  readonly segmenter: CharacterSegmenter;
  readonly personDetector: PersonDetector | null;
}

/** Everything shared by the files of one run. */
export interface RunContext extends AnalysisStages {
  readonly config: PrepConfig;
  readonly outDir: string;
  /** Kohya folder name, relative to outDir (`10_sks girl`). */
  readonly datasetDir: string;
  readonly saveStages: boolean;
  readonly captioner: Captioner;
  readonly names: UniqueNames;
  /** Stage folder names (`stages/<name>/`), unique per input file. */
  readonly stageNames: UniqueNames;
  /** Crops kept so far in this run (grows as files are processed). */
  readonly kept: KeptCrop[];
  /** What the captioner said per crop file (absolute path), for deferred captioners to add to at the end. */
  readonly captionParts: Map<string, CaptionParts>;
}

/** A character found in a file: refused as too small, or cut out and resized to the training size. */
export type AnalysedCandidate =
  | { readonly characterBox: Box; readonly tooSmall: string }
  | {
      readonly characterBox: Box;
      readonly cropBox: Box;
      /** The square at the training resolution. */
      readonly crop: RgbImage;
      /** For near-duplicate checks against the crops kept before it (dedupe.ts). */
      readonly thumbnail: Float64Array;
      readonly dhash: string;
      /** The square before resizing (only with saveStages). */
      readonly square?: RgbImage;
      /** Share of the character's mask that text removal erased (erased-character.ts). */
      readonly erased?: number;
    };

/**
 * What the stages found in one file, before anything is written: either its final manifest entry
 * (it failed or was skipped at decode) or the candidates `finishFile` turns into crops. Plain data,
 * so an analysis worker thread can send it back (analysis-pool.ts).
 */
export type FileAnalysis =
  | { readonly kind: 'failed'; readonly entry: ManifestFile }
  | {
      readonly kind: 'analysed';
      readonly source: string;
      readonly timings: Record<string, number>;
      readonly width: number;
      readonly height: number;
      readonly textRegions: number;
      /** Text detections left in the image as art (text-plausible.ts). */
      readonly refusedTextRegions?: number;
      /** Frames (pages) in the file: an animated GIF / WebP has several, of which only the first is read. */
      readonly frames?: number;
      /** The stage images (only with saveStages). */
      readonly stageImages?: {
        readonly textMask: GrayImage;
        readonly textRemoved: RgbImage;
        readonly characterMask: GrayImage;
      };
      readonly candidates: readonly AnalysedCandidate[];
      /** Name of the segmenter, for the no-character reason. */
      readonly segmenter: string;
      /** Mask parts left out as speech bubbles (almost all white, or a bubble's outline / tail), for the no-character reason. */
      readonly bubbleLikeParts: number;
      /** Mask parts left out as filled rectangles (panels, boxes), for the no-character reason. */
      readonly panelLikeParts?: number;
    };

class Timer {
  constructor(readonly timings: Record<string, number> = {}) {}
  async time<T>(stage: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.timings[stage] = Math.round((this.timings[stage] ?? 0) + performance.now() - start);
    }
  }
}

/**
 * The square at the training resolution: Lanczos down, cubic up, by libvips (sharp). OpenCV's
 * INTER_AREA in the WASM build took 8-11 ms for a 737 px square against ~4 ms here.
 */
export function resizeCrop(square: RgbImage, resolution: number): Promise<RgbImage> {
  return resizeRgb(square, resolution, resolution, square.width > resolution ? 'lanczos3' : 'cubic');
}

/** Character boxes: persons (tightened to the mask) with the detector in `all` mode, else mask contours. */
async function findCharacters(
  stages: AnalysisStages,
  config: PrepConfig,
  image: RgbImage,
  textMask: GrayImage,
  timer: Timer,
): Promise<{
  boxes: Box[];
  mask: GrayImage;
  bubbleLikeParts: number;
  panelLikeParts: number;
  isolate?: (index: number, square: RgbImage, cropBox: Box) => RgbImage;
}> {
  const raw = await timer.time('segment', () => stages.segmenter.segment(image));
  const outlinePx = morphologyKernelPx(raw.width, raw.height) * 2 + 1;
  const { mask, interiors } = await timer.time('bubbles', () =>
    removeTextBubblesWithInteriors(raw, image, textMask, outlinePx),
  );
  if (stages.personDetector && config.characters === 'all') {
    const detector = stages.personDetector;
    const people = await timer.time('personDetect', () => detector.detect(image));
    if (people.length > 0) {
      const boxes = people.map((p) => tightenToMask(mask, p.box));
      // each person's crop shows the mask part that fills its box, the other persons' parts whited out
      const isolate = boxes.length > 1 ? await characterIsolator(mask, boxes, outlinePx) : undefined;
      return { mask, boxes, isolate, bubbleLikeParts: 0, panelLikeParts: 0 };
    }
  }
  const found = await timer.time('contours', () => findMaskContours(mask));
  // speech bubbles: almost all white, or what is left of one whose interior held text (outline, tail)
  const notBubbles = found.filter(
    (c) =>
      whiteFractionWithin(image, mask, c.box) <= BUBBLE_WHITE_FRACTION &&
      bubbleRemnantShare(mask, interiors, c.box, 2 * outlinePx) < BUBBLE_REMNANT_SHARE,
  );
  // a filled rectangle (panel interior, narration box, dark panel) is never the character: the next part may be
  const contours = notBubbles.filter((c) => !looksLikePanel(mask, c.box));
  const boxes = selectCharacterContours(contours, config.characters).map((c) => c.box);
  // several characters from separate mask parts: each crop shows its own part, the others whited out
  const isolate = boxes.length > 1 ? await characterIsolator(mask, boxes, outlinePx) : undefined;
  return {
    mask,
    boxes,
    isolate,
    bubbleLikeParts: found.length - notBubbles.length,
    panelLikeParts: notBubbles.length - contours.length,
  };
}

/**
 * Runs the image stages on one file: decode -> detect text -> remove text -> segment (minus speech
 * bubbles) -> (detect persons) -> crop and resize each character. Writes nothing and touches no run
 * state, so files can be analysed on several threads. Problems of this file become a `failed`
 * analysis; only a model that cannot load (TL_ERR_MODEL_MISSING) throws.
 */
export async function analyseFile(
  stages: AnalysisStages,
  config: PrepConfig,
  source: string,
  saveStages: boolean,
): Promise<FileAnalysis> {
  const timer = new Timer();
  try {
    const decoded = await timer.time('decode', () =>
      decodeImage(source, { maxPixels: config.maxInputPixels }),
    );
    const detected = await timer.time('textDetect', () => stages.textDetector.detect(decoded));
    // a "text line" on a face or legs (no bubble around it, few strokes) is art: removing it smears them
    const { text: regions, refused } = splitPlausibleText(decoded, detected);
    const removed = await timer.time('textRemove', () => stages.textRemover.remove(decoded, regions));
    const { mask, boxes, bubbleLikeParts, panelLikeParts, isolate } = await findCharacters(
      stages,
      config,
      removed.image,
      removed.mask,
      timer,
    );
    const candidates: AnalysedCandidate[] = [];
    for (const [index, characterBox] of boxes.entries()) {
      const tooSmall = characterTooSmallReason(characterBox, config.resolution);
      if (tooSmall) {
        candidates.push({ characterBox, tooSmall });
        continue;
      }
      const cropBox = computeCropBox(characterBox, config.cropMargin, decoded);
      const square = await timer.time('crop', async () => {
        const cut = cutSquare(removed.image, cropBox);
        return isolate ? isolate(index, cut, cropBox) : cut;
      });
      const crop = await timer.time('crop', () => resizeCrop(square, config.resolution));
      const thumbnail = await timer.time('dedupe', async () => colourThumbnail(crop));
      candidates.push({
        characterBox,
        cropBox,
        crop,
        thumbnail,
        dhash: differenceHash(crop),
        erased: erasedShare(mask, removed.mask, characterBox),
        ...(saveStages ? { square } : {}),
      });
    }
    return {
      kind: 'analysed',
      source,
      timings: timer.timings,
      width: decoded.width,
      height: decoded.height,
      textRegions: regions.length,
      refusedTextRegions: refused.length,
      frames: decoded.frames,
      ...(saveStages
        ? { stageImages: { textMask: removed.mask, textRemoved: removed.image, characterMask: mask } }
        : {}),
      candidates,
      segmenter: stages.segmenter.name,
      bubbleLikeParts,
      panelLikeParts,
    };
  } catch (error) {
    if (isToonloraError(error) && error.code === 'TL_ERR_MODEL_MISSING') throw error;
    return { kind: 'failed', entry: failedEntry(source, timer.timings, error) };
  }
}

/**
 * Turns a file's analysis into its manifest entry, in input order: stage images, near-duplicate
 * checks against the crops kept before it, unique names, the crop PNGs, captions. A failure here
 * (a full disk) becomes the file's status, like a stage failure.
 */
export async function finishFile(ctx: RunContext, analysis: FileAnalysis): Promise<ManifestFile> {
  if (analysis.kind === 'failed') return analysis.entry;
  const timer = new Timer({ ...analysis.timings });
  try {
    return await finishStages(ctx, analysis, timer);
  } catch (error) {
    return failedEntry(analysis.source, timer.timings, error);
  }
}

type Analysed = Extract<FileAnalysis, { kind: 'analysed' }>;
type Accepted = {
  name: string;
  crop: RgbImage;
  cropBox: Box;
  characterBox: Box;
  dhash: string;
  /** Quality warnings for this crop (erased-character.ts). */
  warnings: string[];
};

async function finishStages(ctx: RunContext, analysis: Analysed, timer: Timer): Promise<ManifestFile> {
  const { source } = analysis;
  const stem = safeStem(basename(source));
  const base = { width: analysis.width, height: analysis.height, textRegions: analysis.textRegions };

  const stages: ManifestStages = {};
  const stageDir = ctx.saveStages ? join('stages', ctx.stageNames.take(stem)) : '';
  const stageImages = ctx.saveStages ? analysis.stageImages : undefined;
  if (stageImages) {
    await timer.time('saveStages', async () => {
      await mkdir(join(ctx.outDir, stageDir), { recursive: true });
      await Promise.all([
        encodePng(stageImages.textMask, join(ctx.outDir, stageDir, 'text-mask.png')),
        encodePng(stageImages.textRemoved, join(ctx.outDir, stageDir, 'text-removed.png')),
        encodePng(stageImages.characterMask, join(ctx.outDir, stageDir, 'character-mask.png')),
      ]);
    });
    Object.assign(stages, {
      textMask: join(stageDir, 'text-mask.png'),
      textRemoved: join(stageDir, 'text-removed.png'),
      characterMask: join(stageDir, 'character-mask.png'),
      crop: [],
    });
  }
  const withStages = stageImages ? { stages } : {};
  const framesNote =
    (analysis.frames ?? 1) > 1 ? `an animated file: only frame 1 of ${analysis.frames} was read` : undefined;

  if (analysis.candidates.length === 0) {
    return fileEntry(source, timer.timings, {
      ...base,
      ...withStages,
      status: 'skipped',
      reasonCode: 'no-character',
      reason: noCharacterReason(basename(source), analysis, framesNote),
    });
  }

  const rejected: ManifestFile['rejected'] = [];
  const accepted: Accepted[] = [];
  for (const candidate of analysis.candidates) {
    const { characterBox } = candidate;
    if ('tooSmall' in candidate) {
      rejected.push({ characterBox, reason: candidate.tooSmall });
      continue;
    }
    const duplicate = ctx.config.dedupe ? findNearDuplicate(candidate.thumbnail, ctx.kept) : undefined;
    if (duplicate) {
      rejected.push({
        characterBox,
        reason: `near-duplicate of ${duplicate.match.name} (mean colour difference ${duplicate.distance.toFixed(1)}/255)`,
      });
      continue;
    }
    const name = ctx.names.take(accepted.length === 0 ? stem : `${stem}-${accepted.length + 1}`);
    const warning = erasedCharacterWarning(
      candidate.erased ?? 0,
      characterBox,
      stageImages ? join(stageDir, 'text-removed.png') : undefined,
    );
    ctx.kept.push({ thumbnail: candidate.thumbnail, name: join(ctx.datasetDir, `${name}.png`) });
    accepted.push({
      name,
      crop: candidate.crop,
      cropBox: candidate.cropBox,
      characterBox,
      dhash: candidate.dhash,
      warnings: warning ? [warning] : [],
    });
    if (stageImages && candidate.square) {
      const stagePath = join(stageDir, `crop-${accepted.length}.png`);
      const square = candidate.square;
      await timer.time('saveStages', () => encodePng(square, join(ctx.outDir, stagePath)));
      stages.crop?.push(stagePath);
    }
  }

  if (accepted.length === 0) {
    const allDuplicates = rejected.every((r) => r.reason.startsWith('near-duplicate'));
    return fileEntry(source, timer.timings, {
      ...base,
      ...withStages,
      status: 'skipped',
      rejected,
      reasonCode: allDuplicates ? 'near-duplicate' : 'too-small',
      reason: `${basename(source)}: ${rejected.map((r) => r.reason).join('; ')}`,
    });
  }

  const crops = await writeCrops(ctx, accepted, timer, stages);
  return fileEntry(source, timer.timings, {
    ...base,
    ...withStages,
    status: 'ok',
    crops,
    rejected,
    reason:
      [
        ...rejected.map((r) => r.reason),
        ...refusedTextNote(analysis.refusedTextRegions ?? 0),
        ...(framesNote ? [framesNote] : []),
      ].join('; ') || null,
    reasonCode: null,
  });
}

async function writeCrops(
  ctx: RunContext,
  accepted: Accepted[],
  timer: Timer,
  stages: ManifestStages,
): Promise<ManifestCrop[]> {
  const dir = join(ctx.outDir, ctx.datasetDir);
  await timer.time('write', async () => {
    await mkdir(dir, { recursive: true });
    await Promise.all(accepted.map((a) => encodePng(a.crop, join(dir, `${a.name}.png`))));
  });
  const paths = accepted.map((a) => join(dir, `${a.name}.png`));
  const parts = await timer
    .time('caption', () =>
      ctx.captioner.describe(
        accepted.map((a) => a.crop),
        paths,
      ),
    )
    .catch(async (error: unknown) => {
      // the file fails as a whole: no image is left in the dataset without its caption
      await Promise.all(paths.map((path) => rm(path, { force: true })));
      throw error;
    });
  for (const [i, a] of accepted.entries()) ctx.captionParts.set(join(dir, `${a.name}.png`), parts[i] ?? {});
  const crops: ManifestCrop[] = accepted.map((a, i) => ({
    image: join(ctx.datasetDir, `${a.name}.png`),
    captionFile: join(ctx.datasetDir, `${a.name}.txt`),
    caption: assembleCaption(ctx.config.trigger, ctx.config.classWord, parts[i] ?? {}),
    characterBox: a.characterBox,
    cropBox: a.cropBox,
    dhash: a.dhash,
    ...(stages.crop?.[i] ? { stageCrop: stages.crop[i] } : {}),
    warnings: a.warnings,
  }));
  await timer.time('write', () =>
    Promise.all(crops.map((c) => writeFile(join(ctx.outDir, c.captionFile), `${c.caption}\n`, 'utf8'))),
  );
  return crops;
}
