// src/schemas/api-datasets.ts — REST API schemas of dataset versions, their items (stage images, quality warnings)
// and caption edits. Re-exported by src/schemas/api.ts.
import { z } from 'zod';
import { apiIdSchema as id, isoTimeSchema as isoTime } from './api-common.js';
import { boxSchema } from './manifest.js';

export const datasetStageUrlsSchema = z.object({
  original: z.string().nullable(),
  textRemoved: z.string().nullable(),
  mask: z.string().nullable(),
  crop: z.string().nullable(),
});
/** The webtoon strip or manga page panel a crop was cut from (prep splits strips and pages at their gutters and
 * analyses each panel alone): its original, text removed and mask images are that panel's region of the file. */
export const datasetItemPanelSchema = z.object({
  index: z
    .number()
    .int()
    .positive()
    .describe(
      "1-based, in reading order: top to bottom, a page's rows each left to right, or right to left with the prep option pageReadingOrder = right-to-left (the manifest file's `panels`)",
    ),
  box: boxSchema.describe("The panel's box in the strip's (or page's) pixels"),
});
export const datasetItemSchema = z.object({
  key: z.string(),
  /** The uploaded file's name (a strip's panels all name the strip: see `panel`). */
  source: z.string(),
  /** The strip panel the crop came from; null when the file was analysed whole. */
  panel: datasetItemPanelSchema
    .nullable()
    .describe(
      'The webtoon strip or manga page panel the crop came from (its stage images are that panel only); null when the file was analysed whole',
    ),
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
/** The most items one bulk exclude / re-include names (a dataset is one prep job's crops: far fewer). */
export const DATASET_BULK_MAX_KEYS = 2000;
/** PATCH /api/datasets/:id/items: exclude or re-include several items at once (all or none). */
export const datasetItemsBulkPatchSchema = z.object({
  keys: z
    .array(datasetItemParamsSchema.shape.key)
    .min(1)
    .max(DATASET_BULK_MAX_KEYS)
    .describe(
      "The items' keys (as GET /api/datasets/:id lists them); one the dataset does not have fails all",
    ),
  excluded: z.boolean().describe('true: leave them out of training and the zip; false: put them back'),
});

export type Dataset = z.infer<typeof datasetSchema>;
export type DatasetDetail = z.infer<typeof datasetDetailSchema>;
export type DatasetItem = z.infer<typeof datasetItemSchema>;
export type DatasetItemPanel = z.infer<typeof datasetItemPanelSchema>;
/** PATCH /api/datasets/:id/items/:key: what a client sends (the server trims the caption). */
export type DatasetItemPatch = z.input<typeof datasetItemPatchSchema>;
export type DatasetSkipped = z.infer<typeof datasetSkippedSchema>;
export type DatasetItemsBulkPatch = z.input<typeof datasetItemsBulkPatchSchema>;
