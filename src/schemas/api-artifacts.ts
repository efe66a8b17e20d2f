// src/schemas/api-artifacts.ts — REST API schemas of artifacts (LoRAs, samples, generated images), LoRA uploads and
// downloads, a generate job's timing, the server's health and the base models a job may name.
// Re-exported by src/schemas/api.ts.
import { z } from 'zod';
import { apiIdSchema as id, isoTimeSchema as isoTime } from './api-common.js';

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
  /** A listed LoRA's older rows of the same file (data an older toonlora kept: two rows at one path list as one). */
  sameFileIds: z
    .array(id)
    .optional()
    .describe(
      "In GET /api/artifacts, a LoRA's older rows of the same file, which the list leaves out (an older toonlora recorded a resumed job's LoRA twice): a generate job or a LoRA page address naming one names this LoRA. Absent when the file has one row",
    ),
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

export type Artifact = z.infer<typeof artifactSchema>;
export type ArtifactKind = z.infer<typeof artifactKindSchema>;
export type LoraInspect = z.infer<typeof loraInspectSchema>;
export type LoraFormat = z.infer<typeof loraFormatSchema>;
export type GenerationTiming = z.infer<typeof generationTimingSchema>;
export type Health = z.infer<typeof healthSchema>;
export type BaseModelChoice = z.infer<typeof baseModelChoiceSchema>;
