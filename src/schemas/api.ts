// src/schemas/api.ts — zod schemas of the REST API (requests, responses, job events), shared by the
// server (validation + OpenAPI via z.toJSONSchema) and the web app (types). No defaults are
// retyped here: training / generation settings reuse src/schemas/config.ts. Request bodies hold only keys
// their schema knows (`unknownRequestKeys`): zod objects drop the others, so a typo would run the default.
import { z } from 'zod';
import { findUnknownKeys, objectShape, type UnknownKey } from '../config/unknown-keys.js';
import {
  bothTrainingLengthsMessage,
  CONTROL_CHAR_RANGES,
  checkedTrainingConfigSchema,
  generationConfigSchema,
  prepConfigSchema,
  trainingLengthKeysSet,
} from './config.js';

const id = z.string().min(1).max(64);
/** How much a log line matters: `warn` lines are what the user should read (the web app lists them). */
export const logLevelSchema = z.enum(['debug', 'info', 'warn']);
const isoTime = z.string();

export const errorResponseSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

export const idParamsSchema = z.object({ id });

// ---------- characters ----------
/**
 * Invisible characters that only hide or spoof a name, as portable ranges (no \p{...}, like CONTROL_CHAR_RANGES,
 * for the openapi `pattern`): the format characters (Unicode Cf) of the BMP — soft hyphen, Arabic / Syriac marks,
 * Mongolian vowel separator, zero-width space, LRM/RLM, bidi embeddings / overrides / isolates, word joiner and
 * invisible operators, BOM, interlinear annotations — and the line / paragraph separators U+2028 / U+2029. Left
 * out: U+200C / U+200D (zero-width non-joiner / joiner), which Persian and Indic words and emoji sequences need.
 */
export const NAME_FORMAT_CHAR_RANGES =
  '\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u180e\\u200b\\u200e-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb';
/** A format character beyond the BMP (\p{Cf} less the emoji flag tags U+E0020-E007F). */
const ASTRAL_FORMAT_CHAR = /(?![\u{e0020}-\u{e007f}])(?=[\u{10000}-\u{10ffff}])\p{Cf}/u;
/** What shows nothing on its own: spaces, format characters (joiners too), combining marks without a base
 * (variation selectors, the combining grapheme joiner), Hangul and braille fillers. */
const INVISIBLE_CHARS = /[\s\p{Z}\p{Cf}\p{Mn}\p{Me}\u115f\u1160\u2800\u3164\uffa0]/gu;
const NAME_CHARS_MESSAGE =
  'a name cannot hold line breaks, tabs, NUL, other control characters or invisible format characters (line / paragraph separators, zero-width spaces, bidi overrides, soft hyphens, BOM)';

export const characterCreateSchema = z.object({
  // a display name, but also a log line and a file name in exports: no NUL, line breaks or other control characters,
  // and nothing invisible that makes it look blank or different from what it is (a bidi override spoofs a name)
  name: z
    .string()
    .trim()
    .min(1, { error: 'a name cannot be blank', abort: true })
    .refine((name) => name.replace(INVISIBLE_CHARS, '') !== '', {
      error: 'a name cannot be blank: it holds only invisible characters',
      abort: true,
    })
    .max(80)
    .regex(new RegExp(`^[^${CONTROL_CHAR_RANGES}${NAME_FORMAT_CHAR_RANGES}]+$`, 'u'), {
      error: NAME_CHARS_MESSAGE,
      abort: true,
    })
    .refine((name) => !ASTRAL_FORMAT_CHAR.test(name), { error: NAME_CHARS_MESSAGE }),
  trigger: prepConfigSchema.shape.trigger,
  classWord: prepConfigSchema.shape.classWord,
});
/** PATCH /api/characters/:id: a new display name, under the same rules as a new character's. The trigger and
 * class word stay: a dataset and LoRA trained with them keep working. */
export const characterRenameSchema = characterCreateSchema.pick({ name: true });
export const characterSchema = characterCreateSchema.extend({
  id,
  createdAt: isoTime,
  imageCount: z.number().int(),
  datasetCount: z.number().int(),
  loraCount: z.number().int(),
});
export const characterListSchema = z.object({ characters: z.array(characterSchema) });

