// src/server/routes/models/model-remove.ts — DELETE /api/models/:id: removes a model from the server's disk as
// `toonlora models rm` does (src/models/remove.ts), refused (409) while a pull of it runs here or in another process,
// or while a queued or running job uses it: a train / generate job whose base it is (not one a remote worker runs),
// and any prep job for the models prep uses (a prep job picks its models among those present when it runs); 404 when
// it is not on disk, checked first. Also keeps this server's in-use marker, which `toonlora models rm` reads.
import type { FastifyInstance } from 'fastify';
import { ToonloraError } from '../../../errors.js';
import { currentLockOwner } from '../../../host/lock-owner.js';
import type { CacheOptions } from '../../../models/cache.js';
import { rootsOf } from '../../../models/pull-options.js';
import { assertPresent, removeModel, removeTargetOf, targetName } from '../../../models/remove.js';
import {
  type ModelUser,
  removeDeadInUseMarkers,
  removeInUseMarker,
  userNeedsModel,
  writeInUseMarker,
} from '../../../models/remove-in-use.js';
import type { RemoveTarget } from '../../../models/remove-plan.js';
import { errorResponseSchema } from '../../../schemas/api.js';
import type { Job } from '../../../schemas/api-jobs.js';
import { DEFAULT_BASE_MODEL } from '../../../schemas/config.js';
import { modelIdParamsSchema, modelRemovedSchema } from '../../../schemas/models-api.js';
import { reportInternalError } from '../../plugins/errors.js';
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

/** A job as remove-in-use.ts records it: id, kind, status and, for train / generate, its base. Pure. */
export function modelUserOf(job: Pick<Job, 'id' | 'kind' | 'status' | 'params'>): ModelUser {
  return job.kind === 'prep'
    ? { id: job.id, kind: job.kind, status: job.status }
    : { id: job.id, kind: job.kind, status: job.status, base: jobBaseModel(job) };
}

/**
 * Whether `job` (queued or running) needs `target`'s files: its base is the model (a registry base by id or repo;
 * a Hub repo at any revision, for a removal of one revision too), or it is a prep job and the model one of prep's.
 * Pure.
 */
export function jobUsesModel(job: Pick<Job, 'kind' | 'params'>, target: RemoveTarget): boolean {
  return userNeedsModel(modelUserOf({ id: '', status: 'queued', ...job }), target);
}

/**
 * The queued and running jobs that read models on this machine: with `--remote-workers` a train job runs on a
 * worker, which pulls its base itself, so it needs nothing of the server's.
 */
function localModelUsers(app: FastifyInstance, remoteTrain: boolean): Job[] {
  return [
    ...app.jobStore.listJobs({ status: 'running' }),
    ...app.jobStore.listJobs({ status: 'queued' }),
  ].filter((job) => !(remoteTrain && job.kind === 'train'));
}

/**
 * Keeps this server's in-use marker (remove-in-use.ts) in step with its jobs, so `toonlora models rm` in another
 * process refuses a model one of them needs: written when the server is ready, then at each job creation or
 * status change the job store commits (JobStore.onChange), before that call returns, so the marker is never
 * behind the queue (a job just created is in it before its reply goes; a job that ended is out of it before
 * anything else runs); removed when the server closes. Rewritten only when the set of model users changed.
 */
function keepInUseMarker(app: FastifyInstance, cache: CacheOptions, remoteTrain: boolean): void {
  const home = rootsOf(cache).toonloraHome;
  const owner = currentLockOwner();
  let written = '';
  const sync = (): void => {
    const jobs = localModelUsers(app, remoteTrain).map(modelUserOf);
    const text = JSON.stringify(jobs);
    if (text === written) return;
    try {
      if (jobs.length === 0) removeInUseMarker(home, owner);
      else writeInUseMarker(home, { owner, dataDir: app.dataDir, jobs });
      written = text;
    } catch (error) {
      // a read-only home: `models rm` cannot remove anything there either
      reportInternalError(app, 'writing the models in-use marker', error);
      written = text;
    }
  };
  let stopFollowing: (() => void) | undefined;
  app.addHook('onReady', async () => {
    try {
      removeDeadInUseMarkers(home); // a killed server's marker would stay forever
    } catch (error) {
      reportInternalError(app, 'removing the in-use markers of killed servers', error);
    }
    stopFollowing = app.jobStore.onChange(sync);
    sync();
  });
  app.addHook('preClose', async () => {
    stopFollowing?.();
    removeInUseMarker(home, owner);
  });
}

/** Not on disk: nothing to delete here, a 404 as for any other missing resource; any other error as it is. */
function notFound(error: unknown): unknown {
  return error instanceof ToonloraError && error.code === 'TL_ERR_MODEL_MISSING'
    ? new ToonloraError('TL_ERR_NOT_FOUND', error.message, { details: { ...error.details } })
    : error;
}

export function registerModelRemove(
  app: FastifyInstance,
  options: { cache: CacheOptions; pulls: ModelPulls; remoteTrain?: boolean },
): void {
  keepInUseMarker(app, options.cache, options.remoteTrain ?? false);
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
      try {
        assertPresent(target, options.cache); // not on disk: 404, whatever uses it
      } catch (error) {
        throw notFound(error);
      }
      const users = localModelUsers(app, options.remoteTrain ?? false).filter((job) =>
        jobUsesModel(job, target),
      );
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
        throw notFound(error);
      }
    },
  );
}
