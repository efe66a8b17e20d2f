// web/src/components/upload-rejections.ts — which files an upload refused, and why (pure): from a 201's
// `rejected` list, or from the details of the 4xx the server answers when it refused every file (the
// error's message names only the first).
import { z } from 'zod';
import { uploadRejectionSchema } from '../../../src/schemas/api.js';

export type UploadRejection = z.infer<typeof uploadRejectionSchema>;

const rejectedDetailsSchema = z.object({ rejected: z.array(uploadRejectionSchema) });

/** Every file named in an upload error's `details.rejected`; [] for any other error. */
export function rejectionsFromError(error: unknown): UploadRejection[] {
  const details = (error as { details?: unknown } | null)?.details;
  const parsed = rejectedDetailsSchema.safeParse(details);
  return parsed.success ? parsed.data.rejected : [];
}

/**
 * The line announced after an upload: how many screenshots were stored, how many were already uploaded (the
 * same bytes: not stored again) and how many refused.
 */
export function uploadSummary(stored: number, refused: number, duplicates = 0): string {
  const files = (n: number) => `${n} screenshot${n === 1 ? '' : 's'}`;
  const parts = [`Uploaded ${files(stored)}`];
  if (duplicates > 0) parts.push(`${duplicates} already uploaded (not stored again)`);
  if (refused > 0) parts.push(`${refused} refused (listed below)`);
  return `${parts.join('; ')}.`;
}
