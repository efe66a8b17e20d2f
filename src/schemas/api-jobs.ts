// src/schemas/api-jobs.ts — REST API schemas of jobs: the kinds and states, each kind's params (defaults from
// src/schemas/config.ts), the rules only a request as sent can break, progress and the events a job streams.
// Re-exported by src/schemas/api.ts.
import { z } from 'zod';
import {
  bothTrainingLengthsMessage,
  checkedTrainingConfigSchema,
  generationConfigSchema,
  prepConfigSchema,
  trainingLengthKeysSet,
} from './config.js';
import { apiIdSchema as id, isoTimeSchema as isoTime, logLevelSchema } from './api-common.js';
import { WHOLE_MESSAGE } from './issue-words.js';

export const jobKindSchema = z.enum(['prep', 'train', 'generate']);
export const jobStatusSchema = z.enum([
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
]);

/** prep: the character's uploads -> a dataset version. Trigger / class come from the character. */
export const prepJobParamsSchema = z.object({
  imageIds: z
    .array(id)
    .min(1, 'give at least one image id, or leave imageIds out to use every screenshot of the character')
    .optional(),
  // workers: the server decides how many threads a job may take (auto), not the caller
  options: prepConfigSchema.omit({ trigger: true, classWord: true, workers: true }).partial().optional(),
});
/** train: one dataset version -> a LoRA; settings default from the shared training schema. */
export const trainJobParamsSchema = z.object({
  datasetId: id,
  training: checkedTrainingConfigSchema.prefault({}),
});
/** generate: prompt + a LoRA at one weight, or a weight sweep (one image row per weight). */
export const generateJobParamsSchema = z.object({
  loraId: id.optional(),
  generation: generationConfigSchema.prefault({}),
  // each weight has loraWeight's bounds (its schema without the default)
  weights: z.array(generationConfigSchema.shape.loraWeight.unwrap()).min(1).max(8).optional(),
});

/**
 * A sweep as a request may give it: weights scale a LoRA, so they need `loraId` (without one every row would be the
 * same base-model images under another label), and each weight once (a repeat renders the same row again).
 * Checked when a job is posted, not when a stored job is read back.
 */
function checkWeightSweep(params: z.output<typeof generateJobParamsSchema>, ctx: z.RefinementCtx): void {
  const { weights } = params;
  if (!weights) return;
  if (params.loraId === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['weights'],
      message:
        'weights set the strength of a LoRA: give loraId too (without a LoRA every row would be the same image)',
    });
  }
  const twice = [...new Set(weights.filter((weight, i) => weights.indexOf(weight) !== i))];
  if (twice.length > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['weights'],
      message: `weight ${twice.join(', ')} ${twice.length === 1 ? 'is' : 'are'} given more than once: each repeat renders the same row of images again; give each weight once`,
      params: { [WHOLE_MESSAGE]: true }, // it names the weights: no `got [0.5,0.5]` after it
    });
  }
}

/** The words a blank prompt is refused with (the Generate form says the same before it posts). */
export const BLANK_PROMPT_MESSAGE =
  'empty: say what to generate, the trigger word first (e.g. "mina_tl, 1girl, smile")';

/**
 * A generate request's params: a prompt the request gives must hold words (an empty one renders whatever the base
 * drifts to; the web form sent "" unwarned); left out, it is the config default, as before. Only for posting: a
 * stored job is read back with generateJobParamsSchema.
 */
const postedGenerateParamsSchema = generateJobParamsSchema.extend({
  generation: generationConfigSchema
    .extend({
      prompt: generationConfigSchema.shape.prompt
        .unwrap()
        .refine((prompt) => prompt.trim() !== '', BLANK_PROMPT_MESSAGE)
        .default(''),
    })
    .prefault({}),
});

export const jobCreateSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('prep'), characterId: id, params: prepJobParamsSchema.prefault({}) }),
  z.object({ kind: z.literal('train'), characterId: id, params: trainJobParamsSchema }),
  z.object({
    kind: z.literal('generate'),
    characterId: id,
    params: postedGenerateParamsSchema.superRefine(checkWeightSweep).prefault({}),
  }),
]);

/**
 * The rule on a job request that only the body as sent can show: a train job's `params.training` sets steps or
 * epochs, not both (steps has a default, so the parsed body cannot tell); the CLI and config files refuse both with
 * the same words. The offending field and message, or undefined.
 */
export function jobRequestLengthIssue(body: unknown): { field: string; message: string } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { kind, params } = body as Record<string, unknown>;
  if (kind !== 'train' || typeof params !== 'object' || params === null) return undefined;
  if (trainingLengthKeysSet((params as Record<string, unknown>).training).length < 2) return undefined;
  return {
    field: 'body.params.training.epochs',
    message: bothTrainingLengthsMessage('params.training.steps', 'params.training.epochs', 'Give'),
  };
}

export const jobProgressSchema = z.object({
  step: z.number().int(),
  total: z.number().int(),
  loss: z.number().nullable().optional(),
  lr: z.number().nullable().optional(),
  itPerS: z.number().nullable().optional(),
  etaS: z.number().nullable().optional(),
  message: z.string().optional(),
});

