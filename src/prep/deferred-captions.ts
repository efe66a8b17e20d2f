// src/prep/deferred-captions.ts — a deferred captioner (BLIP in the worker) describes every crop of the
// run in one batch after the last file: its captions are merged in and rewritten, and when it fails the
// captions keep what the other stages gave and the manifest records what they hold (its error and fix as data).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isToonloraError } from '../errors.js';
import type { ManifestFile } from '../schemas/manifest.js';
import { assembleCaption, type CaptionParts, mergeCaptionParts } from './caption.js';
import type { RunContext } from './finish-file.js';
import type { PrepOptions } from './pipeline.js';
import {
  CLI_STAGE_WORDS,
  errorPart,
  reasonInWords,
  reasonOf,
  type StageChoiceWithParts,
  type StageReason,
  stageChoice,
} from '../stage-reason.js';

/** Most characters of a deferred captioner's error shown (transformers lists every model type it knows). */
const CAPTION_ERROR_CHARS = 300;

/**
 * A deferred captioner's error in one short line, with the fix for a broken BLIP copy (unless it names a pull
 * itself). A ToonloraError whose message is one short line keeps its text and fix as data.
 */
export function shortCaptionError(error: unknown): StageReason {
  const message = error instanceof Error ? error.message : String(error);
  const line = (message.split('\n')[0] ?? '').trim();
  const short = line.length > CAPTION_ERROR_CHARS ? `${line.slice(0, CAPTION_ERROR_CHARS).trimEnd()}…` : line;
  const said = short === message && isToonloraError(error) ? errorPart(error) : short;
  return short.includes('models pull')
    ? [said]
    : [said, '; ', { kind: 'pull-model', id: 'blip-base' }, ' replaces a broken copy'];
}

/** The captioner the manifest records when the deferred one (BLIP) failed: what the captions hold. */
export function fallenBackCaptioner(
  choice: { readonly name: string; readonly reason: string; readonly reasonParts?: StageReason },
  why: StageReason,
): StageChoiceWithParts {
  const name = choice.name === 'blip+wd14' ? 'wd14' : 'none';
  const holds = name === 'wd14' ? 'WD14 tags' : 'the trigger and class words';
  return stageChoice(name, [
    `${choice.name} was chosen (`,
    ...reasonOf(choice),
    ') but BLIP failed: ',
    ...why,
    `; captions are ${holds}`,
  ]);
}

/**
 * Lets a deferred captioner (BLIP in the worker) describe every crop of the run in one batch, then
 * rewrites those captions. A failure there keeps the captions written so far and says so in one line.
 */
export async function finishDeferredCaptions(
  ctx: RunContext,
  files: ManifestFile[],
  options: PrepOptions,
): Promise<StageReason | undefined> {
  const start = performance.now();
  let late: Map<string, CaptionParts>;
  try {
    late = (await ctx.captioner.finish?.()) ?? new Map();
  } catch (error) {
    const why = shortCaptionError(error);
    const said = reasonInWords(why, options.stageWords ?? CLI_STAGE_WORDS);
    options.onMessage?.(
      `captioner ${ctx.captioner.name}: ${said} (captions keep what the other stages gave)`,
    );
    return why;
  }
  const totalCrops = files.reduce((n, f) => n + f.crops.length, 0);
  const batchMs = performance.now() - start;
  for (const file of files) {
    // the batch's time, shared out by crops, so per-file timings still add up to the run
    if (file.crops.length)
      file.timingsMs.caption = Math.round(
        (file.timingsMs.caption ?? 0) + (batchMs * file.crops.length) / totalCrops,
      );
    for (const crop of file.crops) {
      const path = join(ctx.outDir, crop.image);
      const parts = mergeCaptionParts(late.get(path) ?? {}, ctx.captionParts.get(path) ?? {});
      crop.caption = assembleCaption(ctx.config.trigger, ctx.config.classWord, parts);
      await writeFile(join(ctx.outDir, crop.captionFile), `${crop.caption}\n`, 'utf8');
    }
  }
}
