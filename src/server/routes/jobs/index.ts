// src/server/routes/jobs/index.ts — /api/jobs: submit (prep / train / generate), list, get, cancel,
// resume, delete a finished one (src/jobs/job-delete.ts; a generate job with its images: `?withImages=true`), the
// event log as JSON, and live progress as server-sent events.
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { ToonloraError } from '../../../errors.js';
import { resolveDataPath } from '../../../jobs/data-path.js';
import { datasetListed } from '../../../jobs/dataset-listed.js';
import { trainingCopyRel } from '../../../jobs/training-copy.js';
import { deleteWithFolders } from '../../../jobs/deleted-folders.js';
import { deleteFinishedJob } from '../../../jobs/job-delete.js';
import { canTransition, isFinalStatus } from '../../../jobs/job-state.js';
import { checkStoredJobParams } from '../../../jobs/stored-job-params.js';
import {
  errorResponseSchema,
  idParamsSchema,
  type JobCreate,
  type JobEvent,
  jobCreateSchema,
  jobEventListSchema,
  jobEventsQuerySchema,
  jobListQuerySchema,
  jobListSchema,
  jobRequestLengthIssue,
  jobSchema,
} from '../../../schemas/api.js';
import { jobDeleteQuerySchema } from '../../../schemas/api-job-delete.js';
import { checkApiBaseModel } from '../../api-base-model.js';
import { openEventStream } from '../../event-stream.js';
import { withArticle } from '../artifacts/index.js';
import { operatorLine } from '../../plugins/errors.js';
import { type ZodRouteTypes, zodRoute } from '../../route-schema.js';
import { followJobLive, liveSse } from './live-events.js';

/** A train / generate job names its base model; over the API only ids are accepted, never server paths. */
function checkJobBaseModel(body: JobCreate): void {
  if (body.kind === 'train') checkApiBaseModel('params.training.baseModel', body.params.training.baseModel);
  if (body.kind === 'generate') {
    checkApiBaseModel('params.generation.baseModel', body.params.generation.baseModel);
  }
}

/** Checks that what a job names exists and belongs to its character, before it is queued. */
function checkJobReferences(app: FastifyInstance, body: JobCreate): void {
  app.catalog.getCharacter(body.characterId);
  const owned = (what: string, ownerId: string, id: string) => {
    if (ownerId !== body.characterId) {
      throw new ToonloraError('TL_ERR_USAGE', `params.${what}: ${id} belongs to another character.`);
    }
  };
  if (body.kind === 'prep') {
    for (const imageId of body.params.imageIds ?? [])
      owned('imageIds', app.catalog.getImage(imageId).characterId, imageId);
    if ((body.params.imageIds?.length ?? app.catalog.listImages(body.characterId).length) === 0) {
      throw new ToonloraError(
        'TL_ERR_USAGE',
        'prep: the character has no screenshots yet; upload some first.',
      );
    }
  } else if (body.kind === 'train') {
    const dataset = app.catalog.getDataset(body.params.datasetId);
    owned('datasetId', dataset.characterId, dataset.id);
    if (dataset.itemCount - dataset.excludedCount === 0) {
      throw new ToonloraError(
        'TL_ERR_USAGE',
        `params.datasetId: dataset ${dataset.id} has no included images.`,
      );
    }
  } else if (body.params.loraId) {
    const lora = app.catalog.getArtifact(body.params.loraId);
    if (lora.kind !== 'lora')
      throw new ToonloraError(
        'TL_ERR_USAGE',
        `params.loraId: ${lora.id} is ${withArticle(lora.kind)}, not a LoRA.`,
      );
    owned('loraId', lora.characterId, lora.id);
  }
}

/** The 409 for a resume of train job `jobId` whose dataset version `datasetId` was deleted: `why` says what keeps it
 * from training, `instead` what the user can do. */
function deletedVersionRefusal(
  jobId: string,
  datasetId: string,
  why: string,
  instead: string,
): ToonloraError {
  return new ToonloraError(
    'TL_ERR_CONFLICT',
    `train job ${jobId} cannot be resumed: its dataset version ${datasetId} was deleted, and ${why}. ${instead}`,
    { details: { id: jobId, datasetId } },
  );
}

