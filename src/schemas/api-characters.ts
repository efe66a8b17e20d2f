// src/schemas/api-characters.ts — REST API schemas of characters (the name rules) and their uploaded screenshots.
// Re-exported by src/schemas/api.ts.
import { z } from 'zod';
import { CONTROL_CHAR_RANGES, MIN_IMAGE_SIDE_PX, prepConfigSchema } from './config.js';
import { apiIdSchema as id, isoTimeSchema as isoTime } from './api-common.js';

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
export const imageFormatSchema = z.enum(['png', 'jpeg', 'webp', 'gif', 'bmp', 'avif']);
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
/** A file stored converted (a TIFF, as PNG under its base name): its name, the screenshot `id`, and what was done. */
export const uploadConversionSchema = z.object({ name: z.string(), id, note: z.string() });
export const uploadResultSchema = z.object({
  uploaded: z.array(uploadedImageSchema),
  rejected: z.array(uploadRejectionSchema),
  duplicates: z.array(uploadDuplicateSchema),
  // only when a file was converted (never in an older server's answer)
  converted: z.array(uploadConversionSchema).optional(),
});
export const imageListSchema = z.object({ images: z.array(uploadedImageSchema) });
/**
 * The Upload page's stream (GET /api/characters/:id/stream) sends events of these names, not stored (no id), each
 * with data `{ characterId }`: `uploads` when the character's screenshots changed (an upload stored some, a Remove
 * took one away), `prep` when one of its prep jobs was submitted or changed status.
 */
export const uploadsLiveEventSchema = z.enum(['uploads', 'prep']);
export type UploadsLiveEvent = z.infer<typeof uploadsLiveEventSchema>;
/**
 * GET /api/upload-limits: what one upload request may hold (the web app splits larger drops into batches), and
 * the server's limits with their defaults (`uploadLimitsSchema.parse({})`; the web app's for an older server).
 */
export const uploadLimitsSchema = z.object({
  /** Files per upload request. */
  maxFiles: z.number().int().positive().default(200),
  /** Largest accepted screenshot in bytes (25 MiB). */
  maxFileBytes: z
    .number()
    .int()
    .positive()
    .default(25 * 1024 * 1024),
  /** Largest accepted image in pixels (width x height), checked from the header before decoding: prep's limit. */
  maxPixels: prepConfigSchema.shape.maxInputPixels,
  /** Smallest shorter side of an accepted screenshot in pixels: prep's minimum (a smaller image is one it skips). */
  minSidePx: z.number().int().positive().default(MIN_IMAGE_SIDE_PX),
  /** Largest LoRA file POST /api/loras takes, in bytes (512 MiB). */
  // SD1.5 LoRAs are ~10-150 MB (rank 128 in fp32: ~300 MB); a LyCORIS LoCon of every layer can be larger
  maxLoraBytes: z
    .number()
    .int()
    .positive()
    .default(512 * 1024 * 1024),
});

export type Character = z.infer<typeof characterSchema>;
export type CharacterCreate = z.infer<typeof characterCreateSchema>;
export type CharacterRename = z.infer<typeof characterRenameSchema>;
export type UploadedImage = z.infer<typeof uploadedImageSchema>;
export type UploadResult = z.infer<typeof uploadResultSchema>;
export type UploadDuplicate = z.infer<typeof uploadDuplicateSchema>;
export type UploadConversion = z.infer<typeof uploadConversionSchema>;
export type UploadLimits = z.infer<typeof uploadLimitsSchema>;
export type ImageFormat = z.infer<typeof imageFormatSchema>;
