// src/worker/protocol.ts — every message between this process and the Python worker
// (trainer/toonlora_trainer/protocol.py is the other side; STYLE rule 5). Requests go to the worker's
// stdin as one JSON line; events come back on its stdout, one JSON object per line, each carrying
// `version` and `type`. Anything else on stdout is a protocol error, never ignored.
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { logLevelSchema } from '../schemas/api.js';
import { checkWarmupLeavesSteps, generationConfigSchema, trainingConfigSchema } from '../schemas/config.js';
import { trainingFactsSchema } from './training-facts.js';

export const PROTOCOL_VERSION = 1;

const version = z.literal(PROTOCOL_VERSION);
const finiteOrNull = z.number().nullable(); // Python writes non-finite floats as null

export const errorKindSchema = z.enum([
  'config',
  'input_missing',
  'input_invalid',
  'lora_format',
  'model_missing',
  'nan_loss',
  'out_of_memory',
  /** A file of the run could not be written (a full disk); the message names the folder and the checkpoint to resume from. */
  'output_write',
  'protocol',
  'internal',
]);

export const progressEventSchema = z.strictObject({
  version,
  type: z.literal('progress'),
  step: z.number().int().min(0),
  total: z.number().int().min(1),
  loss: finiteOrNull,
  lr: finiteOrNull,
  it_per_s: finiteOrNull,
  eta_s: finiteOrNull,
  /** serve-generation: the id of the request this sampling step belongs to. */
  id: z.string().optional(),
});
export const sampleEventSchema = z.strictObject({
  version,
  type: z.literal('sample'),
  step: z.number().int().min(0),
  paths: z.array(z.string()),
});
export const checkpointEventSchema = z.strictObject({
  version,
  type: z.literal('checkpoint'),
  step: z.number().int().min(0),
  path: z.string(),
});
export const logEventSchema = z.strictObject({
  version,
  type: z.literal('log'),
  level: logLevelSchema,
  message: z.string(),
  /** serve-generation: the id of the request the message is about (a warning for its job). */
  id: z.string().optional(),
});
export const captionEventSchema = z.strictObject({
  version,
  type: z.literal('caption'),
  path: z.string(),
  caption: z.string().nullable(),
  error: z.string().nullable().optional(),
});
export const readyEventSchema = z.strictObject({
  version,
  type: z.literal('ready'),
  load_s: z.number(),
  device: z.string(),
});
/** Training stopped by SIGTERM/SIGINT (with its checkpoint), or, under serve-generation, request `id` cancelled. */
export const cancelledEventSchema = z.strictObject({
  version,
  type: z.literal('cancelled'),
  step: z.number().int().min(0),
  checkpoint: z.string().nullable(),
  id: z.string().optional(),
});
/**
 * The command finished. `artifacts` maps names to paths or lists of paths; a training run's `trained_images` lists
 * the dataset images it trained on (the ones that decoded), and its `facts` what the kohya metadata records (train.ts).
 */
export const doneEventSchema = z.strictObject({
  version,
  type: z.literal('done'),
  artifacts: z.record(z.string(), z.union([z.string(), z.array(z.string()), z.null()])),
  stats: z.record(z.string(), finiteOrNull),
  facts: trainingFactsSchema.optional(),
  id: z.string().optional(),
});
// ------------------------------------------------------------------ each command's `done`
// The line check above knows only the shape every `done` shares; these pin each command's payload, so a renamed or
// missing key fails with TL_ERR_WORKER_PROTOCOL naming it (python-worker.ts parseDone) instead of reading as NaN, 0
// or "undefined". Strict: a key this side does not know is a version mismatch too. The golden file holds one `done`
// per command, written by the Python code that writes it in a run (trainer/scripts/make_protocol_golden.py).

const count = z.number().int().min(0);
const gib = z.number().min(0);
const paths = z.array(z.string());
const noArtifacts = z.strictObject({});

