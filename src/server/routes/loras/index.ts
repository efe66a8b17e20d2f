// src/server/routes/loras/index.ts — deleting a LoRA (DELETE /api/loras/:id): refused while a queued or running
// generate job uses it, or while the train job that made it has not ended; else its row goes, then its files
// (lora-files.ts: the file, the converted copies a download kept beside it, a trained LoRA's adapter and checkpoints
// in its run folder) and the diffusers-format copies generation made under TOONLORA_HOME, and the warm generation
// worker unloads it. A trained LoRA's run folder gets a note that it was deleted (src/jobs/lora-deleted-note.ts)
// before any file goes: a resume of its train job reads it and has nothing to continue from. The job that trained
// it keeps its history (samples, loss, log), and its log says the LoRA was deleted. A file that cannot be removed
// is logged by path; the delete still answers 204, as the LoRA is gone. The other LoRA routes (list, upload,
// download, inspect) are in routes/artifacts/.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { ToonloraError } from '../../../errors.js';
import { noteLoraDeleted } from '../../../jobs/lora-deleted-note.js';
import { loraDeletedLine } from '../../../jobs/runners/train-runner.js';
import { removeLoraCopies } from '../../../worker/lora-copies.js';
import type { CacheOptions } from '../../../models/cache.js';
import type { Artifact, Job } from '../../../schemas/api.js';
import { errorResponseSchema, idParamsSchema } from '../../../schemas/api.js';
import { type ZodRouteTypes, zodRoute } from '../../route-schema.js';
import { type Leftover, loraFiles, removePaths, runWeightPaths, trainRunFolder } from './lora-files.js';

/**
 * The 409 for a LoRA that generate jobs not done yet use: which ones, and what to do first. The message is the API's
 * (it names the cancel route); `details.jobs` (each job's id, character and status) lets the web app word it as
 * its pages are: the LoRA page says to cancel on the Generate page (web/src/components/lora-delete-refusal.ts).
 */
export function loraInUse(lora: Artifact, jobs: readonly Job[]): ToonloraError {
  const list = jobs.map((j) => `generate job ${j.id} (${j.status})`).join(', ');
  const cancel =
    jobs.length === 1
      ? `Cancel it (POST /api/jobs/${jobs[0]?.id}/cancel) or let it finish`
      : 'Cancel them (POST /api/jobs/<id>/cancel) or let them finish';
  return new ToonloraError(
    'TL_ERR_CONFLICT',
    `LoRA ${lora.name} (${lora.id}) is used by a job that is not done: ${list}. ${cancel}, then delete the LoRA.`,
    {
      details: {
        jobIds: jobs.map((j) => j.id),
        jobs: jobs.map((j) => ({ id: j.id, characterId: j.characterId, status: j.status })),
      },
    },
  );
}

/** The 409 for a LoRA whose train job has not ended (it records the LoRA, then frees its checkpoints' training
 * state, or it was resumed): its run folder is still being written. */
export function loraStillTraining(lora: Artifact, job: Job): ToonloraError {
  return new ToonloraError(
    'TL_ERR_CONFLICT',
    `LoRA ${lora.name} (${lora.id}) was made by train job ${job.id}, which is ${job.status}: it is still writing ` +
      'its run folder. Wait for it to end (or cancel it), then delete the LoRA.',
    { details: { jobIds: [job.id] } },
  );
}

/** The server log's line for the files a delete left on disk. */
export function leftoversMessage(lora: Artifact, leftovers: readonly Leftover[]): string {
  const list = leftovers.map((l) => `${l.path} (${l.error})`).join(', ');
  return `LoRA ${lora.name} (${lora.id}) was deleted, but ${leftovers.length === 1 ? 'this file stays' : 'these files stay'} on disk: ${list}. Remove ${leftovers.length === 1 ? 'it' : 'them'} by hand.`;
}

export interface LoraRouteOptions {
  /** Where generation keeps a LoRA's diffusers-format copies (the app's `modelCache`; default this process's). */
  modelCache?: CacheOptions;
}

function trainJobOf(app: FastifyInstance, lora: Artifact): Job | undefined {
  if (!lora.jobId) return undefined;
  try {
    const job = app.jobStore.getJob(lora.jobId);
    return job.kind === 'train' ? job : undefined;
  } catch {
    return undefined; // a job no longer stored holds nothing open
  }
}

