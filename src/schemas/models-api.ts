// src/schemas/models-api.ts — zod schemas of the web app's model routes (GET /api/models, a model pull and
// its progress stream), shared by the server (validation + OpenAPI) and the web app (types, stream parsing).
// Browser-safe: the facts come from src/models/model-status.ts on the server; only their shape is here.
import { z } from 'zod';

/** The stages that load a model: the registry's entries (src/models/registry.ts) list theirs with it. */
export const modelStageSchema = z.enum([
  'prep:text-detection',
  'prep:text-removal',
  'prep:segmentation',
  'prep:person-detection',
  'prep:captioning',
  'train',
  'generate',
]);

/** A pull's life: `stopping` after a cancel until the download has let go of its file; the rest are final. */
export const modelPullStatusSchema = z.enum([
  'running',
  'stopping',
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
]);

/** One pull of one model in the server process: a whole snapshot, sent again on every change. */
export const modelPullSchema = z.object({
  model: z.string(),
  status: modelPullStatusSchema,
  /** Grows with every change; the stream's event id. */
  seq: z.number().int(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  /** The file being downloaded now (a repo path), or null before the first / after the last. */
  file: z.string().nullable(),
  /** Bytes of the current file on disk (a resumed `.part` counts) and its whole size when the server said it. */
  fileReceivedBytes: z.number().int(),
  fileTotalBytes: z.number().int().nullable(),
  /** Files this pull downloaded so far, and their bytes. */
  filesDone: z.number().int(),
  doneBytes: z.number().int(),
  /** The registry's size of the whole model (approximate for most models); null for a Hub repo's pull. */
  modelBytes: z.number().int().nullable(),
  /** Download rate over the last few seconds, bytes per second; null before two progress reports. */
  bytesPerS: z.number().nullable(),
  /** What the pull says besides progress: waiting for another process, a retry, a check, why it stopped. */
  message: z.string().nullable(),
  /** Why it failed, in the CLI's words (`toonlora models pull` prints `<message> [<code>]`). */
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});

/** Whether a model is on disk: every file (complete), some or a wrong-sized one (partial), none (missing). */
export const modelDiskStateSchema = z.enum(['complete', 'partial', 'missing']);

/** One registry model as `toonlora models list` / `doctor` see it, and its latest pull in this server. */
export const modelRowSchema = z.object({
  id: z.string(),
  description: z.string(),
  stages: z.array(modelStageSchema),
  source: z.string(),
  license: z.string(),
  sizeBytes: z.number().int(),
  state: modelDiskStateSchema,
  /**
   * Bytes of the model on disk while it is not complete: its files found plus the `.part` files a stopped pull
   * left (0 when complete or none). With `partBytes` > 0 the next pull resumes from them.
   */
  downloadedBytes: z.number().int().nonnegative(),
  partBytes: z.number().int().nonnegative(),
  /**
   * `registry`: a model of the registry; `hub`: an SD1.5 base by Hub id (`models pull owner/name`, or a pull of
   * it here), on disk or pulled in this server. Both are pulled by POST /api/models/:id/pull.
   */
  origin: z.enum(['registry', 'hub']),
  /** The wrong-sized file (`<path>: <problem>`) that makes `models list` say broken. */
  broken: z.string().optional(),
  /** Where it is on the server (main file, or the folder of a diffusers / transformers layout). */
  path: z.string().optional(),
  /** Where it may be placed by hand when the server has no network. */
  manualPath: z.string(),
  whenMissing: z.string(),
  pull: modelPullSchema.nullable(),
  /**
   * A Hub-id base's refs with a complete SD1.5 snapshot in the cache (`main`, `v1.0`, `refs/pr/1`), each a base as
   * `owner/name@<ref>` (main: `owner/name`), when one is not main. Absent when main is the only one.
   */
  revisions: z.array(z.string()).optional(),
  /**
   * true for a Hub repo pulled in this server with nothing of it on disk (its pull running, refused, failed or
   * stopped): a pull attempt, not a base, until files of it are on disk. Absent on every other row.
   */
  pullAttempt: z.boolean().optional(),
});
export const modelListSchema = z.object({ models: z.array(modelRowSchema) });
export const modelIdParamsSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .describe(
      'A registry model id (`wd-vit-tagger-v3`), its Hub repo, or any Hub repo `owner/name` (a diffusers SD1.5 base) with its `/` URL-encoded as %2F',
    ),
});

/** POST /api/models/:id/pull's query: the revision of a Hub repo to pull (as `models pull --revision`). */
export const modelPullQuerySchema = z.object({
  revision: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('A branch, tag (`v1.0`, `refs/pr/1`) or full commit sha of a Hub repo; default main'),
});

/** DELETE /api/models/:id's answer: the model removed (`owner/name@REV` for one revision), what went, the bytes freed. */
export const modelRemovedSchema = z.object({
  id: z.string(),
  paths: z.array(z.string()),
  freedBytes: z.number().int().nonnegative(),
});

export type ModelRemoved = z.infer<typeof modelRemovedSchema>;
export type ModelPull = z.infer<typeof modelPullSchema>;
export type ModelDiskState = z.infer<typeof modelDiskStateSchema>;
export type ModelRow = z.infer<typeof modelRowSchema>;
