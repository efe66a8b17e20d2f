// src/schemas/manifest.ts — the zod schema of `<out>/manifest.json`, the record `toonlora prep` writes
// (SPEC §1.6): per input file its status, reason, crops (with their quality warnings), per-stage timings
// and stage images. The CLI, the server and the web UI read it through this schema; types are inferred
// from it.
import { z } from 'zod';
import { stageChoiceSchema, stageReasonSchema } from '../stage-reason.js';
import { prepConfigSchema } from './config.js';

export const MANIFEST_VERSION = 1;

export const boxSchema = z.object({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().nonnegative(),
  height: z.number().int().nonnegative(),
});

/**
 * Per-stage wall time in milliseconds, keyed by stage (`decode`, `textDetect`, `segment`, ...). When
 * prep analyses several files at once on one thread (inference threads), a stage's time also holds
 * the waits for the other files' work in between, so the stages of a file add up to more than its
 * share of the run.
 */
export const stageTimingsSchema = z.record(z.string(), z.number().nonnegative());

/** Status of one input file: `ok` made at least one crop, `skipped` was readable but gave none, `error` failed. */
export const fileStatusSchema = z.enum(['ok', 'skipped', 'error']);

export const manifestCropSchema = z.object({
  /** Training image, relative to the output folder (`10_sks girl/name.png`). */
  image: z.string().min(1),
  /** Caption file next to it, relative to the output folder. */
  captionFile: z.string().min(1),
  /** The caption text written to `captionFile`. */
  caption: z.string().min(1),
  /** The character's box in source pixels (from the mask contour or the person detector). */
  characterBox: boxSchema,
  /** The square cut from the source, in source pixels; may reach outside the image (padded white). */
  cropBox: boxSchema,
  /** 64-bit difference hash of the crop, 16 hex digits (for finding similar crops later; the run judges
   * near-duplicates by 8x8 colour thumbnails, see src/prep/dedupe.ts). */
  dhash: z.string().regex(/^[0-9a-f]{16}$/),
  /** sha256 of the image file as prep wrote it, 64 hex digits: `prep --overwrite` refuses to replace a crop the
   * user retouched since, as an edited caption. Absent in manifests written before the field (not checked). */
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /** The strip or page panel it was cut from: 1-based index into the file's `panels` (absent when the
   * file was analysed whole). */
  panel: z.number().int().positive().optional(),
  /** Square crop before resizing, relative to the output folder (only with --save-stages). */
  stageCrop: z.string().optional(),
  /** Quality warnings worth a look before training (text removal erased part of the character, ...);
   * [] when there are none and in manifests written before the field. */
  warnings: z.array(z.string().min(1)).default([]),
});

/** A character found in the file that did not become a training image, and why. */
export const manifestRejectedCropSchema = z.object({
  characterBox: boxSchema,
  /** The strip or page panel it was found in (1-based, the file's `panels`). */
  panel: z.number().int().positive().optional(),
  reason: z.string().min(1),
});

/** Stage images (with --save-stages), relative to the output folder. */
export const manifestStagesSchema = z.object({
  textMask: z.string().optional(),
  textRemoved: z.string().optional(),
  characterMask: z.string().optional(),
  crop: z.array(z.string()).optional(),
});

export const manifestFileSchema = z.object({
  /** The input path as given (absolute). */
  source: z.string().min(1),
  status: fileStatusSchema,
  /** Why the file was skipped or failed; for `ok` files, notes such as rejected duplicates (or null). */
  reason: z.string().nullable(),
  /** `reason` as text runs and the parts each side words (a prep option, a model to pull: src/stage-reason.ts), where
   * it names one; the server's prep jobs word it for the web app. Absent in manifests written before the field. */
  reasonParts: stageReasonSchema.optional(),
  /** Stable machine-readable reason (`empty`, `truncated`, `no-character`, `too-small`, `near-duplicate`, ...). */
  reasonCode: z.string().nullable(),
  /** Decoded size in pixels (absent when decoding failed). */
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
  textRegions: z.number().int().nonnegative().optional(),
  /** A webtoon strip (at least twice as tall as wide) or a manga page split at its gutters: each panel's box in
   * source pixels, in reading order: top to bottom, a page's rows each left to right, or right to left with
   * `[prep] pageReadingOrder = "right-to-left"` (a column of panels in a row top to bottom before the next column);
   * every panel was analysed as its own image. Absent when the file was analysed whole. */
  panels: z.array(boxSchema).optional(),
  crops: z.array(manifestCropSchema),
  rejected: z.array(manifestRejectedCropSchema),
  timingsMs: stageTimingsSchema,
  stages: manifestStagesSchema.optional(),
});

/** Which implementation ran each stage, and why it was chosen (`auto` announces its choice): src/stage-reason.ts
 * holds the schema, which prep's stage choices are built by (stageChoice). */
export const manifestStageChoiceSchema = stageChoiceSchema;

export const manifestSchema = z.object({
  version: z.literal(MANIFEST_VERSION),
  createdAt: z.iso.datetime(),
  /** Kohya dataset folder, relative to the output folder (`10_sks girl`). */
  datasetDir: z.string().min(1),
  settings: prepConfigSchema,
  stages: z.object({
    textDetector: manifestStageChoiceSchema,
    textRemover: manifestStageChoiceSchema,
    segmenter: manifestStageChoiceSchema,
    personDetector: manifestStageChoiceSchema.nullable(),
    captioner: manifestStageChoiceSchema,
  }),
  /** True when the run was cancelled: `files` holds only the files done before that. */
  cancelled: z.boolean(),
  summary: z.object({
    files: z.number().int().nonnegative(),
    ok: z.number().int().nonnegative(),
    skipped: z.number().int().nonnegative(),
    error: z.number().int().nonnegative(),
    crops: z.number().int().nonnegative(),
    /** Quality warnings over all crops (0 in manifests written before the field). */
    warnings: z.number().int().nonnegative().default(0),
  }),
  files: z.array(manifestFileSchema),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestFile = z.infer<typeof manifestFileSchema>;
export type ManifestCrop = z.infer<typeof manifestCropSchema>;
export type ManifestStages = z.infer<typeof manifestStagesSchema>;
export type FileStatus = z.infer<typeof fileStatusSchema>;
export type StageChoice = z.infer<typeof manifestStageChoiceSchema>;