/**
 * A train job resumed after its dataset version was deleted trains on the training copy of it this server keeps
 * (`jobs/<id>/train-data`, written by a local run; train-runner.ts). Refused, in words, when there is no such copy
 * (the job would start from no images), and on a `--remote-workers` server, whose workers download the version
 * itself and never see that copy (before, the resume was let through and the workers' download failed). A job that
 * cannot be resumed at all (succeeded, queued, running) is left to the queue's 409, which says why.
 * @throws ToonloraError TL_ERR_CONFLICT naming the version, why, and what to do instead
 */
export function checkResumeDataset(app: FastifyInstance, jobId: string): void {
  const job = app.queue.getJob(jobId);
  if (!canTransition(job.kind, job.status, 'queued')) return;
  const datasetId = String(job.params.datasetId ?? '');
  if (datasetListed(app.catalog, datasetId)) return;
  const copy = trainingCopyRel(job.id);
  if (!existsSync(resolveDataPath(app.dataDir, copy))) {
    throw deletedVersionRefusal(
      job.id,
      datasetId,
      `no training copy of it is kept on the server (${copy})`,
      'Start a new train job on another version (the Train page).',
    );
  }
  if (!app.remoteBoard) return;
  throw deletedVersionRefusal(
    job.id,
    datasetId,
    'this server hands train jobs to remote workers (--remote-workers), which download the dataset version; the ' +
      `training copy the server keeps (${copy}) is only trained on by a server that trains jobs itself`,
    'Restart the server without --remote-workers to resume the job from that copy on this machine, or start a new ' +
      'train job on another version (the Train page).',
  );
}

/**
 * A resume of a job whose settings an older toonlora allowed and today's rules refuse would only fail again: refused
 * before it is queued, in the runner's words (stored-job-params.ts). A job that cannot be resumed at all is left to
 * the queue's 409.
 * @throws ToonloraError TL_ERR_CONFLICT naming each refused field and its value, and that a new job is the fix
 */
function checkResumeSettings(app: FastifyInstance, jobId: string): void {
  const job = app.queue.getJob(jobId);
  if (canTransition(job.kind, job.status, 'queued')) checkStoredJobParams(job);
}