// ---------- uploaded screenshots ----------
export const imageFormatSchema = z.enum(['png', 'jpeg', 'webp', 'gif']);
export const uploadedImageSchema = z.object({
  id,
  characterId: id,
  originalName: z.string(),
  format: imageFormatSchema,
  width: z.number().int(),
  height: z.number().int(),
  bytes: z.number().int(),
  sha256: z.string(),
  createdAt: isoTime,
  url: z.string(),
});
export const uploadRejectionSchema = z.object({ name: z.string(), code: z.string(), reason: z.string() });
/** A file whose bytes (sha256) the character already has: not stored again; `existingId` is that screenshot. */
export const uploadDuplicateSchema = z.object({ name: z.string(), existingId: id });
export const uploadResultSchema = z.object({
  uploaded: z.array(uploadedImageSchema),
  rejected: z.array(uploadRejectionSchema),
  duplicates: z.array(uploadDuplicateSchema),
});
export const imageListSchema = z.object({ images: z.array(uploadedImageSchema) });
/** GET /api/upload-limits: what one upload request may hold (the web app splits larger drops into batches). */
export const uploadLimitsSchema = z.object({
  maxFiles: z.number().int().positive(),
  maxFileBytes: z.number().int().positive(),
  maxPixels: z.number().int().positive(),
  /** Largest LoRA file POST /api/loras takes, in bytes. */
  maxLoraBytes: z.number().int().positive(),
});

// ---------- jobs ----------
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
    });
  }
}

