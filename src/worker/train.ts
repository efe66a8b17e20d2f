// src/worker/train.ts — `runTraining`: trains a LoRA with the Python worker, then writes the WebUI /
// kohya file from the PEFT adapter with the LoRA-formats converter (src/lora/convert.ts), so alpha and
// the training facts (ss_* / modelspec.* metadata, tag frequencies) travel with the file.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { ToonloraError } from '../errors.js';
import { convertLora } from '../lora/convert.js';
import { checkOutputFolder } from '../output-folder.js';
import { sd15ConfigDir, workerBaseModel } from '../models/base-model.js';
import { effectiveLoraAlpha, type TrainingConfig } from '../schemas/config.js';
import { type ProgressEvent, PROTOCOL_VERSION, type TrainRequest, type WorkerEvent } from './protocol.js';
import { runWorker, type WorkerSpawn } from './python-worker.js';

export interface TrainOptions {
  /** kohya layout: `<repeats>_<trigger> <class>/name.png + name.txt`. */
  readonly datasetDir: string;
  /** Run folder: PEFT adapter, checkpoints/, samples/ and the kohya file land here. */
  readonly runDir: string;
  /** The resolved training config (parse it with trainingConfigSchema / loadConfig). */
  readonly config: TrainingConfig;
  /** Continue from the newest checkpoint in runDir/checkpoints. */
  readonly resume?: boolean;
  /** Write `<runDir>/<name>.safetensors` in kohya format after training (default true). */
  readonly kohya?: boolean;
  readonly onEvent?: (event: WorkerEvent) => void;
  readonly signal?: AbortSignal;
  /** Replaces the real Python worker (tests). */
  readonly spawn?: WorkerSpawn;
}

export interface TrainResult {
  readonly status: 'done' | 'cancelled';
  readonly runDir: string;
  /** PEFT adapter weights (adapter_model.safetensors), when done. */
  readonly adapter?: string;
  /** The text encoder's PEFT adapter (text_encoder/adapter_model.safetensors), when trainTextEncoder. */
  readonly textEncoderAdapter?: string;
  /** WebUI / ComfyUI / diffusers-loadable kohya file, when done and kohya is on. */
  readonly kohyaFile?: string;
  /** Newest checkpoint folder (resume from it with --resume). */
  readonly checkpoint: string | null;
  readonly steps: number;
  readonly lastLoss: number | null;
  readonly samples: readonly string[];
  readonly stats: Readonly<Record<string, number | null>>;
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.bmp']);
const KOHYA_FOLDER = /^(\d+)_(.+)$/;

/** Captions per kohya folder and the trigger (first word of the folder's tokens); pure reading, no checks. */
export function readDatasetCaptions(datasetDir: string): {
  trigger: string | undefined;
  images: number;
  captionsByFolder: Record<string, string[]>;
} {
  const captionsByFolder: Record<string, string[]> = {};
  let trigger: string | undefined;
  let images = 0;
  for (const folder of readdirSync(datasetDir).sort()) {
    const match = KOHYA_FOLDER.exec(folder);
    if (!match || !statSync(join(datasetDir, folder)).isDirectory()) continue;
    const tokens = (match[2] ?? '').trim();
    trigger ??= tokens.split(/\s+/)[0];
    const captions: string[] = [];
    for (const file of readdirSync(join(datasetDir, folder)).sort()) {
      if (!IMAGE_EXTENSIONS.has(extname(file).toLowerCase())) continue;
      images += 1;
      const captionFile = join(datasetDir, folder, `${basename(file, extname(file))}.txt`);
      captions.push(existsSync(captionFile) ? readFileSync(captionFile, 'utf8').trim() : tokens);
    }
    captionsByFolder[folder] = captions;
  }
  return { trigger, images, captionsByFolder };
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
    config: workerTrainingConfig(options.config),
    sd15_config_dir: sd15ConfigDir(),
  };
}

/**
 * The training config as the worker takes it: the base model where the worker loads it from
 * (models/base-model.ts), alpha resolved, and either steps or epochs.
 */
export function workerTrainingConfig(config: TrainingConfig): TrainRequest['config'] {
  const epochs = config.epochs ?? null;
  return {
    ...config,
    baseModel: workerBaseModel(config.baseModel),
    lora: { ...config.lora, alpha: effectiveLoraAlpha(config.lora) },
    steps: epochs === null ? config.steps : null,
    epochs,
  };
}

/** Where a run's WebUI / kohya file goes: `<run-dir>/<run-dir name>.safetensors`. */
export function kohyaFilePath(runDir: string): string {
  return join(runDir, `${basename(resolve(runDir))}.safetensors`);
}