/** One stored job event as a server-sent event (its seq as the `id:`, for Last-Event-ID). */
function jobEventSse(event: JobEvent): string {
  return `id: ${event.seq}\nevent: ${event.body.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export default async function jobRoutes(app: FastifyInstance): Promise<void> {
  const routes = app.withTypeProvider<ZodRouteTypes>();
  routes.post(
    '/api/jobs',
    {
      schema: zodRoute({
        body: jobCreateSchema,
        response: {
          201: jobSchema,
          400: errorResponseSchema,
          404: errorResponseSchema,
          429: errorResponseSchema,
          503: errorResponseSchema,
        },
        tags: ['jobs'],
      }),
      // before zod fills in the default steps, which would hide that the body gave both steps and epochs
      preValidation: async (request) => {
        const issue = jobRequestLengthIssue(request.body);
        if (issue) {
          throw new ToonloraError('TL_ERR_USAGE', `invalid request: ${issue.field}: ${issue.message}`, {
            details: { fields: [issue.field] },
          });
        }
      },
    },
    async (request, reply) => {
      checkJobBaseModel(request.body);
      checkJobReferences(app, request.body);
      const { kind, characterId, params } = request.body;
      return reply.status(201).send(app.queue.submit(kind, characterId, params as Record<string, unknown>));
    },
  );

  routes.get(
    '/api/jobs',
    {
      schema: zodRoute({ querystring: jobListQuerySchema, response: { 200: jobListSchema }, tags: ['jobs'] }),
    },
    async (request) => ({ jobs: app.queue.listJobs(request.query) }),
  );

  routes.get(
    '/api/jobs/:id',
    {
      schema: zodRoute({
        params: idParamsSchema,
        response: { 200: jobSchema, 404: errorResponseSchema },
        tags: ['jobs'],
      }),
    },
    async (request) => {
      const job = app.queue.getJob(request.params.id);
      // a remote train job: which worker holds it (or none yet), how long it has been silent
      const remote = job.status === 'running' ? app.remoteBoard?.remoteState(job.id) : undefined;
      return remote ? { ...job, remote } : job;
    },
  );

  routes.post(
    '/api/jobs/:id/cancel',
    {
      schema: zodRoute({
        params: idParamsSchema,
        response: { 200: jobSchema, 404: errorResponseSchema, 409: errorResponseSchema },
        tags: ['jobs'],
      }),
    },
    async (request) => app.queue.cancel(request.params.id),
  );

  routes.post(
    '/api/jobs/:id/resume',
    {
      schema: zodRoute({
        params: idParamsSchema,
        response: {
          200: jobSchema,
          404: errorResponseSchema,
          409: errorResponseSchema,
          429: errorResponseSchema,
          503: errorResponseSchema,
        },
        summary:
          'Resume a stopped train job from its last checkpoint (409 for prep / generate jobs: submit them again, and for a train job whose dataset version was deleted when the server keeps no training copy of it, or hands train jobs to remote workers, which do not use that copy)',
        tags: ['jobs'],
      }),
    },
    async (request) => {
      checkResumeDataset(app, request.params.id);
      checkResumeSettings(app, request.params.id);
      return app.queue.resume(request.params.id);
    },
  );

  routes.delete(
    '/api/jobs/:id',
    {
      schema: zodRoute({
        params: idParamsSchema,
        querystring: jobDeleteQuerySchema,
        noContent: true,
        response: { 404: errorResponseSchema, 409: errorResponseSchema },
        summary:
          "Deletes a finished job (succeeded, failed, cancelled, interrupted): its row, its log and its folder (samples, checkpoints, staging; a generate job's images with `withImages=true`). 409 while it is queued or running (cancel it first; after a cancel, while it is still stopping: delete it once it shows cancelled), and while a dataset version, LoRA or (without `withImages=true`) generated image it made is still listed (delete that first). 204 once the rows are gone: a folder that cannot be removed is logged, and removed at the next start",
        tags: ['jobs'],
      }),
    },
    async (request, reply) => {
      const { id } = request.params;
      const withImages = request.query.withImages === 'true';
      // the job is gone whatever happens next: a folder left is named, and the next start removes it
      deleteWithFolders(
        app.catalog.db,
        app.dataDir,
        { kind: 'job', id },
        {
          deleteRows: () =>
            deleteFinishedJob(app.catalog.db, id, { withImages, cancelAskedAt: app.queue.cancelAskedAt(id) }),
          folderLeft: (fields, line) => operatorLine(app.log, 'warn', fields, line),
        },
      );
      return reply.code(204).send();
    },
  );

  routes.get(
    '/api/jobs/:id/events',
    {
      schema: zodRoute({
        params: idParamsSchema,
        querystring: jobEventsQuerySchema,
        response: { 200: jobEventListSchema },
        tags: ['jobs'],
      }),
    },
    async (request) => {
      app.queue.getJob(request.params.id);
      return { events: app.queue.listEvents(request.params.id, request.query.after) };
    },
  );

  routes.get(
    '/api/jobs/:id/stream',
    {
      schema: zodRoute({
        params: idParamsSchema,
        querystring: jobEventsQuerySchema,
        summary:
          "Server-sent events: status, progress (step, loss, it/s, eta), samples; and, not stored (no id), a queued job's place (`queue`) and a remote train job's worker (`remote`) when they change; ends when the job stops",
        tags: ['jobs'],
      }),
    },
    async (request, reply) => {
      const job = app.queue.getJob(request.params.id);
      const lastId = Number(request.headers['last-event-id'] ?? Number.NaN);
      let after = Number.isInteger(lastId) ? lastId : request.query.after;
      const stream = openEventStream(reply);
      let live = false;
      const send = (event: JobEvent) => {
        if (event.seq <= after || stream.ended) return;
        after = event.seq;
        stream.write(jobEventSse(event));
        if (live && event.body.type === 'status' && isFinalStatus(event.body.status)) stream.end();
      };
      stream.onEnd(app.queue.subscribe(job.id, send));
      for (const event of app.queue.listEvents(job.id, after)) send(event);
      live = true;
      // after the stored events: the queue place / remote worker as they are now, then as they change
      stream.onEnd(
        followJobLive(app, job.id, (body) =>
          stream.write(liveSse({ jobId: job.id, at: new Date().toISOString(), body })),
        ),
      );
      if (isFinalStatus(app.queue.getJob(job.id).status)) stream.end();
    },
  );
}