/** `lora-count`: the LoRA's modules and trainable parameters, and the base weights it sits on, for UNet and CLIP. */
export const loraCountDoneSchema = doneEventSchema.extend({
  artifacts: noArtifacts,
  stats: z.strictObject({
    modules: count,
    trainable_params: count,
    unet_params: count,
    text_encoder_modules: count,
    text_encoder_trainable_params: count,
    text_encoder_params: count,
  }),
});
/** `estimate-memory`: GiB of tensors at the peaks, before the first step, and the CUDA context to add on top. */
export const estimateMemoryDoneSchema = doneEventSchema.extend({
  artifacts: noArtifacts,
  stats: z.strictObject({
    peak_gib: gib,
    step_peak_gib: gib,
    /** 0 when the config renders no samples. */
    sample_peak_gib: gib,
    resident_gib: gib,
    /** The CUDA context and kernels, outside PyTorch's allocator (memory_estimate.py CUDA_CONTEXT_BYTES). */
    cuda_context_gib: gib,
  }),
});
/** `scan-dataset` (see scanDatasetRequestSchema). */
export const scanDatasetDoneSchema = doneEventSchema.extend({
  artifacts: z.strictObject({
    trained_images: paths,
    /** `WxH` per trained image; null without aspect-ratio buckets. */
    buckets: z.array(z.string()).nullable(),
    warnings: z.array(z.string()),
  }),
  stats: z.strictObject({
    images: count,
    images_with_repeats: count,
    /** Images with repeats / batch size (a fraction), or the batches aspect-ratio buckets fill up. */
    micro_batches_per_epoch: z.number().min(0),
    steps: count,
    epochs: count,
  }),
});
/**
 * `train`: the adapter files, the final checkpoint and the images the run trained on (those that decoded); the steps,
 * kohya's epoch count (a started epoch counts) and the LoRA's size; the facts the kohya metadata records.
 */
export const trainDoneSchema = doneEventSchema.extend({
  facts: trainingFactsSchema,
  artifacts: z.strictObject({
    adapter: z.string(),
    adapter_config: z.string(),
    checkpoint: z.string(),
    trained_images: paths,
    /** With trainTextEncoder. */
    text_encoder_adapter: z.string().optional(),
  }),
  stats: z.strictObject({
    steps: count,
    epochs: count,
    images: count,
    lora_modules: count,
    trainable_params: count,
    seconds: finiteOrNull,
    text_encoder_lora_modules: count.optional(),
    text_encoder_trainable_params: count.optional(),
  }),
});
/** `generate` and each serve-generation request: one PNG per seed and the grid; timings in seconds (null: unknown). */
export const generateDoneSchema = doneEventSchema.extend({
  artifacts: z.strictObject({ images: paths, grid: z.string().nullable() }),
  stats: z.strictObject({
    /** One-shot `generate` only: a warm worker loaded its base before the request. */
    load_s: finiteOrNull.optional(),
    swap_s: finiteOrNull,
    generate_s: finiteOrNull,
  }),
});
/** `blip-caption`: the captions came as `caption` events; `done` counts them. */
export const blipCaptionDoneSchema = doneEventSchema.extend({
  artifacts: noArtifacts,
  stats: z.strictObject({ captioned: count, failed: count }),
});

/** Each command's `done` schema (serve-generation answers each request with generate's). */
export const doneSchemaByCommand = {
  train: trainDoneSchema,
  generate: generateDoneSchema,
  'serve-generation': generateDoneSchema,
  'blip-caption': blipCaptionDoneSchema,
  'lora-count': loraCountDoneSchema,
  'estimate-memory': estimateMemoryDoneSchema,
  'scan-dataset': scanDatasetDoneSchema,
} as const satisfies Record<WorkerCommand, z.ZodType<DoneEvent>>;

export const errorEventSchema = z.strictObject({
  version,
  type: z.literal('error'),
  message: z.string(),
  kind: errorKindSchema,
  id: z.string().optional(),
});

