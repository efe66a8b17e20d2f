// src/worker/protocol-events.ts — the events the Python worker writes on its stdout, one JSON object per line
// (progress, sample, checkpoint, log, caption, ready, cancelled, done, error), each carrying `version` and `type`;
// trainer/toonlora_trainer/protocol.py is the other side.
import { z } from 'zod';
import { errorFixSchema } from '../error-fix.js';
import { logLevelSchema } from '../schemas/api.js';
import { trainingFactsSchema } from './training-facts.js';

export const PROTOCOL_VERSION = 1;

/** The `version` field every line carries (shared by the protocol modules). */
export const version = z.literal(PROTOCOL_VERSION);
export const finiteOrNull = z.number().nullable(); // Python writes non-finite floats as null

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

export const errorEventSchema = z.strictObject({
  version,
  type: z.literal('error'),
  message: z.string(),
  kind: errorKindSchema,
  /** The fix the message names, as data: the message holds no sentence of it, each side words it (src/error-fix.ts). */
  fix: errorFixSchema.optional(),
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
