// web/src/components/upload-rejections.ts — which files an upload refused, and why (pure): from a 201's
// `rejected` list, from the details of the 4xx the server answers when it refused every file (the error's
// message names only the first), or before sending for a file over the size limit or (when the browser decodes it)
// under the minimum side; and the summary line.
import { z } from 'zod';
import { oversizeReason, tooSmallReason } from '../../../src/jobs/upload-file-size.js';
import { uploadRejectionSchema } from '../../../src/schemas/api.js';

export type UploadRejection = z.infer<typeof uploadRejectionSchema>;

const rejectedDetailsSchema = z.object({ rejected: z.array(uploadRejectionSchema) });

/** Every file named in an upload error's `details.rejected`; [] for any other error. */
export function rejectionsFromError(error: unknown): UploadRejection[] {
  const details = (error as { details?: unknown } | null)?.details;
  const parsed = rejectedDetailsSchema.safeParse(details);
  return parsed.success ? parsed.data.rejected : [];
}

/** A file already uploaded (same bytes): its name, and the stored screenshot's name when the page knows it. */
export interface UploadDuplicateName {
  name: string;
  sameAs?: string;
}

/** How many names a group of duplicates lists before "and N more" (a 300-file drop listed every name). */
const LISTED_DUPLICATES = 3;

/** `a.png, b.png, c.png`; past LISTED_DUPLICATES: `a.png, b.png and 297 more`. */
function shortList(names: readonly string[]): string {
  if (names.length <= LISTED_DUPLICATES) return names.join(', ');
  const shown = LISTED_DUPLICATES - 1;
  return `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}

/**
 * The duplicates in words, grouped by the screenshot they match, in order: up to LISTED_DUPLICATES each as
 * `x.png (same as a.png)`, more as `m001.png, m002.png and 297 more, all the same as m000.png`; those with no known
 * match (or their own name) listed alone, shortened the same way.
 */
function duplicatesInWords(duplicates: readonly UploadDuplicateName[]): string {
  const groups = new Map<string, string[]>();
  for (const d of duplicates) {
    const key = d.sameAs && d.sameAs !== d.name ? d.sameAs : '';
    groups.set(key, [...(groups.get(key) ?? []), d.name]);
  }
  return [...groups]
    .map(([sameAs, names]) => {
      if (!sameAs) return shortList(names);
      // a few: each with its match, as one alone is said
      if (names.length <= LISTED_DUPLICATES)
        return names.map((name) => `${name} (same as ${sameAs})`).join(', ');
      return `${shortList(names)}, all the same as ${sameAs}`;
    })
    .join(', ');
}

/**
 * The line announced after an upload: how many screenshots were stored, how many of them converted (a TIFF as PNG,
 * each noted below), which files were already uploaded (the same bytes: not stored again), by name, and how many
 * refused.
 */
export function uploadSummary(
  stored: number,
  refused: number,
  duplicates: readonly UploadDuplicateName[] = [],
  converted = 0,
): string {
  const files = (n: number) => `${n} screenshot${n === 1 ? '' : 's'}`;
  const parts = [`Uploaded ${files(stored)}`];
  if (converted > 0) parts.push(`${converted} converted (noted below)`);
  if (duplicates.length > 0) {
    parts.push(`already uploaded, not stored again: ${duplicatesInWords(duplicates)}`);
  }
  if (refused > 0) parts.push(`${refused} refused (listed below)`);
  return `${parts.join('; ')}.`;
}

/** Each duplicate of an upload reply named, with the stored screenshot it matches when `images` has it. */
export function duplicateNames(
  duplicates: ReadonlyArray<{ name: string; existingId: string }>,
  images: ReadonlyArray<{ id: string; originalName: string }>,
): UploadDuplicateName[] {
  return duplicates.map((d) => {
    const existing = images.find((image) => image.id === d.existingId);
    return existing ? { name: d.name, sameAs: existing.originalName } : { name: d.name };
  });
}

/**
 * An upload's duplicates named with their match, looked up among the screenshots from before the upload and those
 * it stored: a file that repeats another of the same drop (m001.png = m000.png) matches a screenshot the list
 * from before did not have (the line said "(same as …)" only for older screenshots).
 */
export function uploadDuplicateNames(
  result: {
    uploaded: ReadonlyArray<{ id: string; originalName: string }>;
    duplicates: ReadonlyArray<{ name: string; existingId: string }>;
  },
  before: ReadonlyArray<{ id: string; originalName: string }>,
): UploadDuplicateName[] {
  return duplicateNames(result.duplicates, [...before, ...result.uploaded]);
}

/**
 * `files` split before any byte is sent: those within `maxFileBytes` (the server's per-file limit) go up, the
 * others are refused at once in the server's own words (a 108 MB PNG used to upload for seconds, then be refused).
 */
export function refuseOversize<T extends { name: string; size: number }>(
  files: readonly T[],
  maxFileBytes: number,
): { accepted: T[]; refused: UploadRejection[] } {
  const accepted = files.filter((file) => file.size <= maxFileBytes);
  const refused = files
    .filter((file) => file.size > maxFileBytes)
    .map((file) => ({
      name: file.name,
      code: 'TL_ERR_PAYLOAD_TOO_LARGE',
      reason: oversizeReason(file.name, maxFileBytes),
    }));
  return { accepted, refused };
}

/** An image's size in pixels as the browser reads it, or null when it cannot (the server then decides). */
export type ImageSizeReader = (file: Blob) => Promise<{ width: number; height: number } | null>;

/** The size createImageBitmap decodes (PNG, JPEG, WebP, GIF, BMP in every current browser); null where it fails. */
export const browserImageSize: ImageSizeReader = async (file) => {
  if (typeof createImageBitmap !== 'function') return null;
  try {
    const bitmap = await createImageBitmap(file);
    const size = { width: bitmap.width, height: bitmap.height };
    bitmap.close();
    return size;
  } catch {
    return null; // a format or a file the browser does not decode: sent, and the server's check answers
  }
};

/**
 * `files` split before any byte is sent: those whose shorter side the browser reads as under `minSidePx` (the
 * server's minimum, GET /api/upload-limits) are refused at once in the server's words; the others, and those whose
 * size it cannot read, go up. Read one at a time, so a large drop does not hold every decoded image at once.
 */
export async function refuseTooSmall<T extends Blob & { name: string }>(
  files: readonly T[],
  minSidePx: number,
  readSize: ImageSizeReader = browserImageSize,
): Promise<{ accepted: T[]; refused: UploadRejection[] }> {
  const accepted: T[] = [];
  const refused: UploadRejection[] = [];
  for (const file of files) {
    const size = await readSize(file);
    if (size && Math.min(size.width, size.height) < minSidePx) {
      refused.push({
        name: file.name,
        code: 'TL_ERR_IMAGE_DECODE',
        reason: tooSmallReason(file.name, size.width, size.height, minSidePx),
      });
    } else accepted.push(file);
  }
  return { accepted, refused };
}
