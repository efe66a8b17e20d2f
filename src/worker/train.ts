// src/worker/train.ts — `runTraining`: trains a LoRA with the Python worker, then writes the WebUI /
// kohya file from the PEFT adapter (kohya-file.ts), with the facts the worker's `done` reports of what it trained;
// `planTraining`: the dry run's view of the dataset, from the worker's own scan. This side never reads the dataset.
import { resolve } from 'node:path';
import { FIX_SLOT, type TextWithFix } from '../error-fix.js';
import { ToonloraError } from '../errors.js';
import {
  type BaseModelOptions,
  localBasePath,
  sd15ConfigDir,
  workerBaseModel,
} from '../models/base-model.js';
import { errorInGivenBaseWords } from '../models/base-revision.js';
import type { CacheOptions } from '../models/cache.js';
import { checkOutputFolder } from '../output-folder.js';
import { effectiveLoraAlpha, type TrainingConfig } from '../schemas/config.js';
import { finishedRun } from './finished-run.js';
import { kohyaFilePath, kohyaWriteError, writeKohyaFile } from './kohya-file.js';
import {
  PROTOCOL_VERSION,
  type ProgressEvent,
  scanDatasetDoneSchema,
  type TrainRequest,
  trainDoneSchema,
  type WorkerEvent,
} from './protocol.js';
import { parseDone, runWorker, STOP_GRACE_MS, type WorkerSpawn } from './python-worker.js';
import { newestCheckpoint, setAsideEarlierSamples } from './run-folder.js';
import { acquireRunLock } from './run-lock.js';
import { checkRunFolder, checkTrainingPaths } from './train-paths.js';

export { checkDataset, checkTrainingPaths, type TrainingPaths } from './train-paths.js';

export interface TrainOptions {
  /** kohya layout: `<repeats>_<trigger> <class>/name.png + name.txt`. */
  readonly datasetDir: string;
  /** Run folder: PEFT adapter, checkpoints/, samples/ and the kohya file land here. */
  readonly runDir: string;
  /** The resolved training config (parse it with trainingConfigSchema / loadConfig). */
  readonly config: TrainingConfig;
  /** Continue from the newest checkpoint in runDir/checkpoints. */
  readonly resume?: boolean;
  /** config.baseModel came over the API (a server job): never a local path (base-model.ts `fromApi`). */
  readonly apiBaseModel?: boolean;
  /**
   * Where the base model is looked for (TOONLORA_HOME, the Hugging Face cache): a server's own `modelCache`;
   * default this process's environment.
   */
  readonly modelCache?: CacheOptions;
  /** Write `<runDir>/<name>.safetensors` in kohya format after training (default true). */
  readonly kohya?: boolean;
  readonly onEvent?: (event: WorkerEvent) => void;
  /** Aborting asks the worker to checkpoint and stop (SIGTERM). */
  readonly signal?: AbortSignal;
  /** Aborting kills the worker at once (SIGKILL): the steps since its last checkpoint are lost. */
  readonly kill?: AbortSignal;
  /** Replaces the real Python worker (tests). */
  readonly spawn?: WorkerSpawn;
  /** How long the worker gets after `signal` aborts to finish its step and save (default STOP_GRACE_MS; tests). */
  readonly stopGraceMs?: number;
}

/** What every train result carries, done or stopped. */
interface TrainResultBase {
  readonly runDir: string;
  /** The last step the worker reported finishing (0 before the first). */
  readonly steps: number;
  readonly lastLoss: number | null;
  readonly samples: readonly string[];
}

export interface TrainResult extends TrainResultBase {
  readonly status: 'done' | 'cancelled';
  /** PEFT adapter weights (adapter_model.safetensors), when done. */
  readonly adapter?: string;
  /** The text encoder's PEFT adapter (text_encoder/adapter_model.safetensors), when trainTextEncoder. */
  readonly textEncoderAdapter?: string;
  /** WebUI / ComfyUI / diffusers-loadable kohya file, when done and kohya is on. */
  readonly kohyaFile?: string;
  /** Newest checkpoint folder (resume from it with --resume); when cancelled, the one on disk (null: none). */
  readonly checkpoint: string | null;
  /** When cancelled: the step of `checkpoint` (null without one). */
  readonly checkpointStep?: number | null;
  /**
   * When cancelled: the worker was killed before it could checkpoint (a second Ctrl-C, or it did not stop in time),
   * so the steps after `checkpointStep` are lost.
   */
  readonly forced?: boolean;
  /** A --resume of a run that had finished, its files complete: nothing was trained or written (finished-run.ts). */
  readonly alreadyFinished?: boolean;
  /** When forced: the worker was killed because it did not stop within this grace (ms) after one Ctrl-C. */
  readonly killedAfterGraceMs?: number;
  readonly stats: Readonly<Record<string, number | null>>;
}