export const workerEventSchema = z.discriminatedUnion('type', [
  progressEventSchema,
  sampleEventSchema,
  checkpointEventSchema,
  logEventSchema,
  captionEventSchema,
  readyEventSchema,
  cancelledEventSchema,
  doneEventSchema,
  errorEventSchema,
]);

export type WorkerEvent = z.infer<typeof workerEventSchema>;
export type ProgressEvent = z.infer<typeof progressEventSchema>;
export type DoneEvent = z.infer<typeof doneEventSchema>;
export type CancelledEvent = z.infer<typeof cancelledEventSchema>;
export type ErrorEvent = z.infer<typeof errorEventSchema>;
export type CaptionEvent = z.infer<typeof captionEventSchema>;

// ------------------------------------------------------------------ requests (this side -> worker)

/**
 * The resolved training config as the worker receives it: alpha always explicit (no defaults in Python),
 * and exactly one of steps / epochs (the other null; the worker turns epochs into steps from the dataset).
 */
export const resolvedTrainingConfigSchema = trainingConfigSchema
  .extend({
    lora: trainingConfigSchema.shape.lora.unwrap().safeExtend({ alpha: z.number().positive().max(4096) }),
    steps: trainingConfigSchema.shape.steps.unwrap().nullable(),
    epochs: trainingConfigSchema.shape.epochs.unwrap().nullable(),
  })
  .refine((c) => (c.steps === null) !== (c.epochs === null), {
    message: 'give exactly one of steps and epochs',
    path: ['steps'],
  })
  .superRefine(checkWarmupLeavesSteps);

/**
 * The default SD1.5 base's folder (models/base-model.ts sd15ConfigDir) or null: the component configs a
 * single-file `.safetensors` base is built with when the Hugging Face cache has no SD1.5 configs.
 */
const sd15ConfigDirSchema = z.string().min(1).nullable();

export const trainRequestSchema = z.strictObject({
  version,
  command: z.literal('train'),
  dataset_dir: z.string().min(1),
  run_dir: z.string().min(1),
  resume: z.boolean(),
  config: resolvedTrainingConfigSchema,
  sd15_config_dir: sd15ConfigDirSchema,
});
/**
 * The LoRA's name as the user knows it (a server LoRA's artifact name, e.g. `probe-run1` for the upload
 * `probe-run1.safetensors` stored as `<uuid>.safetensors`): the images' `<lora:name:weight>` and `Lora hashes`
 * name it instead of the file's stem. One line of text: a control character would break the PNG text's lines.
 */
export const loraNameSchema = z
  .string()
  .min(1, 'a non-empty name')
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'a name without control characters (line breaks, tabs)');
export const generateRequestSchema = z.strictObject({
  version,
  command: z.literal('generate'),
  id: z.string().nullable(),
  lora: z.string().nullable(),
  /** Left out: the label is the LoRA file's stem (the CLI's case). */
  lora_name: loraNameSchema.optional(),
  output_dir: z.string().min(1),
  config: generationConfigSchema,
  sd15_config_dir: sd15ConfigDirSchema,
});
export const serveGenerationRequestSchema = z.strictObject({
  version,
  command: z.literal('serve-generation'),
  base_model: z.string().min(1),
  sd15_config_dir: sd15ConfigDirSchema,
});
export const shutdownRequestSchema = z.strictObject({ version, command: z.literal('shutdown') });
/** serve-generation: stop request `id` at its next sampling step (or before it starts); it answers `cancelled`. */
export const cancelRequestSchema = z.strictObject({
  version,
  command: z.literal('cancel'),
  id: z.string().min(1),
});
export const blipRequestSchema = z.strictObject({
  version,
  command: z.literal('blip-caption'),
  model: z.string().min(1),
  paths: z.array(z.string()),
  max_length: z.number().int().min(1).max(512),
  num_beams: z.number().int().min(1).max(16),
  batch_size: z.number().int().min(1).max(256),
});
/** The architecture the weightless commands (lora-count, estimate-memory) build their models from. */
export const architectureSchema = z.enum(['sd15', 'tiny']);
export type Architecture = z.infer<typeof architectureSchema>;

