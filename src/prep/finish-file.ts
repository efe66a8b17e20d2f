// src/prep/finish-file.ts — the second half of a file's prep, on the run's thread in input order:
// stage images, near-duplicate checks against the crops kept so far, unique names, the crop PNGs and
// captions, and the file's manifest entry (its notes in `reason`, each crop's quality warnings in the
// crop). A failure here becomes the file's status, like a stage failure; a full disk stops the run.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isDiskFullError } from '../disk-full.js';
import type { PrepConfig } from '../schemas/config.js';
import type { ManifestCrop, ManifestFile, ManifestStages } from '../schemas/manifest.js';
import type { Box, RgbImage } from '../vision/image.js';
import { encodePng } from '../vision/sharp-io.js';
import type { AnalysisStages, FileAnalysis } from './analyse-file.js';
import { assembleCaption, type CaptionParts, type Captioner } from './caption.js';
import { sideRuleOnce } from './crop-box.js';
import { findNearDuplicate, type KeptCrop } from './dedupe.js';
import { erasedCharacterWarning } from './erased-character.js';
import { failedEntry, fileEntry } from './file-entry.js';
import {
  fileReason,
  framesNote as framesNoteFor,
  noCharacterReason,
  refusedTextNote,
  rejectedCropNote,
} from './file-notes.js';
import { cropStem, safeStem, type UniqueNames } from './output-names.js';
import { StageTimer } from './stage-timer.js';
import { joinedPanelsNote } from './strip-panels.js';

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

/**
 * Turns a file's analysis into its manifest entry, in input order: stage images, near-duplicate
 * checks against the crops kept before it, unique names, the crop PNGs, captions. A failure here
 * becomes the file's status, like a stage failure.
 * @throws the write error when the disk (or quota) is full: every later file would fail the same way
 */
export async function finishFile(ctx: RunContext, analysis: FileAnalysis): Promise<ManifestFile> {
  if (analysis.kind === 'failed') return analysis.entry;
  const timer = new StageTimer({ ...analysis.timings });
  try {
    return await finishStages(ctx, analysis, timer);
  } catch (error) {
    if (isDiskFullError(error)) throw error; // every later file would fail the same: the run stops (pipeline.ts)
    return failedEntry(analysis.source, timer.timings, error);
  }
}

type Analysed = Extract<FileAnalysis, { kind: 'analysed' }>;
type Accepted = {
  name: string;
  crop: RgbImage;
  cropBox: Box;
  characterBox: Box;
  /** The strip panel it came from (1-based). */
  panel?: number;
  dhash: string;
  /** Quality warnings for this crop (erased-character.ts). */
  warnings: string[];
};

async function finishStages(ctx: RunContext, analysis: Analysed, timer: StageTimer): Promise<ManifestFile> {
  const { source } = analysis;
  const stem = safeStem(basename(source));
  const base = {
    width: analysis.width,
    height: analysis.height,
    textRegions: analysis.textRegions,
    ...(analysis.panels ? { panels: [...analysis.panels] } : {}),
  };

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
  const framesNote = framesNoteFor(analysis.frames, analysis.format);
  const joinedNote = analysis.panels ? joinedPanelsNote(analysis.panels) : null;

  if (analysis.candidates.length === 0) {
    return fileEntry(source, timer.timings, {
      ...base,
      ...withStages,
      status: 'skipped',
      reasonCode: 'no-character',
      ...fileReason([
        ...noCharacterReason(basename(source), analysis, framesNote),
        ...(joinedNote ? [`; ${joinedNote}`] : []),
      ]),
    });
  }

  const rejected: ManifestFile['rejected'] = [];
  const accepted: Accepted[] = [];
  for (const candidate of analysis.candidates) {
    const { characterBox } = candidate;
    const panel = candidate.panel !== undefined ? { panel: candidate.panel } : {};
    if ('tooSmall' in candidate) {
      rejected.push({ characterBox, ...panel, reason: candidate.tooSmall });
      continue;
    }
    const duplicate = ctx.config.dedupe ? findNearDuplicate(candidate.thumbnail, ctx.kept) : undefined;
    if (duplicate) {
      rejected.push({
        characterBox,
        ...panel,
        reason: `near-duplicate of ${duplicate.match.name} (mean colour difference ${duplicate.distance.toFixed(1)}/255)`,
      });
      continue;
    }
    const nth = 1 + accepted.filter((a) => a.panel === candidate.panel).length;
    const inPanel =
      candidate.panel !== undefined
        ? { index: candidate.panel, count: analysis.panels?.length ?? 0 }
        : undefined;
    const name = ctx.names.take(cropStem(stem, nth, inPanel));
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
      ...panel,
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
    // only specks (no figure): nothing to find a character in, as an empty mask (file-notes.ts)
    const allBlank = rejected.every((r) => r.reason.startsWith('blank'));
    return fileEntry(source, timer.timings, {
      ...base,
      ...withStages,
      status: 'skipped',
      rejected,
      reasonCode: allDuplicates ? 'near-duplicate' : allBlank ? 'no-character' : 'too-small',
      reason: `${basename(source)}: ${[...rejectedNotes(rejected, ctx.config.resolution), ...(framesNote ? [framesNote] : [])].join('; ')}`,
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
        ...rejectedNotes(rejected, ctx.config.resolution),
        ...refusedTextNote(analysis.refusedTextRegions ?? 0),
        ...(framesNote ? [framesNote] : []),
        ...(joinedNote ? [joinedNote] : []),
      ].join('; ') || null,
    reasonCode: null,
  });
}

/** The rejected crops' notes in a file's reason, the too-small rule said once (crop-box.ts sideRuleOnce). */
function rejectedNotes(rejected: ManifestFile['rejected'], resolution: number): string[] {
  return sideRuleOnce(rejected.map(rejectedCropNote), resolution);
}

async function writeCrops(
  ctx: RunContext,
  accepted: Accepted[],
  timer: StageTimer,
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
  // what was written, so that --overwrite can tell a crop the user retouched since (output-swap.ts)
  const hashes = await Promise.all(
    paths.map(async (path) =>
      createHash('sha256')
        .update(await readFile(path))
        .digest('hex'),
    ),
  );
  const crops: ManifestCrop[] = accepted.map((a, i) => ({
    image: join(ctx.datasetDir, `${a.name}.png`),
    captionFile: join(ctx.datasetDir, `${a.name}.txt`),
    caption: assembleCaption(ctx.config.trigger, ctx.config.classWord, parts[i] ?? {}),
    characterBox: a.characterBox,
    cropBox: a.cropBox,
    ...(a.panel !== undefined ? { panel: a.panel } : {}),
    dhash: a.dhash,
    ...(hashes[i] ? { sha256: hashes[i] } : {}),
    ...(stages.crop?.[i] ? { stageCrop: stages.crop[i] } : {}),
    warnings: a.warnings,
  }));
  await timer.time('write', () =>
    Promise.all(crops.map((c) => writeFile(join(ctx.outDir, c.captionFile), `${c.caption}\n`, 'utf8'))),
  );
  return crops;
}