/** Everything about the paths that can be checked before the worker loads a model. */
function checkPaths(options: TrainOptions): void {
  if (!existsSync(options.datasetDir) || !statSync(options.datasetDir).isDirectory()) {
    throw new ToonloraError(
      'TL_ERR_INPUT_NOT_FOUND',
      `${options.datasetDir}: dataset folder not found. Give the folder \`toonlora prep\` wrote.`,
    );
  }
  checkOutputFolder(options.runDir, 'Choose a folder you can write to for -o (the run folder).');
  if (options.resume) return;
  if (existsSync(join(options.runDir, 'adapter_model.safetensors'))) {
    throw new ToonloraError(
      'TL_ERR_OUTPUT_EXISTS',
      `${options.runDir}: already holds a trained LoRA. Add --resume to continue it, or choose another -o.`,
    );
  }
  const kohyaFile = kohyaFilePath(options.runDir);
  if (options.kohya !== false && existsSync(kohyaFile)) {
    throw new ToonloraError(
      'TL_ERR_OUTPUT_EXISTS',
      `${kohyaFile}: already exists, and this run would write its LoRA file there. Move that file away, or choose another -o.`,
    );
  }
}

/**
 * Trains a LoRA and writes the kohya file.
 * @throws TL_ERR_INPUT_NOT_FOUND (dataset), TL_ERR_USAGE (-o is a file or not writable), TL_ERR_OUTPUT_EXISTS (a trained
 *   LoRA or the kohya file already in the run folder without resume),
 *   the worker's errors (TL_ERR_CONFIG, TL_ERR_MODEL_MISSING, TL_ERR_TRAINING_DIVERGED, TL_ERR_GPU_OUT_OF_MEMORY, TL_ERR_WORKER, ...).
 */
export async function runTraining(options: TrainOptions): Promise<TrainResult> {
  checkPaths(options);
  const startedAt = Date.now() / 1000;
  let last: ProgressEvent | undefined;
  let checkpoint: string | null = null;
  const samples: string[] = [];
  const outcome = await runWorker({
    command: 'train',
    request: buildTrainRequest(options),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.spawn ? { spawn: options.spawn } : {}),
    onEvent: (event) => {
      if (event.type === 'progress') last = event;
      if (event.type === 'checkpoint') checkpoint = event.path;
      if (event.type === 'sample') samples.push(...event.paths);
      options.onEvent?.(event);
    },
  });
  const base = { runDir: options.runDir, samples, steps: last?.step ?? 0, lastLoss: last?.loss ?? null };
  if (outcome.status === 'cancelled') {
    return { ...base, status: 'cancelled', checkpoint: outcome.checkpoint, stats: {} };
  }
  const adapter = String(outcome.done.artifacts.adapter);
  const te = outcome.done.artifacts.text_encoder_adapter;
  const result = {
    ...base,
    status: 'done' as const,
    adapter,
    ...(typeof te === 'string' ? { textEncoderAdapter: te } : {}),
    checkpoint,
    stats: outcome.done.stats,
  };
  if (options.kohya === false) return result;
  const steps = Number(outcome.done.stats.steps ?? options.config.steps); // resolved from epochs when given
  return { ...result, kohyaFile: await writeKohyaFile(options, startedAt, steps) };
}

async function writeKohyaFile(options: TrainOptions, startedAt: number, steps: number): Promise<string> {
  const { config } = options;
  const name = basename(resolve(options.runDir));
  const output = kohyaFilePath(options.runDir);
  const dataset = readDatasetCaptions(options.datasetDir);
  await convertLora({
    input: options.runDir,
    output,
    to: 'kohya',
    overwrite: options.resume ?? false,
    trainingFacts: {
      baseModel: config.baseModel,
      resolution: config.resolution,
      steps,
      learningRate: config.learningRate,
      textEncoderLearningRate: config.textEncoderLearningRate,
      snrGamma: config.snrGamma,
      noiseOffset: config.noiseOffset,
      gradientCheckpointing: config.gradientCheckpointing,
      mixedPrecision: config.mixedPrecision,
      clipSkip: config.clipSkip,
      outputName: name,
      numTrainImages: dataset.images,
      captionsByFolder: dataset.captionsByFolder,
      trainingStartedAt: startedAt,
      trainingFinishedAt: Date.now() / 1000,
      ...(dataset.trigger ? { trigger: dataset.trigger } : {}),
    },
  });
  return output;
}