/** A running train job of a `serve --remote-workers` server: the GPU worker that holds it (null while it waits for
 * one to claim it), how long that worker has not reported, when its lease runs out (the job is then interrupted),
 * and whether a cancel is waiting for the worker's next report. Milliseconds as of the reply. */
export const jobRemoteSchema = z.object({
  worker: z.string().nullable(),
  silentMs: z.number().int().min(0).nullable(),
  leaseEndsInMs: z.number().int().min(0).nullable(),
  stopAsked: z.boolean(),
});
export type JobRemote = z.infer<typeof jobRemoteSchema>;

export const jobSchema = z.object({
  id,
  kind: jobKindSchema,
  characterId: id,
  status: jobStatusSchema,
  params: z.record(z.string(), z.unknown()),
  progress: jobProgressSchema.nullable(),
  result: z.record(z.string(), z.unknown()).nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  /** The last checkpoint a train job can resume from (null when none was written). */
  checkpoint: z.string().nullable(),
  attempts: z.number().int(),
  createdAt: isoTime,
  startedAt: isoTime.nullable(),
  finishedAt: isoTime.nullable(),
  /** GET /api/jobs/:id of a running train job on a `serve --remote-workers` server; absent otherwise. */
  remote: jobRemoteSchema.optional(),
});
export const jobListSchema = z.object({ jobs: z.array(jobSchema) });
export const jobListQuerySchema = z.object({
  characterId: id.optional(),
  kind: jobKindSchema.optional(),
  status: jobStatusSchema.optional(),
});

/** What a running job reports; stored in order and streamed as server-sent events. */
export const jobEventBodySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('status'), status: jobStatusSchema, message: z.string().optional() }),
  z.object({ type: z.literal('progress'), progress: jobProgressSchema }),
  z.object({
    type: z.literal('sample'),
    step: z.number().int(),
    artifactIds: z.array(id),
    urls: z.array(z.string()),
  }),
  z.object({ type: z.literal('checkpoint'), step: z.number().int(), path: z.string() }),
  // level: absent on events stored before levels were kept, read as info
  z.object({ type: z.literal('log'), level: logLevelSchema.optional(), message: z.string() }),
]);
/** Every event type, in the schema's order: the SSE event names (`event: <type>`) a client listens for. */
export const JOB_EVENT_TYPES: readonly JobEventBody['type'][] = jobEventBodySchema.options.map(
  (option) => option.shape.type.value,
);
export const jobEventSchema = z.object({
  seq: z.number().int(),
  jobId: id,
  at: isoTime,
  body: jobEventBodySchema,
});
/**
 * What a job's event stream (GET /api/jobs/:id/stream) sends beside its stored events, as things change: never
 * stored, no `id:` line (a reconnect gets the state as it is then, once). `queue`: a queued job's place, sent when
 * it opens and whenever a job ahead of it starts or leaves (the running jobs' kinds, how many queued jobs start
 * before it). `remote`: a running train job of a `serve --remote-workers` server, sent when it opens, when the job
 * is offered, when a worker claims it or reports (each report renews the lease), and when a cancel waits for the
 * worker: jobRemoteSchema as of sending; the page counts the silence on from there.
 */
export const jobLiveEventBodySchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('queue'),
    running: z.array(jobKindSchema),
    ahead: z.number().int().min(0),
  }),
  z.object({ type: z.literal('remote'), remote: jobRemoteSchema }),
]);
/** The SSE event names of the live events (`event: queue`, `event: remote`). */
export const JOB_LIVE_EVENT_TYPES: readonly JobLiveEventBody['type'][] = jobLiveEventBodySchema.options.map(
  (option) => option.shape.type.value,
);
export const jobLiveEventSchema = z.object({ jobId: id, at: isoTime, body: jobLiveEventBodySchema });
export const jobEventListSchema = z.object({ events: z.array(jobEventSchema) });
export const jobEventsQuerySchema = z.object({ after: z.coerce.number().int().min(0).default(0) });

export type JobKind = z.infer<typeof jobKindSchema>;
export type JobStatus = z.infer<typeof jobStatusSchema>;
export type Job = z.infer<typeof jobSchema>;
export type JobCreate = z.infer<typeof jobCreateSchema>;
export type JobCreateInput = z.input<typeof jobCreateSchema>;
export type JobProgress = z.infer<typeof jobProgressSchema>;
export type JobEvent = z.infer<typeof jobEventSchema>;
export type JobEventBody = z.infer<typeof jobEventBodySchema>;
export type JobLiveEvent = z.infer<typeof jobLiveEventSchema>;
export type JobLiveEventBody = z.infer<typeof jobLiveEventBodySchema>;
export type PrepJobParams = z.infer<typeof prepJobParamsSchema>;
export type TrainJobParams = z.infer<typeof trainJobParamsSchema>;
export type GenerateJobParams = z.infer<typeof generateJobParamsSchema>;