/** A dry run's view of the training length and dataset: what the worker's `scan-dataset` reads, as the run reads it. */
export interface TrainingPlan {
  readonly steps: number;
  /** Epochs as given, else the epochs the steps reach (kohya's count: a started epoch counts). */
  readonly epochs: number;
  /** The images the run trains: those that decode. */
  readonly images: number;
  readonly imagesWithRepeats: number;
  /**
   * Every dataset warning the run prints, in its words and order (data.py scan_kohya_dataset: misnamed folders,
   * repeats 0, images in subfolders, unreadable captions, both .txt and .caption, images left out because they
   * do not decode; without aspect-ratio buckets the images that get centre-cropped).
   */
  readonly warnings: readonly string[];
}

/**
 * The run's dataset and length as the worker resolves them (its `scan-dataset` command: data.py scan_kohya_dataset,
 * assign_buckets and train resolve_steps, the code the run itself runs): `steps`, or with `epochs`
 * ceil(epochs x micro-batches per epoch / gradient accumulation); the images it trains and every warning it prints.
 * @throws TL_ERR_INPUT_NOT_FOUND when the dataset folder is missing or holds no image in a `<repeats>_<trigger> <class>`
 *   folder, TL_ERR_INPUT_INVALID when it is a file or none of its images decodes: as the real run does, in the
 *   worker's words; TL_ERR_WORKER_PROTOCOL when the worker's `done` lacks a count or the image list.
 */
export async function planTraining(
  datasetDir: string,
  config: TrainingConfig,
  spawn?: WorkerSpawn,
): Promise<TrainingPlan> {
  checkTrainingPaths({ datasetDir });
  const outcome = await runWorker({
    request: {
      version: PROTOCOL_VERSION,
      command: 'scan-dataset',
      dataset_dir: resolve(datasetDir),
      config: workerTrainingConfig(config),
    },
    ...(spawn ? { spawn } : {}),
  }).catch((error: unknown) => {
    throw errorInGivenBaseWords(error, config.baseModel);
  });
  const { stats, artifacts } = parseDone(scanDatasetDoneSchema, outcome, 'scan-dataset');
  return {
    steps: stats.steps,
    epochs: stats.epochs,
    images: stats.images,
    imagesWithRepeats: stats.images_with_repeats,
    warnings: artifacts.warnings,
  };
}

/**
 * The worker request for these options: the config with alpha resolved (Python invents no defaults) and
 * either steps or epochs (epochs, when set, decides the length; the worker counts the images).
 */
export function buildTrainRequest(options: TrainOptions): TrainRequest {
  return {
    version: PROTOCOL_VERSION,
    command: 'train',
    dataset_dir: resolve(options.datasetDir),
    run_dir: resolve(options.runDir),
    resume: options.resume ?? false,
    config: workerTrainingConfig(options.config, {
      ...options.modelCache,
      fromApi: options.apiBaseModel ?? false,
    }),
    sd15_config_dir: sd15ConfigDir(options.modelCache),
  };
}

/**
 * The training config as the worker takes it: the base model where the worker loads it from
 * (models/base-model.ts), alpha resolved, and either steps or epochs.
 */
export function workerTrainingConfig(
  config: TrainingConfig,
  baseOptions: BaseModelOptions = {},
): TrainRequest['config'] {
  const epochs = config.epochs ?? null;
  return {
    ...config,
    baseModel: workerBaseModel(config.baseModel, baseOptions),
    lora: { ...config.lora, alpha: effectiveLoraAlpha(config.lora) },
    steps: epochs === null ? config.steps : null,
    epochs,
  };
}

