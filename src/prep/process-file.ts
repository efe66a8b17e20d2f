// src/prep/process-file.ts — runs the prep stages on ONE input file, in order: decode -> detect text ->
// remove text -> segment (minus speech bubbles) -> (detect persons) -> crop -> dedupe -> caption ->
// write, timing each, and returns its manifest entry. Product failures of this file (bad image, no character) become its
// status and reason; only run-level failures (a model that cannot load) propagate.
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isToonloraError } from '../errors.js';
import type { PrepConfig } from '../schemas/config.js';
import type { ManifestCrop, ManifestFile, ManifestStages } from '../schemas/manifest.js';
import { resizeRgbCv } from '../vision/cv-resize.js';
import type { Box, GrayImage, RgbImage } from '../vision/image.js';
import { removeTextBubbles } from './bubble-mask.js';
import { encodePng } from '../vision/sharp-io.js';
import { assembleCaption, type CaptionParts, type Captioner } from './caption.js';
import { characterTooSmallReason, computeCropBox, cutSquare } from './crop-box.js';
import { decodeImage } from './decode.js';
import { colourThumbnail, differenceHash, findNearDuplicate, type KeptCrop } from './dedupe.js';
import {
  BUBBLE_WHITE_FRACTION,
  findMaskContours,
  selectCharacterContours,
  tightenToMask,
  whiteFractionWithin,
} from './mask-contours.js';
import { safeStem, type UniqueNames } from './output-names.js';
import { morphologyKernelPx } from './segment-classic.js';
import type { CharacterSegmenter, PersonDetector, TextDetector, TextRemover } from './stage-types.js';

/** Everything shared by the files of one run. */
export interface RunContext {
  readonly config: PrepConfig;
  readonly outDir: string;
  /** Kohya folder name, relative to outDir (`10_sks girl`). */
  readonly datasetDir: string;
  readonly saveStages: boolean;
  readonly textDetector: TextDetector;
  readonly textRemover: TextRemover;
  readonly segmenter: CharacterSegmenter;
  readonly personDetector: PersonDetector | null;
  readonly captioner: Captioner;
  readonly names: UniqueNames;
  /** Stage folder names (`stages/<name>/`), unique per input file. */
  readonly stageNames: UniqueNames;
  /** Crops kept so far in this run (grows as files are processed). */
  readonly kept: KeptCrop[];
  /** What the captioner said per crop file (absolute path), for deferred captioners to add to at the end. */
  readonly captionParts: Map<string, CaptionParts>;
}

/** Decode failures that mean "nothing to learn from" rather than a broken file. */
const SKIP_DECODE_REASONS = new Set(['too-small']);

class Timer {
  readonly timings: Record<string, number> = {};
  async time<T>(stage: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.timings[stage] = Math.round((this.timings[stage] ?? 0) + performance.now() - start);
    }
  }
}

interface Candidate {
  readonly characterBox: Box;
}

/** Character boxes: persons (tightened to the mask) with the detector in `all` mode, else mask contours. */
async function findCharacters(
  ctx: RunContext,
  image: RgbImage,
  textMask: GrayImage,
  timer: Timer,
): Promise<{ candidates: Candidate[]; mask: GrayImage }> {
  const raw = await timer.time('segment', () => ctx.segmenter.segment(image));
  const outlinePx = morphologyKernelPx(raw.width, raw.height) * 2 + 1;
  const mask = await timer.time('bubbles', () => removeTextBubbles(raw, image, textMask, outlinePx));
  if (ctx.personDetector && ctx.config.characters === 'all') {
    const detector = ctx.personDetector;
    const people = await timer.time('personDetect', () => detector.detect(image));
    if (people.length > 0) {
      return { mask, candidates: people.map((p) => ({ characterBox: tightenToMask(mask, p.box) })) };
    }
  }
  const contours = await timer.time('contours', async () =>
    (await findMaskContours(mask)).filter((c) => whiteFractionWithin(image, mask, c.box) <= BUBBLE_WHITE_FRACTION),
  );
  return { mask, candidates: selectCharacterContours(contours, ctx.config.characters).map((c) => ({ characterBox: c.box })) };
}

function fileEntry(source: string, timer: Timer, fields: Partial<ManifestFile>): ManifestFile {
  return { source, status: 'error', reason: null, reasonCode: null, crops: [], rejected: [], timingsMs: timer.timings, ...fields };
}

/** OpenCV.js throws bare numbers (a pointer to its exception); everything else has a message. */
function describeError(error: unknown): string {
  if (typeof error === 'number') return `OpenCV exception ${error}`;
  return error instanceof Error ? error.message : String(error);
}

/** Processes one file; never throws for problems of this file (see the file comment). */
export async function processFile(ctx: RunContext, source: string): Promise<ManifestFile> {
  const timer = new Timer();
  const stem = safeStem(basename(source));
  try {
    return await runStages(ctx, source, stem, timer);
  } catch (error) {
    if (isToonloraError(error) && error.code === 'TL_ERR_IMAGE_DECODE') {
      const reasonCode = String(error.details.reason ?? 'decode');
      const status = SKIP_DECODE_REASONS.has(reasonCode) ? 'skipped' : 'error';
      return fileEntry(source, timer, { status, reason: error.message, reasonCode });
    }
    if (isToonloraError(error) && error.code === 'TL_ERR_MODEL_MISSING') throw error;
    return fileEntry(source, timer, {
      status: 'error',
      reason: `${basename(source)}: a prep stage failed (${describeError(error)}). The other files were processed.`,
      reasonCode: 'stage-failed',
    });
  }
}

