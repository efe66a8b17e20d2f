// src/worker/protocol-requests.ts — the requests this process sends to the Python worker's stdin, one JSON line
// each (train, generate, serve-generation and its cancel / unload_lora / shutdown, blip-caption, lora-count, estimate-memory,
// scan-dataset), with the resolved training config they carry (no defaults are left for Python to invent).
import { z } from 'zod';
import {
  checkCyclesScheduler,
  checkWarmupLeavesSteps,
  generationConfigSchema,
  trainingConfigSchema,
} from '../schemas/config.js';
import { version } from './protocol-events.js';

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
  .superRefine(checkWarmupLeavesSteps)
  .superRefine(checkCyclesScheduler);

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
/**
 * serve-generation: drop the adapters loaded from the LoRA file at `lora` (a LoRA deleted on the server), freeing their
 * memory, once the requests sent before it are done. Nothing answers it.
 */
export const unloadLoraRequestSchema = z.strictObject({
  version,
  command: z.literal('unload_lora'),
  lora: z.string().min(1),
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
  unloadLoraRequestSchema,
  blipRequestSchema,
  loraCountRequestSchema,
  estimateMemoryRequestSchema,
  scanDatasetRequestSchema,
]);

export type WorkerRequest = z.infer<typeof workerRequestSchema>;
export type TrainRequest = z.infer<typeof trainRequestSchema>;
export type GenerateRequest = z.infer<typeof generateRequestSchema>;
/** The worker subcommands (`python -m toonlora_trainer <command>`): every request but the in-session ones. */
export type WorkerCommand = Exclude<WorkerRequest['command'], 'shutdown' | 'cancel' | 'unload_lora'>;
/** A request that starts a worker subcommand: its `command` is the subcommand. */
export type CommandRequest = Extract<WorkerRequest, { command: WorkerCommand }>;
