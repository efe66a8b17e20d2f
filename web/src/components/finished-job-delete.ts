// web/src/components/finished-job-delete.ts — deleting a finished job from its page (pure): its address
// (DELETE /api/jobs/:id: its row, log and folder go; refused with 409 while a dataset version or LoRA it made is still
// listed) and the questions the Train page's and the Upload page's "Delete this job" ask first, saying what goes and
// what must be deleted before it.
import type { Dataset, JobStatus } from '../../../src/schemas/api.js';

/** DELETE of finished job `jobId`. */
export function jobDeleteUrl(jobId: string): string {
  return `/api/jobs/${encodeURIComponent(jobId)}`;
}

/** The confirm's text before the Train page deletes its finished train job (`status`: how it ended). */
export function deleteTrainJobQuestion(status: JobStatus): string {
  const lora =
    status === 'succeeded'
      ? ' While the LoRA page lists the LoRA it made, delete that LoRA there first: until then the job is kept.'
      : '';
  return (
    `Delete this training run (${status})? Its log, loss history, sample images and checkpoints are deleted ` +
    `from the server; this cannot be undone. Its dataset version stays.${lora}`
  );
}

/** The number the pages give the dataset version prep job `jobId` built ("v2") among `datasets` (oldest first, as
 * listed), else null (it built none, or that version was deleted). */
export function builtVersionName(datasets: readonly Dataset[], jobId: string): string | null {
  const index = datasets.findIndex((d) => d.jobId === jobId);
  return index < 0 ? null : `v${index + 1}`;
}

/** The confirm's text before the Upload page deletes its finished prep job `jobId` (`status`: how it ended) while
 * `datasets` are listed. */
export function deletePrepJobQuestion(
  status: JobStatus,
  jobId: string,
  datasets: readonly Dataset[],
): string {
  const version = builtVersionName(datasets, jobId);
  const listed = version
    ? ` While its dataset version ${version} is listed, delete it first (the Dataset page's "Delete this version"): until then the job is kept.`
    : '';
  return (
    `Delete this build (${status})? Its log and the files it left in its folder are deleted from the server; ` +
    `this cannot be undone. The screenshots stay.${listed}`
  );
}
