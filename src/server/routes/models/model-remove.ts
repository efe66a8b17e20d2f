// src/server/routes/models/model-remove.ts — DELETE /api/models/:id: removes a model from the server's disk as
// `toonlora models rm` does (src/models/remove.ts), refused (409) while a pull of it runs here or in another process,
// or while a queued or running job uses it: a train / generate job whose base it is, and any prep job for the
// models prep uses (a prep job picks its models among those present when it runs).
import type { FastifyInstance } from 'fastify';
import { ToonloraError } from '../../../errors.js';
import { registryBaseModelId } from '../../../models/base-model.js';
import { parseHubBase } from '../../../models/base-revision.js';
import type { CacheOptions } from '../../../models/cache.js';
import { getModelEntry, MODEL_REGISTRY } from '../../../models/registry.js';
import { removeModel, removeTargetOf, targetName } from '../../../models/remove.js';
import type { RemoveTarget } from '../../../models/remove-plan.js';
import { errorResponseSchema } from '../../../schemas/api.js';
import type { Job } from '../../../schemas/api-jobs.js';
import { DEFAULT_BASE_MODEL } from '../../../schemas/config.js';
import { modelIdParamsSchema, modelRemovedSchema } from '../../../schemas/models-api.js';
import { type ZodRouteTypes, zodRoute } from '../../route-schema.js';
import type { ModelPulls } from './model-pulls.js';

/**
 * The base model a train or generate job names (`params.training.baseModel` / `params.generation.baseModel`; the
 * default base when its params leave it out, as the job's schema fills it in).
 */
function jobBaseModel(job: Pick<Job, 'kind' | 'params'>): string {
  const section = job.params[job.kind === 'train' ? 'training' : 'generation'];
  const base = (section as { baseModel?: unknown } | undefined)?.baseModel;
  return typeof base === 'string' ? base : DEFAULT_BASE_MODEL;
}

/**
 * Whether `job` (queued or running) needs `target`'s files: its base is the model (a registry base by id or repo;
 * a Hub repo at any revision, for a removal of one revision too), or it is a prep job and the model one of prep's.
 * Pure.
 */
export function jobUsesModel(job: Pick<Job, 'kind' | 'params'>, target: RemoveTarget): boolean {
  if (job.kind === 'prep') {
    return (
      MODEL_REGISTRY.has(target.id) &&
      getModelEntry(target.id).stages.some((stage) => stage.startsWith('prep'))
    );
  }
  const base = jobBaseModel(job);
  if (target.origin === 'registry') return registryBaseModelId(base) === target.id;
  return (parseHubBase(base)?.repo ?? base) === target.id;
}

export function registerModelRemove(
  app: FastifyInstance,
  options: { cache: CacheOptions; pulls: ModelPulls },
): void {
  app.withTypeProvider<ZodRouteTypes>().delete(
    '/api/models/:id',
    {
      schema: zodRoute({
        params: modelIdParamsSchema,
        response: {
          200: modelRemovedSchema,
          400: errorResponseSchema,
          404: errorResponseSchema,
          409: errorResponseSchema,
        },
        summary:
          "Remove a model from the server's disk (`toonlora models rm`): a registry model's files, a Hub repo (`owner%2Fname`) whole or one revision (`owner%2Fname@v1.0`); answers the bytes freed. 409 while a pull of it or a job using it runs",
        tags: ['models'],
      }),
    },
    async (request) => {
      const target = removeTargetOf(request.params.id);
      const name = targetName(target);
      if (options.pulls.isRunning(target.id)) {
        throw new ToonloraError(
          'TL_ERR_CONFLICT',
          `${name}: a pull of it is running; nothing was removed. Cancel the pull (or let it finish), then remove it.`,
          { details: { model: name } },
        );
      }
      const active = [
        ...app.jobStore.listJobs({ status: 'running' }),
        ...app.jobStore.listJobs({ status: 'queued' }),
      ];
      const users = active.filter((job) => jobUsesModel(job, target));
      if (users.length > 0) {
        throw new ToonloraError(
          'TL_ERR_CONFLICT',
          `${name}: ${users.length === 1 ? 'a job uses it' : `${users.length} jobs use it`} (${users.map((job) => `${job.kind} job ${job.id}, ${job.status}`).join('; ')}); nothing was removed. Remove it once they end, or cancel them.`,
          { details: { model: name, jobs: users.map((job) => job.id) } },
        );
      }
      try {
        const removed = await removeModel(target, options.cache);
        options.pulls.forget(target.id);
        return removed;
      } catch (error) {
        // not on disk: nothing to delete here, as for any other missing resource
        if (error instanceof ToonloraError && error.code === 'TL_ERR_MODEL_MISSING')
          throw new ToonloraError('TL_ERR_NOT_FOUND', error.message, { details: { ...error.details } });
        throw error;
      }
    },
  );
}