/**
 * The result of a run stopped before it could checkpoint (a second Ctrl-C killed the worker, or it did not stop
 * within its grace time): the checkpoint really on disk, and whether the steps since it are lost.
 */
function stoppedWithoutCheckpoint(runDir: string, base: TrainResultBase, graceMs?: number): TrainResult {
  const onDisk = newestCheckpoint(runDir);
  return {
    ...base,
    status: 'cancelled',
    checkpoint: onDisk?.path ?? null,
    checkpointStep: onDisk?.step ?? null,
    forced: true,
    ...(graceMs === undefined ? {} : { killedAfterGraceMs: graceMs }),
    stats: {},
  };
}

/** A `log` line of the CLI's own, shown as the worker's are (progress-bar.ts prints them above the bar). */
function notice(level: 'info' | 'warn', message: string): WorkerEvent {
  return { version: PROTOCOL_VERSION, type: 'log', level, message };
}

/**
 * For a train worker that died on its own (the OOM killer, a crash): the newest complete checkpoint on disk, how
 * to continue from it, and the steps lost since it (`step`: the last step the worker reported finishing).
 */
export function diedTrainingContext(runDir: string, step: number, total?: number): TextWithFix {
  const onDisk = newestCheckpoint(runDir);
  const kept = onDisk?.step ?? 0;
  const since = onDisk ? `since the checkpoint at step ${kept}` : 'of this run';
  const lost =
    step > kept + 1
      ? `steps ${kept + 1}-${step} ${since} are lost`
      : step === kept + 1
        ? `step ${step} ${since} is lost`
        : 'no finished step is lost';
  const of = total === undefined ? '' : ` of ${total}`;
  const finished = step > 0 ? `It had finished step ${step}${of}. ` : '';
  const where = onDisk
    ? `The checkpoint at step ${kept} is on disk (${onDisk.path}): ${FIX_SLOT} continue from it`
    : 'No checkpoint is on disk: nothing to resume; start the run again';
  return { text: `${finished}${where}; ${lost}.`, fix: onDisk ? { kind: 'resume' } : undefined };
}

function isStoppedWorker(error: unknown): boolean {
  return error instanceof ToonloraError && error.details.stopped === true;
}

/**
 * Trains a LoRA and writes the kohya file.
 * @throws TL_ERR_INPUT_NOT_FOUND (dataset), TL_ERR_USAGE (-o is a file or not writable), TL_ERR_CONFLICT (another train
 *   run, of this process or another, is writing the run folder: run-lock.ts), TL_ERR_OUTPUT_EXISTS (a trained
 *   LoRA, the kohya file, or an earlier run's checkpoints in the run folder without resume),
 *   TL_ERR_OUTPUT_WRITE (the kohya file or, from the worker, a checkpoint / sample / adapter could not be written),
 *   the worker's errors (TL_ERR_CONFIG, TL_ERR_MODEL_MISSING, TL_ERR_TRAINING_DIVERGED, TL_ERR_GPU_OUT_OF_MEMORY, TL_ERR_WORKER, ...),
 *   TL_ERR_WORKER_PROTOCOL when its `done` lacks the adapter, the trained images, the steps or the epochs.
 */
export async function runTraining(options: TrainOptions): Promise<TrainResult> {
  checkTrainingPaths({ datasetDir: options.datasetDir });
  checkOutputFolder(options.runDir, { kind: 'writable-output', folder: 'run' });
  // one run at a time per folder (a CLI run, a server job): a second would write over this one's files
  const lock = await acquireRunLock(options.runDir, (message) => options.onEvent?.(notice('warn', message)));
  try {
    return await trainHoldingLock(options);
  } catch (error) {
    throw errorInGivenBaseWords(error, options.config.baseModel); // `--revision v1.0`, not the commit it names
  } finally {
    await lock.release();
  }
}

