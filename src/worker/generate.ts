// src/worker/generate.ts — image generation through the Python worker: what one generate request is (its options,
// the LoRA file diffusers loads, the request line, the result) and `runGeneration` (one request, one process).
// The warm worker the server uses, which loads the base once and swaps LoRAs, is generation-worker.ts (SPEC §5).
import { join, resolve } from 'node:path';
import { ToonloraError } from '../errors.js';
import { type DiffusersLoraChoice, loraFileForDiffusers } from '../lora/diffusers-copy.js';
import { type BaseModelOptions, sd15ConfigDir, workerBaseModel } from '../models/base-model.js';
import { errorInGivenBaseWords } from '../models/base-revision.js';
import { type CacheOptions, toonloraHome } from '../models/cache.js';
import { checkOutputFolder } from '../output-folder.js';
import type { GenerationConfig } from '../schemas/config.js';
import {
  type CancelledEvent,
  type DoneEvent,
  type GenerateRequest,
  generateDoneSchema,
  loraNameSchema,
  PROTOCOL_VERSION,
  type WorkerEvent,
} from './protocol.js';
import { parseDone, runWorker, type WorkerOutcome, type WorkerSpawn } from './python-worker.js';
import { checkedSilence, silentWorkerError } from './generate-silence.js';
import { checkLoraPath, GENERATE_OUTPUT_FIX } from './lora-input-check.js';
import type { WorkerSilenceLimits } from './silence-watchdog.js';

export interface GenerateOptions {
  /** kohya / diffusers LoRA file; left out, the bare base model. */
  readonly lora?: string;
  /**
   * The LoRA's name for the images' WebUI text (`<lora:name:weight>`, `Lora hashes`); left out, the file's stem
   * (a server passes its artifact name: its stored file is `<uuid>.safetensors`).
   */
  readonly loraName?: string;
  readonly outputDir: string;
  /** The resolved generation config (prompt, seeds, weight, scheduler, ...). */
  readonly config: GenerationConfig;
  readonly onEvent?: (event: WorkerEvent) => void;
  readonly signal?: AbortSignal;
  readonly spawn?: WorkerSpawn;
  /**
   * One-shot runs: how long the worker may send nothing (the load allowance until its first sampling step, the
   * request one between later events) before it is killed and the run fails (TL_ERR_WORKER, `details.silentS`);
   * left out, it is waited for however long it takes.
   */
  readonly silence?: WorkerSilenceLimits;
}

export interface GenerationResult {
  /** One PNG per seed, in seed order. */
  readonly images: readonly string[];
  /** All seeds side by side, when there are several. */
  readonly grid: string | null;
  /**
   * Seconds: base load (one-shot runs), LoRA load/swap, and sampling + decoding; `lora_copy_s` when the
   * LoRA was loaded from a converted copy: making (or finding) the copy, before the LoRA load.
   */
  readonly timings: Readonly<Record<string, number | null>>;
  /** What the user should know about the run (e.g. the LoRA was loaded from a diffusers-format copy). */
  readonly notes: readonly string[];
  /** A warm worker's request cancelled through its `signal`: no images were written. */
  readonly stopped: boolean;
}

/**
 * Where diffusers-format copies of mixed-alpha kohya LoRAs are kept (see src/lora/diffusers-copy.ts): under
 * TOONLORA_HOME of `cache` (a server's `modelCache`), default this process's.
 */
export function diffusersCopyFolder(cache: CacheOptions = {}): string {
  return join(toonloraHome(cache.env, cache.homeDir), 'lora-diffusers');
}

/** The file diffusers loads and the seconds it took to choose it (to convert it, when it needed a copy). */
export type ChosenLora = DiffusersLoraChoice & { readonly seconds: number };

/** Checks `lora` and picks the file diffusers loads: the file itself or its diffusers-format copy. */
export async function chooseLoraFile(
  lora: string | undefined,
  loraName?: string,
  cache: CacheOptions = {},
): Promise<ChosenLora | undefined> {
  if (lora !== undefined) checkLoraPath(lora);
  checkLoraName(loraName);
  if (lora === undefined) return undefined;
  const started = performance.now();
  const choice = await loraFileForDiffusers(resolve(lora), diffusersCopyFolder(cache));
  return { ...choice, seconds: (performance.now() - started) / 1000 };
}

/** @throws TL_ERR_USAGE for a name the worker's request refuses (empty, a line break). */
function checkLoraName(loraName: string | undefined): void {
  if (loraName === undefined) return;
  const checked = loraNameSchema.safeParse(loraName);
  if (!checked.success) {
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `LoRA name ${JSON.stringify(loraName)}: expected ${checked.error.issues[0]?.message ?? 'a non-empty name'}.`,
    );
  }
}

export function requestFor(
  options: Pick<GenerateOptions, 'lora' | 'loraName' | 'outputDir' | 'config'>,
  id: string | null,
  baseOptions: BaseModelOptions = {},
): GenerateRequest {
  return {
    version: PROTOCOL_VERSION,
    command: 'generate',
    id,
    lora: options.lora ? resolve(options.lora) : null,
    ...(options.lora && options.loraName !== undefined ? { lora_name: options.loraName } : {}),
    output_dir: resolve(options.outputDir),
    config: { ...options.config, baseModel: workerBaseModel(options.config.baseModel, baseOptions) },
    sd15_config_dir: sd15ConfigDir(baseOptions),
  };
}

/** @throws TL_ERR_WORKER_PROTOCOL when `done` (from `label`) lacks the images, the grid or a timing. */
export function resultFrom(
  done: WorkerOutcome | DoneEvent,
  lora: ChosenLora | undefined,
  label: 'generate' | 'serve-generation',
): GenerationResult {
  const { artifacts, stats } = parseDone(generateDoneSchema, done, label);
  return {
    images: artifacts.images,
    grid: artifacts.grid,
    // a copy's conversion (or finding it made) happens here, before the worker's LoRA load (swap_s)
    timings: lora?.note ? { ...stats, lora_copy_s: lora.seconds } : stats,
    notes: lora?.note ? [lora.note] : [],
    stopped: false,
  };
}

export function stoppedResult(cancelled: CancelledEvent): GenerationResult {
  return { images: [], grid: null, timings: { stopped_at_step: cancelled.step }, notes: [], stopped: true };
}

/**
 * Generates one image per seed (and a grid) in a fresh worker.
 * @throws TL_ERR_USAGE (-o is a file or not writable), TL_ERR_INPUT_NOT_FOUND / TL_ERR_SAFETENSORS (LoRA file), TL_ERR_MODEL_MISSING (base), TL_ERR_WORKER,
 *   TL_ERR_WORKER_PROTOCOL (a `done` without the images), ...
 */
export async function runGeneration(options: GenerateOptions): Promise<GenerationResult> {
  checkOutputFolder(options.outputDir, GENERATE_OUTPUT_FIX);
  const lora = await chooseLoraFile(options.lora, options.loraName);
  const outcome = await runWorker({
    request: requestFor({ ...options, ...(lora ? { lora: lora.path } : {}) }, null),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.spawn ? { spawn: options.spawn } : {}),
    ...(options.silence
      ? {
          silence: {
            limits: checkedSilence(options.silence, 'generate'),
            error: (silentS: number, cold: boolean) => silentWorkerError('generate', silentS, cold, cold),
          },
        }
      : {}),
  }).catch((error: unknown) => {
    throw errorInGivenBaseWords(error, options.config.baseModel); // `--revision v1.0`, not the commit it names
  });
  return resultFrom(outcome, lora, 'generate');
}
