// src/worker/kohya-file.ts — the WebUI / kohya `.safetensors` a finished training run writes beside its PEFT adapter:
// where it goes, the kohya metadata (ss_* / modelspec.*) from the config and the worker's `done` facts (what it
// trained, read once by the trainer's dataset scan; the precision that really ran; the commit of a Hub base named
// at a tag), and the error of a failed write.
import { basename, resolve } from 'node:path';
import { diskFullCause, diskFullFailure } from '../disk-full.js';
import { FIX_SLOT } from '../error-fix.js';
import { ToonloraError } from '../errors.js';
import { convertLora } from '../lora/convert.js';
import { runKohyaFilePath } from '../lora/convert-facts.js';
import type { LoraTrainingFactsInput } from '../lora/kohya-metadata.js';
import { parseHubBase } from '../models/base-revision.js';
import type { TrainingConfig } from '../schemas/config.js';
import type { TrainingFacts } from './training-facts.js';

/** Where a run's WebUI / kohya file goes: `<run-dir>/<run-dir name>.safetensors` (where convert looks for it too). */
export const kohyaFilePath = runKohyaFilePath;

/** What a finished run knows when it writes its kohya file. */
export interface KohyaRun {
  readonly runDir: string;
  readonly output: string;
  readonly config: TrainingConfig;
  /** A --resume run writes over the file a run cut short may have left. */
  readonly overwrite: boolean;
  /** Seconds since the epoch. */
  readonly startedAt: number;
  readonly steps: number;
  readonly epochs: number;
  /** The worker's `done` facts. */
  readonly facts: TrainingFacts;
  /** The base as the worker was handed it (`owner/name@<commit>` for a Hub base named at a revision). */
  readonly loadedBaseModel?: string;
}

/**
 * The base the kohya file names (ss_sd_model_name): for a Hub base named at a branch or tag (`owner/name@v1.0`), the
 * commit the worker loaded (`owner/name@<commit>`), so the LoRA says which weights it was trained on even after the
 * tag moves; else the name as configured (never a server's cache folder). Pure.
 */
export function recordedBaseModel(configured: string, loaded: string | undefined): string {
  const base = parseHubBase(configured);
  const pinned = loaded === undefined ? undefined : parseHubBase(loaded);
  const isCommit = pinned?.revision !== undefined && /^[0-9a-f]{40}$/.test(pinned.revision);
  return base?.revision !== undefined && isCommit && pinned?.repo === base.repo
    ? (loaded as string)
    : configured;
}

/**
 * The kohya metadata of a run: the config's settings, and from the worker's facts the dataset (ss_num_train_images,
 * ss_dataset_dirs, the captions ss_tag_frequency counts, every folder's trigger) and ss_mixed_precision as it ran
 * (`no` on a CPU run whatever mixedPrecision asked). Pure.
 */
export function kohyaTrainingFacts(run: KohyaRun, finishedAt: number): LoraTrainingFactsInput {
  const { config, facts } = run;
  return {
    baseModel: recordedBaseModel(config.baseModel, run.loadedBaseModel),
    resolution: config.resolution,
    steps: run.steps,
    learningRate: config.learningRate,
    textEncoderLearningRate: config.textEncoderLearningRate,
    snrGamma: config.snrGamma,
    noiseOffset: config.noiseOffset,
    gradientCheckpointing: config.gradientCheckpointing,
    mixedPrecision: facts.mixed_precision,
    clipSkip: config.clipSkip,
    outputName: basename(resolve(run.runDir)),
    epochs: run.epochs,
    numTrainImages: facts.images_with_repeats,
    captionsByFolder: Object.fromEntries(facts.folders.map((f) => [f.folder, [...f.captions]])),
    datasetDirs: Object.fromEntries(
      facts.folders.map((f) => [f.folder, { n_repeats: f.repeats, img_count: f.captions.length }]),
    ),
    trainingStartedAt: run.startedAt,
    trainingFinishedAt: finishedAt,
    ...(facts.triggers.length > 0 ? { trigger: facts.triggers.join(', ') } : {}),
  };
}

/** Writes the run's kohya file from its PEFT adapter with the LoRA-formats converter (src/lora/convert.ts). */
export async function writeKohyaFile(run: KohyaRun): Promise<void> {
  await convertLora({
    input: run.runDir,
    output: run.output,
    to: 'kohya',
    overwrite: run.overwrite,
    trainingFacts: kohyaTrainingFacts(run, Date.now() / 1000),
  });
}

/**
 * TL_ERR_OUTPUT_WRITE for a failed write of the kohya file (`error` from the file system): names the file, the cause
 * (a full disk said as such, also when the converter's own TL_ERR_OUTPUT_WRITE wraps it) and that `--resume` writes
 * it again from the final checkpoint the worker saved. Anything else (another error of the converter, a bug) is
 * returned as it is.
 */
export function kohyaWriteError(error: unknown, file: string): unknown {
  const full = diskFullFailure(error);
  const code = full?.code ?? (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string' || !code.startsWith('E')) return error;
  const cause = full ? diskFullCause(full.code, full.path) : `${code}: ${(error as Error).message}`;
  return new ToonloraError(
    'TL_ERR_OUTPUT_WRITE',
    `${file}: could not write the WebUI / kohya LoRA file: ${cause}. The training itself finished and its adapter and ` +
      `final checkpoint are saved: ${full ? 'free some space on that disk' : 'fix that'}, then ` +
      `${FIX_SLOT} write the file.`,
    { cause: error, details: { file, errno: code }, fix: { kind: 'resume' } },
  );
}
