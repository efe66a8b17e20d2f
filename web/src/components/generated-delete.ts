// web/src/components/generated-delete.ts — the Generate page's deletes (pure): the questions asked first (one image:
// DELETE /api/generated-images/:id; a finished job's "Delete this batch": DELETE /api/jobs/:id?withImages=true, its
// images, grids and the job in one request, all or none), their addresses, and the list shown once one (or a batch)
// is gone.
import type { Artifact } from '../../../src/schemas/api.js';
import { countedNoun } from './counted-noun.js';
import { jobDeleteUrl } from './finished-job-delete.js';

/** The test id of an image's Delete button (a Delete that took its button away focuses the next one). */
export const IMAGE_DELETE_ID = 'image-delete';

/** DELETE of one generated image (or grid). */
export function imageDeleteUrl(imageId: string): string {
  return `/api/generated-images/${encodeURIComponent(imageId)}`;
}

/** DELETE of a finished generate job with its images. */
export function batchDeleteUrl(jobId: string): string {
  return `${jobDeleteUrl(jobId)}?withImages=true`;
}

/** The confirm's text before image `label` ("seed 1 · weight 0.8") is deleted. */
export function deleteImageQuestion(label: string): string {
  return (
    `Delete the image ${label}? Its file is deleted from the server; this cannot be undone. ` +
    'Download it first to keep a copy. The other images of its generation stay.'
  );
}

/** The confirm's text before a finished generate job with `imageCount` images shown and `gridCount` sweep grids is
 * deleted with them (DELETE ?withImages=true deletes its grids too: the question names them when there are any). */
export function deleteBatchQuestion(imageCount: number, gridCount = 0): string {
  const files = [
    ...(imageCount > 0 ? [countedNoun(imageCount, 'image')] : []),
    ...(gridCount > 0 ? [countedNoun(gridCount, 'sweep grid')] : []),
  ];
  const what =
    files.length === 0
      ? 'this generation (it has no images): its settings and status'
      : `this batch: its ${files.join(' and ')}, with their files, and the job (its settings and status)`;
  const keep = files.length === 0 ? '' : ' Download the images you want to keep first.';
  return `Delete ${what}? This cannot be undone.${keep} Earlier generations stay.`;
}

/** `list` without image `id` (the same list when it is not there). */
export function withoutImage<T extends Pick<Artifact, 'id'>>(list: readonly T[], id: string): T[] {
  return list.filter((image) => image.id !== id);
}

/** `list` without the images of job `jobId` (a batch deleted). */
export function withoutJob<T extends Pick<Artifact, 'jobId'>>(list: readonly T[], jobId: string): T[] {
  return list.filter((image) => image.jobId !== jobId);
}
