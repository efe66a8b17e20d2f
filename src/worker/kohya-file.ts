// src/worker/kohya-file.ts — the WebUI / kohya `.safetensors` a finished training run writes beside its PEFT adapter:
// where it goes, the kohya metadata (ss_* / modelspec.*) from the config and the worker's `done` facts (what it
// trained, read once by the trainer's dataset scan; the precision that really ran; the commit of a Hub base named
// at a tag, what the UNet learnt to predict, the buckets), the base by its name with a local file's hashes, and the
// error of a failed write.
import { randomInt } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { diskFullCause, diskFullFailure } from '../disk-full.js';
import { FIX_SLOT } from '../error-fix.js';
import { ToonloraError } from '../errors.js';
import { convertLora } from '../lora/convert.js';
import { runKohyaFilePath } from '../lora/convert-facts.js';
import { type KohyaModelHashes, kohyaModelHashes } from '../lora/kohya-base-hash.js';
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
  /**
   * The base's local file or folder (absolute) when the base named one (base-model.ts localBasePath): the LoRA
   * records its name only, and for a file kohya's two hashes of it.
   */
  readonly localBase?: string;
  /** Told before the base file is read for its hash (seconds for a 2-4 GB file). */
  readonly onNotice?: (message: string) => void;
}

/** What a run's kohya file records that the edge makes: kohya's random session id, a local base file's hashes. */
export interface KohyaRunExtras {
  readonly sessionId?: number;
  readonly baseHashes?: KohyaModelHashes;
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
 * ss_dataset_dirs, the captions ss_tag_frequency counts, every folder's trigger, ss_bucket_info), ss_mixed_precision
 * as it ran (`no` on a CPU run whatever mixedPrecision asked), the prediction type and the trainer's optimizer, clip and
 * token limit; a local base by its file or folder name (never the path: a shared LoRA would carry the home folder).
 * A finished run's planned length is the one it ran (ss_max_train_steps, ss_num_epochs). Pure.
 */
export function kohyaTrainingFacts(
  run: KohyaRun,
  finishedAt: number,
  extras: KohyaRunExtras = {},
): LoraTrainingFactsInput {
  const { config, facts } = run;
  return {
    baseModel:
      run.localBase === undefined
        ? recordedBaseModel(config.baseModel, run.loadedBaseModel)
        : basename(resolve(run.localBase)),
    resolution: config.resolution,
    steps: run.steps,
    learningRate: config.learningRate,
    textEncoderLearningRate: config.textEncoderLearningRate,
    snrGamma: config.snrGamma,
    noiseOffset: config.noiseOffset,
    gradientCheckpointing: config.gradientCheckpointing,
    mixedPrecision: facts.mixed_precision,
    clipSkip: config.clipSkip,
    seed: config.seed,
    batchSize: config.batchSize,
    gradientAccumulation: config.gradientAccumulation,
    lrScheduler: config.lrScheduler,
    lrWarmupSteps: config.lrWarmupSteps,
    shuffleCaptions: config.shuffleCaptions,
    aspectRatioBuckets: config.aspectRatioBuckets,
    cacheLatents: config.cacheLatents,
    maxTrainSteps: run.steps,
    numEpochs: run.epochs,
    predictionType: facts.prediction_type,
    optimizer: facts.optimizer,
    maxGradNorm: facts.max_grad_norm,
    maxTokenLength: facts.max_token_length,
    ...(facts.bucket_info ? { bucketInfo: facts.bucket_info } : {}),
    ...(extras.sessionId === undefined ? {} : { sessionId: extras.sessionId }),
    ...(extras.baseHashes
      ? { baseModelHash: extras.baseHashes.legacy, baseModelSha256: extras.baseHashes.sha256 }
      : {}),
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

/**
 * kohya's hashes of the run's local base file (once per run, as its kohya file is written), told first through
 * `onNotice`; undefined for any other base, or when the file cannot be read now (the LoRA is written without them).
 */
async function localBaseHashes(run: KohyaRun): Promise<KohyaModelHashes | undefined> {
  if (run.localBase === undefined) return undefined;
  const info = await stat(run.localBase).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  const gb = (info.size / 1e9).toFixed(1);
  run.onNotice?.(
    `hashing the base ${basename(run.localBase)} (${gb} GB) for the LoRA's ss_new_sd_model_hash`,
  );
  return kohyaModelHashes(run.localBase).catch((error: unknown) => {
    run.onNotice?.(`the base's hash is left out of the LoRA: ${(error as Error).message}`);
    return undefined;
  });
}

/** Writes the run's kohya file from its PEFT adapter with the LoRA-formats converter (src/lora/convert.ts). */
export async function writeKohyaFile(run: KohyaRun): Promise<void> {
  const baseHashes = await localBaseHashes(run);
  // kohya's ss_session_id: random.randint(0, 2**32)
  const extras = { sessionId: randomInt(0, 2 ** 32), ...(baseHashes ? { baseHashes } : {}) };
  await convertLora({
    input: run.runDir,
    output: run.output,
    to: 'kohya',
    overwrite: run.overwrite,
    trainingFacts: kohyaTrainingFacts(run, Date.now() / 1000, extras),
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