async function trainHoldingLock(options: TrainOptions): Promise<TrainResult> {
  checkRunFolder(options);
  if (options.resume) {
    const finished = await finishedRun(options.runDir, options.config, options.kohya !== false);
    if (finished) {
      const { step, textEncoderAdapter, kohyaFile, ...files } = finished;
      return {
        ...files,
        ...(textEncoderAdapter === undefined ? {} : { textEncoderAdapter }),
        ...(kohyaFile === undefined ? {} : { kohyaFile }),
        runDir: options.runDir,
        samples: [],
        steps: step,
        lastLoss: null,
        status: 'done',
        alreadyFinished: true,
        stats: {},
      };
    }
  }
  const setAside = options.resume ? null : setAsideEarlierSamples(options.runDir);
  if (setAside) options.onEvent?.(notice('warn', setAside));
  const startedAt = Date.now() / 1000;
  const request = buildTrainRequest(options);
  let last: ProgressEvent | undefined;
  let checkpoint: string | null = null;
  const samples: string[] = [];
  const baseResult = (): TrainResultBase => ({
    runDir: options.runDir,
    samples,
    steps: last?.step ?? 0,
    lastLoss: last?.loss ?? null,
  });
  const graceMs = options.stopGraceMs ?? STOP_GRACE_MS;
  const graceSeconds = graceMs / 1000;
  // the first Ctrl-C: how long the worker has to finish its step and save before it is killed
  const onStop = () =>
    options.onEvent?.(
      notice(
        'info',
        `the worker gets ${graceSeconds} s to finish its current step and save a checkpoint; after that it is killed ` +
          'and the steps since the last checkpoint are lost',
      ),
    );
  if (options.signal?.aborted) onStop();
  else options.signal?.addEventListener('abort', onStop, { once: true });
  let outcome: Awaited<ReturnType<typeof runWorker>>;
  try {
    outcome = await runWorker({
      request,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.kill ? { kill: options.kill } : {}),
      ...(options.spawn ? { spawn: options.spawn } : {}),
      stopGraceMs: graceMs,
      diedContext: () => diedTrainingContext(options.runDir, last?.step ?? 0, last?.total),
      onEvent: (event) => {
        if (event.type === 'progress') last = event;
        if (event.type === 'checkpoint') checkpoint = event.path;
        if (event.type === 'sample') samples.push(...event.paths);
        options.onEvent?.(event);
      },
    });
  } catch (error) {
    if (isStoppedWorker(error)) {
      const killedAfter = (error as ToonloraError).details.graceMs as number | undefined;
      if (killedAfter !== undefined) {
        options.onEvent?.(
          notice(
            'warn',
            `the worker was killed because it did not finish its step and save a checkpoint within the ` +
              `${killedAfter / 1000} s grace after Ctrl-C / SIGTERM (a slow step: a large resolution or batch on this machine)`,
          ),
        );
      }
      return stoppedWithoutCheckpoint(options.runDir, baseResult(), killedAfter);
    }
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onStop);
  }
  const base = baseResult();
  if (outcome.status === 'cancelled') {
    return {
      ...base,
      status: 'cancelled',
      checkpoint: outcome.checkpoint,
      checkpointStep: outcome.checkpoint === null ? null : outcome.step,
      stats: {},
    };
  }
  const { artifacts, stats, facts } = parseDone(trainDoneSchema, outcome, 'train');
  const te = artifacts.text_encoder_adapter;
  const result = {
    ...base,
    steps: stats.steps, // the worker's: a --resume that only wrote the files reports no progress
    status: 'done' as const,
    adapter: artifacts.adapter,
    ...(te === undefined ? {} : { textEncoderAdapter: te }),
    checkpoint,
    stats: outcome.done.stats,
  };
  if (options.kohya === false) return result;
  const output = kohyaFilePath(options.runDir);
  try {
    // what the worker's scan says the run trained (the images that decoded) and the precision it ran in
    await writeKohyaFile({
      runDir: options.runDir,
      output,
      config: options.config,
      overwrite: options.resume ?? false,
      startedAt,
      steps: stats.steps,
      epochs: stats.epochs,
      facts,
      loadedBaseModel: request.config.baseModel, // owner/name@<commit> for a base named at a tag
      // a local base: the LoRA names its file or folder only, and hashes a file as kohya does
      localBase: localBasePath(options.config.baseModel, { fromApi: options.apiBaseModel ?? false }),
      onNotice: (message) => options.onEvent?.(notice('info', message)),
    });
  } catch (error) {
    throw kohyaWriteError(error, output);
  }
  return { ...result, kohyaFile: output };
}
