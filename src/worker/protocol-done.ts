// src/worker/protocol-done.ts — each worker command's `done` payload, pinned (strict) so a renamed or missing
// key fails with TL_ERR_WORKER_PROTOCOL naming it (python-worker.ts parseDone).
import { z } from 'zod';
import { type DoneEvent, doneEventSchema, finiteOrNull } from './protocol-events.js';
import type { WorkerCommand } from './protocol-requests.js';
import { trainingFactsSchema } from './training-facts.js';

// The line check (protocol-events.ts) knows only the shape every `done` shares; these pin each command's payload, so a renamed or
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
