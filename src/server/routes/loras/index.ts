// src/server/routes/loras/index.ts — deleting a LoRA (DELETE /api/loras/:id): refused while a queued or running
// generate job uses it; else its row and its file go (with the converted copies a download kept beside it, and the
// diffusers-format copies generation made under TOONLORA_HOME), and the job that trained it keeps its history. The other LoRA routes (list, upload, download, inspect) are in
// routes/artifacts/.
import { rm } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { ToonloraError } from '../../../errors.js';
import { removeLoraCopies } from '../../../worker/lora-copies.js';
import type { CacheOptions } from '../../../models/cache.js';
import type { Artifact, Job } from '../../../schemas/api.js';
import { errorResponseSchema, idParamsSchema, loraFormatSchema } from '../../../schemas/api.js';
import { loraCopyPath } from '../../lora-downloads.js';
import { type ZodRouteTypes, zodRoute } from '../../route-schema.js';

/** The 409 for a LoRA that generate jobs not done yet use: which ones, and what to do first. */
export function loraInUse(lora: Artifact, jobs: readonly Job[]): ToonloraError {
  const list = jobs.map((j) => `generate job ${j.id} (${j.status})`).join(', ');
  const cancel =
    jobs.length === 1
      ? `Cancel that job (the Cancel button by its status, or POST /api/jobs/${jobs[0]?.id}/cancel) or let it finish`
      : 'Cancel those jobs (the Cancel button by each status, or POST /api/jobs/<id>/cancel) or let them finish';
  return new ToonloraError(
    'TL_ERR_CONFLICT',
    `LoRA ${lora.name} (${lora.id}) is used by a job that is not done: ${list}. ${cancel}, then delete the LoRA.`,
    { details: { jobIds: jobs.map((j) => j.id) } },
  );
}

/** The stored file of a LoRA and every converted copy a download may have kept beside it (a peft folder too). */
export function loraFiles(path: string, storedFormat: string): string[] {
  const copies = loraFormatSchema.options.map((format) => loraCopyPath(path, format, storedFormat));
  return [...new Set([path, ...copies])];
}

export interface LoraRouteOptions {
  /** Where generation keeps a LoRA's diffusers-format copies (the app's `modelCache`; default this process's). */
  modelCache?: CacheOptions;
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
          'Deletes a LoRA: its file, the converted copies downloads kept and the diffusers-format copies generation made; the job that trained it stays in the history. 409 while a queued or running generate job uses it',
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
      // here or finds the LoRA gone when it starts
      const using = (['running', 'queued'] as const)
        .flatMap((status) => app.jobStore.listJobs({ kind: 'generate', status }))
        .filter((job) => job.params.loraId === lora.id);
      if (using.length > 0) throw loraInUse(lora, using);
      const path = app.catalog.artifactFilePath(lora.id);
      app.catalog.removeArtifact(lora.id);
      const storedFormat = typeof lora.meta.format === 'string' ? lora.meta.format : 'kohya';
      for (const file of loraFiles(path, storedFormat)) await rm(file, { recursive: true, force: true });
      // no job uses the LoRA (the 409 above), so no worker request is loading these copies; a cache left behind is
      // only disk space (the row and the file are gone), so it does not fail the delete
      await removeLoraCopies(path, options.modelCache).catch((error: unknown) =>
        request.log.warn({ err: error }, 'removing the diffusers copies of a deleted LoRA failed'),
      );
      return reply.code(204).send();
    },
  );
}