export const jobCreateSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('prep'), characterId: id, params: prepJobParamsSchema.prefault({}) }),
  z.object({ kind: z.literal('train'), characterId: id, params: trainJobParamsSchema }),
  z.object({
    kind: z.literal('generate'),
    characterId: id,
    params: generateJobParamsSchema.superRefine(checkWeightSweep).prefault({}),
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

/** The option of a discriminated union (`kind`) that `input` names; the schema itself for anything else. */
function schemaFor(schema: z.ZodType, input: unknown): z.ZodType {
  const def = schema._zod.def as { type: string; options?: z.ZodType[]; discriminator?: string };
  const tagKey = def.discriminator;
  if (def.type !== 'union' || !tagKey || typeof input !== 'object' || input === null) return schema;
  const tag = (input as Record<string, unknown>)[tagKey];
  const named = def.options?.find((option) => {
    const literal = objectShape(option)?.[tagKey]?._zod.def as { values?: unknown[] } | undefined;
    return literal?.values?.includes(tag) ?? false;
  });
  return named ?? schema;
}

/**
 * The keys of a request body that its schema does not have (`params.training.stpes`), each with the key
 * most likely meant (`params.training.steps`): the same check the CLI runs on config files
 * (src/config/unknown-keys.ts), since zod would drop them and the job would run the default instead.
 * A discriminated union (the job kinds) is checked against the option its tag names.
 */
export function unknownRequestKeys(schema: z.ZodType, input: unknown): UnknownKey[] {
  return findUnknownKeys(input, schemaFor(schema, input));
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
export const jobEventListSchema = z.object({ events: z.array(jobEventSchema) });
export const jobEventsQuerySchema = z.object({ after: z.coerce.number().int().min(0).default(0) });

// ---------- datasets ----------
export const datasetStageUrlsSchema = z.object({
  original: z.string().nullable(),
  textRemoved: z.string().nullable(),
  mask: z.string().nullable(),
  crop: z.string().nullable(),
});
export const datasetItemSchema = z.object({
  key: z.string(),
  source: z.string(),
  caption: z.string(),
  /** Changes whenever the caption does: sent back with a caption edit, a caption changed since is refused. */
  captionVersion: z.string(),
  excluded: z.boolean(),
  stages: datasetStageUrlsSchema,
  /** The crop's quality warnings from prep (e.g. text removal erased part of the character); empty when none. */
  warnings: z.array(z.string()),
});
export const datasetSkippedSchema = z.object({ source: z.string(), status: z.string(), reason: z.string() });
export const datasetSchema = z.object({
  id,
  characterId: id,
  jobId: id,
  createdAt: isoTime,
  itemCount: z.number().int(),
  excludedCount: z.number().int(),
  /** Items whose caption the user edited (a rebuilt version starts from fresh captions). */
  editedCount: z.number().int(),
});
export const datasetDetailSchema = datasetSchema.extend({
  items: z.array(datasetItemSchema),
  skipped: z.array(datasetSkippedSchema),
});
export const datasetListSchema = z.object({ datasets: z.array(datasetSchema) });
export const datasetItemParamsSchema = z.object({ id, key: z.string().min(1).max(200) });
/** One line: kohya reads only the first line of a caption file, so a line break would silently drop the rest.
 * Empty means the folder's `<trigger> <class>`, as for an empty caption file (the trainer's fallback). */
export const CAPTION_MAX_LENGTH = 2000;
const captionSchema = z
  .string()
  .trim()
  .max(CAPTION_MAX_LENGTH)
  .refine((caption) => !/[\r\n]/.test(caption), {
    message:
      'a caption is one line (kohya reads only the first line of a caption file); separate tags with ", " instead of line breaks',
  });
export const datasetItemPatchSchema = z
  .object({
    caption: captionSchema.optional(),
    captionVersion: z
      .string()
      .max(100)
      .optional()
      .describe(
        "The item's captionVersion the edit started from: if the caption changed since (another tab or client), the edit is refused with 409 TL_ERR_CONFLICT, whose details hold the current caption and captionVersion. Left out, the caption is written whatever it is now (as before this field).",
      ),
    excluded: z.boolean().optional(),
  })
  .refine((body) => body.caption !== undefined || body.excluded !== undefined, 'set caption or excluded');

// ---------- artifacts (LoRAs, samples, generated images) ----------
export const artifactKindSchema = z.enum(['lora', 'sample', 'image', 'grid']);
export const artifactSchema = z.object({
  id,
  characterId: id,
  jobId: id.nullable(),
  kind: artifactKindSchema,
  name: z.string(),
  meta: z.record(z.string(), z.unknown()),
  createdAt: isoTime,
  url: z.string(),
});
export const artifactListSchema = z.object({ artifacts: z.array(artifactSchema) });
export const artifactListQuerySchema = z.object({
  characterId: id.optional(),
  kind: artifactKindSchema.optional(),
  jobId: id.optional(),
});
/** POST /api/loras: the character a LoRA made elsewhere is uploaded for (the file is the multipart body). */
export const loraUploadQuerySchema = z.object({ characterId: id });
/** LoRA download formats: the stored kohya / WebUI file, the same in fp16 (half the size), diffusers
 * (`load_lora_weights`), a PEFT adapter folder (zip). */
export const loraFormatSchema = z.enum(['kohya', 'kohya-fp16', 'diffusers', 'peft']);
export const loraDownloadQuerySchema = z.object({ format: loraFormatSchema.default('kohya') });
export const loraInspectSchema = z.object({
  lora: artifactSchema,
  inspect: z.record(z.string(), z.unknown()),
  snippet: z.string(),
});

/** Timing of one generate job: the first request after start pays the base load, later ones do not. */
export const generationTimingSchema = z.object({
  warm: z.boolean(),
  loadMs: z.number(),
  loraSwapMs: z.number(),
  generateMs: z.number(),
  totalMs: z.number(),
});

export const healthSchema = z.object({ ok: z.boolean(), version: z.string(), auth: z.boolean() });

/** GET /api/base-models: the bases a train / generate job may name, and whether each is on the server's disk. */
export const baseModelChoiceSchema = z.object({
  name: z.string(),
  aliases: z.array(z.string()),
  present: z.boolean(),
  description: z.string(),
});
export const baseModelListSchema = z.object({ baseModels: z.array(baseModelChoiceSchema) });

export type Character = z.infer<typeof characterSchema>;
export type CharacterCreate = z.infer<typeof characterCreateSchema>;
export type CharacterRename = z.infer<typeof characterRenameSchema>;
export type UploadedImage = z.infer<typeof uploadedImageSchema>;
export type UploadResult = z.infer<typeof uploadResultSchema>;
export type UploadDuplicate = z.infer<typeof uploadDuplicateSchema>;
export type UploadLimitsInfo = z.infer<typeof uploadLimitsSchema>;
export type ImageFormat = z.infer<typeof imageFormatSchema>;
export type JobKind = z.infer<typeof jobKindSchema>;
export type JobStatus = z.infer<typeof jobStatusSchema>;
export type Job = z.infer<typeof jobSchema>;
export type JobCreate = z.infer<typeof jobCreateSchema>;
export type JobCreateInput = z.input<typeof jobCreateSchema>;
export type JobProgress = z.infer<typeof jobProgressSchema>;
export type JobEvent = z.infer<typeof jobEventSchema>;
export type JobEventBody = z.infer<typeof jobEventBodySchema>;
export type PrepJobParams = z.infer<typeof prepJobParamsSchema>;
export type TrainJobParams = z.infer<typeof trainJobParamsSchema>;
export type GenerateJobParams = z.infer<typeof generateJobParamsSchema>;
export type Dataset = z.infer<typeof datasetSchema>;
export type DatasetDetail = z.infer<typeof datasetDetailSchema>;
export type DatasetItem = z.infer<typeof datasetItemSchema>;
/** PATCH /api/datasets/:id/items/:key: what a client sends (the server trims the caption). */
export type DatasetItemPatch = z.input<typeof datasetItemPatchSchema>;
export type DatasetSkipped = z.infer<typeof datasetSkippedSchema>;
export type Artifact = z.infer<typeof artifactSchema>;
export type ArtifactKind = z.infer<typeof artifactKindSchema>;
export type LoraInspect = z.infer<typeof loraInspectSchema>;
export type LoraFormat = z.infer<typeof loraFormatSchema>;
export type GenerationTiming = z.infer<typeof generationTimingSchema>;
export type Health = z.infer<typeof healthSchema>;
export type BaseModelChoice = z.infer<typeof baseModelChoiceSchema>;
