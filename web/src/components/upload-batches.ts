// web/src/components/upload-batches.ts — a drop of many screenshots as upload requests the server takes
// (pure): files split into batches of at most the server's per-request limit (GET /api/upload-limits), and
// the batches' results combined into one (the converted files' notes kept).

import { type UploadLimits, type UploadResult, uploadLimitsSchema } from '../../../src/schemas/api.js';

export type { UploadLimits } from '../../../src/schemas/api.js';

/** The server's defaults (uploadLimitsSchema's), for a server that does not say its limits. */
export const DEFAULT_UPLOAD_LIMITS: UploadLimits = uploadLimitsSchema.parse({});

/** `files` in order, in batches of at most `maxFiles` (at least one file each); [] for no file. */
export function uploadBatches<T>(files: readonly T[], maxFiles: number): T[][] {
  const size = Math.max(1, Math.floor(maxFiles));
  const batches: T[][] = [];
  for (let i = 0; i < files.length; i += size) batches.push(files.slice(i, i + size));
  return batches;
}

/**
 * Two batches' results as one: the stored images, the refused files, the duplicates and the files stored converted
 * (a TIFF as PNG) of both, in order; `converted` only when a file was, as the server answers.
 */
export function combineUploadResults(a: UploadResult, b: UploadResult): UploadResult {
  const converted = [...(a.converted ?? []), ...(b.converted ?? [])];
  return {
    uploaded: [...a.uploaded, ...b.uploaded],
    rejected: [...a.rejected, ...b.rejected],
    duplicates: [...a.duplicates, ...b.duplicates],
    ...(converted.length > 0 ? { converted } : {}),
  };
}
