// src/server/routes/images/generated-delete.ts — deleting one generated image (DELETE /api/generated-images/:id, the
// Generate page's Delete under an image, or a sweep's grid): its row, then its file in its job's folder
// (`jobs/<jobId>/images`); the job and its other images stay. Refused while its generate job is queued or running (it
// still writes that folder). A file that cannot be removed is named in the server's log: the image is gone from every
// list, so it is only disk space, freed with its job's delete. A job with all its images goes in one request:
// DELETE /api/jobs/:id?withImages=true (src/jobs/job-delete.ts).
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { ToonloraError } from '../../../errors.js';
import { GENERATED_KINDS } from '../../../jobs/job-delete.js';
import type { Artifact, Job } from '../../../schemas/api.js';
import { operatorLine } from '../../plugins/errors.js';
import { type Leftover, removePaths } from '../loras/lora-files.js';

/** Whether `artifact` is a generated image (an image or a sweep's grid). */
function isGenerated(artifact: Artifact): boolean {
  return (GENERATED_KINDS as readonly string[]).includes(artifact.kind);
}

/** The 404 for an artifact that is not a generated image: what it is, and the delete that takes it. */
export function notGeneratedImage(artifact: Artifact): ToonloraError {
  const [what, how] =
    artifact.kind === 'lora'
      ? ['a LoRA', `A LoRA is deleted with DELETE /api/loras/${artifact.id} (the LoRA page's Delete).`]
      : ['a training sample', `A sample goes with its train job (DELETE /api/jobs/${artifact.jobId}).`];
  return new ToonloraError(
    'TL_ERR_NOT_FOUND',
    `artifact ${artifact.id} is ${what}, not a generated image; nothing was deleted. ${how}`,
    { details: { id: artifact.id } },
  );
}

/** The 409 for an image whose generate job is not done: it still writes the job's folder. */
export function imageJobNotDone(image: Artifact, job: Job): ToonloraError {
  return new ToonloraError(
    'TL_ERR_CONFLICT',
    `generated image ${image.name} (${image.id}) was made by generate job ${job.id}, which is ${job.status}: it is ` +
      'still writing its folder; nothing was deleted. Wait for it to end (or cancel it: the Cancel button on the ' +
      `Generate page, or POST /api/jobs/${job.id}/cancel), then delete the image.`,
    { details: { id: image.id, jobIds: [job.id] } },
  );
}

/** The server log's line for the file of a deleted image that stayed on disk. */
export function imageLeftoverLine(image: Artifact, leftovers: readonly Leftover[]): string {
  const list = leftovers.map((l) => `${l.path} (${l.error})`).join(', ');
  return `generated image ${image.name} (${image.id}) was deleted, but its file stays on disk: ${list}. Remove it by hand, or delete the generate job that made it.`;
}

/** The job that made `image`, when it is still stored. */
function jobOf(app: FastifyInstance, image: Artifact): Job | undefined {
  if (!image.jobId) return undefined;
  try {
    return app.jobStore.getJob(image.jobId);
  } catch {
    return undefined; // a job no longer stored writes nothing
  }
}

/**
 * Deletes generated image `id`: its row, then its file (one that stays is logged).
 * @throws ToonloraError TL_ERR_NOT_FOUND when unknown or not a generated image; TL_ERR_CONFLICT while its job is
 *   queued or running (nothing deleted)
 */
export async function deleteGeneratedImage(
  app: FastifyInstance,
  id: string,
  log: FastifyBaseLogger,
): Promise<void> {
  const image = app.catalog.getArtifact(id);
  if (!isGenerated(image)) throw notGeneratedImage(image);
  const job = jobOf(app, image);
  if (job && (job.status === 'queued' || job.status === 'running')) throw imageJobNotDone(image, job);
  // no await from the checks to the row's removal; the row first: once it is gone no page lists the image, so a
  // file that stays is only disk space (logged by path)
  const path = app.catalog.artifactFilePath(image.id);
  app.catalog.removeArtifact(image.id);
  const leftovers = await removePaths([path]);
  if (leftovers.length > 0)
    operatorLine(log, 'warn', { artifactId: image.id, leftovers }, imageLeftoverLine(image, leftovers));
}