/** Leaves the note that the LoRA of the train run in `runDir` was deleted (lora-deleted-note.ts); never throws: a note
 * that cannot be written is logged (a resume then decides from what is left of checkpoints/). */
function noteDeletedInRun(lora: Artifact, runDir: string, log: FastifyBaseLogger): void {
  try {
    noteLoraDeleted(runDir, lora);
  } catch (error) {
    log.warn(
      { loraId: lora.id, err: error },
      `LoRA ${lora.name} (${lora.id}): the note that it was deleted could not be written in ${runDir}; a resume of ` +
        'the job that made it is refused only once its checkpoints are gone.',
    );
  }
}

/** Removes the LoRA's files (a trained one's run weights too) and logs what stays; never throws. */
async function removeLoraFiles(
  lora: Artifact,
  path: string,
  runDir: string | null,
  log: FastifyBaseLogger,
): Promise<void> {
  const storedFormat = typeof lora.meta.format === 'string' ? lora.meta.format : 'kohya';
  const paths = [...loraFiles(path, storedFormat), ...(runDir ? await runWeightPaths(runDir) : [])];
  const leftovers = await removePaths(paths);
  if (leftovers.length > 0) log.warn({ loraId: lora.id, leftovers }, leftoversMessage(lora, leftovers));
}

export default async function loraRoutes(
  app: FastifyInstance,
  options: LoraRouteOptions = {},
): Promise<void> {
  const routes = app.withTypeProvider<ZodRouteTypes>();
  routes.delete(
    '/api/loras/:id',
    {
      schema: zodRoute({
        params: idParamsSchema,
        noContent: true,
        response: { 404: errorResponseSchema, 409: errorResponseSchema },
        summary:
          "Deletes a LoRA: its file, the converted copies downloads kept, the diffusers-format copies generation made and, for a trained LoRA, its run's adapter and checkpoints; the job that trained it stays in the history with its samples, loss and log. 409 while a queued or running generate job uses it, or while its train job has not ended",
        tags: ['loras'],
      }),
    },
    async (request, reply) => {
      const lora = app.catalog.getArtifact(request.params.id);
      if (lora.kind !== 'lora')
        throw new ToonloraError(
          'TL_ERR_NOT_FOUND',
          `artifact ${lora.id} is not a LoRA; nothing was deleted.`,
        );
      // no await from the look-up of the jobs to the row's removal: a generate job sent meanwhile either is seen
      // here or finds the LoRA gone when it starts. Rows of the same file (data kept from before one row per file)
      // go with it, so their jobs hold it too.
      const rows = new Set(app.catalog.sameFileLoraIds(lora.id));
      const using = (['running', 'queued'] as const)
        .flatMap((status) => app.jobStore.listJobs({ kind: 'generate', status }))
        .filter((job) => rows.has(String(job.params.loraId)));
      if (using.length > 0) throw loraInUse(lora, using);
      const train = trainJobOf(app, lora);
      if (train && (train.status === 'running' || train.status === 'queued'))
        throw loraStillTraining(lora, train);
      const path = app.catalog.artifactFilePath(lora.id);
      const runDir = trainRunFolder(app.dataDir, lora.jobId, path);
      // the row first: once it is gone no one lists or uses the LoRA, so a file that stays is only disk space
      // (logged by path), and the user gets the 204 of a delete that is done; with it, before any await, the note
      // that a resume of its train job reads (checkpoints/ may be half removed, or stay, when the resume comes)
      app.catalog.removeArtifact(lora.id);
      if (runDir) noteDeletedInRun(lora, runDir, request.log);
      // the Train page's log of the job that made it says why its weights are gone (and why a resume is refused);
      // before any await too: the job itself may be deleted meanwhile (it lists nothing now), its events with it
      if (train)
        app.jobStore.appendEvent(train.id, {
          type: 'log',
          level: 'info',
          message: loraDeletedLine(lora.name),
        });
      // the warm generation worker lets go of it too (its memory; no request can name it any more)
      app.generation?.forgetLora?.(path);
      await removeLoraFiles(lora, path, runDir, request.log);
      // no job uses the LoRA (the 409 above), so no worker request is loading these copies; a cache left behind is
      // only disk space (the row and the file are gone), so it does not fail the delete
      await removeLoraCopies(path, options.modelCache).catch((error: unknown) =>
        request.log.warn({ err: error }, 'removing the diffusers copies of a deleted LoRA failed'),
      );
      return reply.code(204).send();
    },
  );
}