/** The tiny base's own configs for `tiny`; every other base model is SD1.5-shaped. */
export function architectureOf(baseModel: string): Architecture {
  return baseModel === 'tiny' ? 'tiny' : 'sd15';
}

export const loraCountRequestSchema = z.strictObject({
  version,
  command: z.literal('lora-count'),
  unet: architectureSchema,
  lora: resolvedTrainingConfigSchema.shape.lora,
});
export const estimateMemoryRequestSchema = z.strictObject({
  version,
  command: z.literal('estimate-memory'),
  unet: architectureSchema,
  config: resolvedTrainingConfigSchema,
});
/**
 * Read a dataset as a training run with `config` reads it, train nothing (`toonlora train --dry-run`). `done` carries
 * `trained_images`, `buckets` (`WxH` each, null without aspect-ratio buckets) and the run's dataset `warnings` in
 * artifacts; images, images_with_repeats, micro_batches_per_epoch, steps and epochs in stats.
 */
export const scanDatasetRequestSchema = z.strictObject({
  version,
  command: z.literal('scan-dataset'),
  dataset_dir: z.string().min(1),
  config: resolvedTrainingConfigSchema,
});

export const workerRequestSchema = z.discriminatedUnion('command', [
  trainRequestSchema,
  generateRequestSchema,
  serveGenerationRequestSchema,
  shutdownRequestSchema,
  cancelRequestSchema,
  blipRequestSchema,
  loraCountRequestSchema,
  estimateMemoryRequestSchema,
  scanDatasetRequestSchema,
]);

export type WorkerRequest = z.infer<typeof workerRequestSchema>;
export type TrainRequest = z.infer<typeof trainRequestSchema>;
export type GenerateRequest = z.infer<typeof generateRequestSchema>;
/** The worker subcommands (`python -m toonlora_trainer <command>`): every request but the in-session ones. */
export type WorkerCommand = Exclude<WorkerRequest['command'], 'shutdown' | 'cancel'>;
/** A request that starts a worker subcommand: its `command` is the subcommand. */
export type CommandRequest = Extract<WorkerRequest, { command: WorkerCommand }>;

/** Result of parsing one stdout line: the event, or why the line is not one. */
export type ParsedLine = { ok: true; event: WorkerEvent } | { ok: false; reason: string };

/** Parses one stdout line of the worker; never throws. */
export function parseWorkerLine(line: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, reason: `not a JSON line: ${JSON.stringify(line.slice(0, 120))}` };
  }
  const result = workerEventSchema.safeParse(value);
  if (result.success) return { ok: true, event: result.data };
  const issue = result.error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : '(line)';
  return {
    ok: false,
    reason: `${where}: ${issue?.message ?? 'invalid'} in ${JSON.stringify(line.slice(0, 120))}`,
  };
}

/** Serialises a request after validating it against its schema (throws zod's error on a bad one). */
export function encodeRequest(request: WorkerRequest): string {
  return `${JSON.stringify(workerRequestSchema.parse(request))}\n`;
}

/**
 * Parses one request line as the worker must receive it: valid AND complete. A request that only
 * validates because zod filled in defaults is rejected, since the Python side invents no defaults.
 */
export function parseWorkerRequestLine(line: string): ParsedRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, reason: `not a JSON line: ${JSON.stringify(line.slice(0, 120))}` };
  }
  const result = workerRequestSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { ok: false, reason: `${issue?.path.join('.') || '(line)'}: ${issue?.message ?? 'invalid'}` };
  }
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(result.data)), value)) {
    return {
      ok: false,
      reason: 'incomplete request: fields are missing (defaults must be resolved before sending)',
    };
  }
  return { ok: true, request: result.data };
}

export type ParsedRequest = { ok: true; request: WorkerRequest } | { ok: false; reason: string };