async function runStages(ctx: RunContext, source: string, stem: string, timer: Timer): Promise<ManifestFile> {
  const { config } = ctx;
  const decoded = await timer.time('decode', () => decodeImage(source, { maxPixels: config.maxInputPixels }));
  const regions = await timer.time('textDetect', () => ctx.textDetector.detect(decoded));
  const removed = await timer.time('textRemove', () => ctx.textRemover.remove(decoded, regions));
  const { mask, candidates } = await findCharacters(ctx, removed.image, removed.mask, timer);
  const base = { width: decoded.width, height: decoded.height, textRegions: regions.length };

  const stages: ManifestStages = {};
  const stageDir = ctx.saveStages ? join('stages', ctx.stageNames.take(stem)) : '';
  if (ctx.saveStages) {
    await timer.time('saveStages', async () => {
      await mkdir(join(ctx.outDir, stageDir), { recursive: true });
      await Promise.all([
        encodePng(removed.mask, join(ctx.outDir, stageDir, 'text-mask.png')),
        encodePng(removed.image, join(ctx.outDir, stageDir, 'text-removed.png')),
        encodePng(mask, join(ctx.outDir, stageDir, 'character-mask.png')),
      ]);
    });
    Object.assign(stages, {
      textMask: join(stageDir, 'text-mask.png'),
      textRemoved: join(stageDir, 'text-removed.png'),
      characterMask: join(stageDir, 'character-mask.png'),
      crop: [],
    });
  }
  const withStages = ctx.saveStages ? { stages } : {};

  if (candidates.length === 0) {
    return fileEntry(source, timer, {
      ...base,
      ...withStages,
      status: 'skipped',
      reasonCode: 'no-character',
      reason: `${basename(source)}: no character found (the ${ctx.segmenter.name} mask is empty: a blank or background-only page?)`,
    });
  }

  const rejected: ManifestFile['rejected'] = [];
  const accepted: Array<{ name: string; crop: RgbImage; cropBox: Box; characterBox: Box; dhash: string }> = [];
  for (const { characterBox } of candidates) {
    const tooSmall = characterTooSmallReason(characterBox, decoded);
    if (tooSmall) {
      rejected.push({ characterBox, reason: tooSmall });
      continue;
    }
    const cropBox = computeCropBox(characterBox, config.cropMargin);
    const square = await timer.time('crop', async () => cutSquare(removed.image, cropBox));
    const crop = await timer.time('crop', () =>
      resizeRgbCv(square, config.resolution, config.resolution, square.width > config.resolution ? 'area' : 'cubic'),
    );
    const thumbnail = await timer.time('dedupe', async () => colourThumbnail(crop));
    const duplicate = config.dedupe ? findNearDuplicate(thumbnail, ctx.kept) : undefined;
    if (duplicate) {
      rejected.push({
        characterBox,
        reason: `near-duplicate of ${duplicate.match.name} (mean colour difference ${duplicate.distance.toFixed(1)}/255)`,
      });
      continue;
    }
    const dhash = differenceHash(crop);
    const name = ctx.names.take(accepted.length === 0 ? stem : `${stem}-${accepted.length + 1}`);
    ctx.kept.push({ thumbnail, name: join(ctx.datasetDir, `${name}.png`) });
    accepted.push({ name, crop, cropBox, characterBox, dhash });
    if (ctx.saveStages) {
      const stagePath = join(stageDir, `crop-${accepted.length}.png`);
      await timer.time('saveStages', () => encodePng(square, join(ctx.outDir, stagePath)));
      stages.crop?.push(stagePath);
    }
  }

  if (accepted.length === 0) {
    const allDuplicates = rejected.every((r) => r.reason.startsWith('near-duplicate'));
    return fileEntry(source, timer, {
      ...base,
      ...withStages,
      status: 'skipped',
      rejected,
      reasonCode: allDuplicates ? 'near-duplicate' : 'too-small',
      reason: `${basename(source)}: ${rejected.map((r) => r.reason).join('; ')}`,
    });
  }

  const crops = await writeCrops(ctx, accepted, timer, stages);
  return fileEntry(source, timer, {
    ...base,
    ...withStages,
    status: 'ok',
    crops,
    rejected,
    reason: rejected.length ? rejected.map((r) => r.reason).join('; ') : null,
    reasonCode: null,
  });
}

async function writeCrops(
  ctx: RunContext,
  accepted: Array<{ name: string; crop: RgbImage; cropBox: Box; characterBox: Box; dhash: string }>,
  timer: Timer,
  stages: ManifestStages,
): Promise<ManifestCrop[]> {
  const dir = join(ctx.outDir, ctx.datasetDir);
  await timer.time('write', async () => {
    await mkdir(dir, { recursive: true });
    await Promise.all(accepted.map((a) => encodePng(a.crop, join(dir, `${a.name}.png`))));
  });
  const parts = await timer.time('caption', () =>
    ctx.captioner.describe(
      accepted.map((a) => a.crop),
      accepted.map((a) => join(dir, `${a.name}.png`)),
    ),
  );
  for (const [i, a] of accepted.entries()) ctx.captionParts.set(join(dir, `${a.name}.png`), parts[i] ?? {});
  const crops: ManifestCrop[] = accepted.map((a, i) => ({
    image: join(ctx.datasetDir, `${a.name}.png`),
    captionFile: join(ctx.datasetDir, `${a.name}.txt`),
    caption: assembleCaption(ctx.config.trigger, ctx.config.classWord, parts[i] ?? {}),
    characterBox: a.characterBox,
    cropBox: a.cropBox,
    dhash: a.dhash,
    ...(stages.crop?.[i] ? { stageCrop: stages.crop[i] } : {}),
  }));
  await timer.time('write', () =>
    Promise.all(crops.map((c) => writeFile(join(ctx.outDir, c.captionFile), `${c.caption}\n`, 'utf8'))),
  );
  return crops;
}
