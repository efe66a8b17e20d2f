// src/server/routes/models/pulls.ts — /api/models: every registry model with what it is for, its size and
// whether it is on the server's disk (the facts of `toonlora models list`), then the SD1.5 bases by Hub id, and
// pulling one from the web app (start, read, cancel, progress as server-sent events) and removing one (model-remove.ts), a registry model or any
// Hub repo `owner/name` (its `/` URL-encoded in the path) as `toonlora models pull` takes them. Decorates the app with `modelPulls` (model-pulls.ts
// says why pulls are not jobs), which `stopServer` closes first; on close, pulls stop and their streams end.
import { statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { homedir } from 'node:os';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ToonloraError } from '../../../errors.js';
import { type CacheOptions, findModelFile } from '../../../models/cache.js';
import { hfHubCacheFor, hfRepoDir } from '../../../models/cache-paths.js';
import {
  describeModel,
  describePulledHubModels,
  type ModelStatus,
  onlyAtRevisions,
} from '../../../models/model-status.js';
import { snapshotFilesOnDisk } from '../../../models/part-files.js';
import { getModelEntry, listModelIds } from '../../../models/registry.js';
import { errorResponseSchema } from '../../../schemas/api.js';
import {
  type ModelPull,
  type ModelRow,
  modelIdParamsSchema,
  modelListSchema,
  modelPullQuerySchema,
  modelPullSchema,
} from '../../../schemas/models-api.js';
import { endEventStream, openEventStream } from '../../event-stream.js';
import { reportInternalError } from '../../plugins/errors.js';
import { type ZodRouteTypes, zodRoute } from '../../route-schema.js';
import { ModelPulls, type PullOverrides } from './model-pulls.js';
import { registerModelRemove } from './model-remove.js';
import { diskStateOf } from './pull-state.js';
import { pullTargetOf } from './pull-target.js';

export interface ModelPullRouteOptions {
  modelCache?: CacheOptions;
  /** Tests: a fake Hub's fetch, free space, fewer retries. */
  pullOverrides?: PullOverrides;
  /** `--remote-workers`: train jobs run on workers, so they keep no base of this server's in use. */
  remoteTrain?: boolean;
}

/** `models list`'s facts of a model as a row of the Models page. */
function rowOf(
  status: ModelStatus,
  disk: Pick<ModelRow, 'state' | 'downloadedBytes' | 'partBytes' | 'origin'>,
  pull: ModelPull | null,
): ModelRow {
  return {
    id: status.id,
    description: status.description,
    stages: status.stages,
    source: status.source,
    license: status.license,
    sizeBytes: status.sizeBytes,
    ...disk,
    ...(status.broken === undefined ? {} : { broken: status.broken }),
    ...(status.path === undefined ? {} : { path: status.path }),
    // every ref pulled, main too: without main listed the page could not tell a repo pulled only at v1.0
    ...(status.revisions === undefined ? {} : { revisions: status.revisions }),
    manualPath: status.manualPath,
    whenMissing: status.whenMissing,
    pull,
  };
}

/**
 * The row of registry model `id`: `models list`'s facts, its disk state (a stopped pull's `.part` files make it
 * partial, with the bytes on disk so far) and its latest pull here; what stops working without it in the web
 * app's words (registry.ts webWhenMissing).
 */
function modelRow(id: string, cache: CacheOptions, pull: ModelPull | null): ModelRow {
  const status = describeModel(id, cache);
  const entry = getModelEntry(id);
  const registryFound = entry.source.files.flatMap((file) => findModelFile(id, file.path, cache) ?? []);
  // a snapshot's files count only in a complete folder there: those of a stopped pull are looked for apart
  const found = registryFound.length > 0 ? registryFound : snapshotFilesOnDisk(entry, cache);
  const partBytes = status.partBytes ?? 0;
  const filesBytes = status.present ? 0 : found.reduce((sum, path) => sum + statSync(path).size, 0);
  const state = diskStateOf(status, found.length);
  const downloadedBytes = state === 'complete' ? 0 : filesBytes + partBytes;
  // the web app's words for what stops working (its fields' labels), not `models list`'s CLI flags
  const row = rowOf(status, { state, downloadedBytes, partBytes, origin: 'registry' }, pull);
  return { ...row, whenMissing: entry.webWhenMissing };
}

/**
 * The row of an SD1.5 base by Hub id found in the HF cache: complete, or partial with what a stopped pull left; one
 * pulled only at other refs than main is missing (the bare id is main, not on disk), its `revisions` the bases it is.
 */
function hubRow(status: ModelStatus, pull: ModelPull | null): ModelRow {
  // a stopped pull: partial, with the bytes on disk that the next pull resumes from
  const bytes = status.present ? 0 : (status.partBytes ?? 0);
  const state = onlyAtRevisions(status) !== undefined ? 'missing' : status.present ? 'complete' : 'partial';
  return rowOf(status, { state, downloadedBytes: bytes, partBytes: bytes, origin: 'hub' }, pull);
}

/**
 * What a Hub repo pulled here with nothing of it on disk is, by its pull: one under way is checked to be an SD1.5
 * base before any weights; a refused / failed or stopped one is no base (a refused SDXL repo, a 404 or 401 read
 * "SD1.5 base … for --base" before), with the pull's error on the row.
 */
export function hubAttemptFacts(
  repo: string,
  pull: Pick<ModelPull, 'status'>,
): {
  description: string;
  whenMissing: string;
} {
  switch (pull.status) {
    case 'running':
    case 'stopping':
      return {
        description: `Hub repo ${repo}, being pulled: checked to be an SD1.5 base (diffusers layout) before any weights download`,
        whenMissing: `training and generating on ${repo}, once the pull completes`,
      };
    case 'failed':
      return {
        description: `Hub repo ${repo}: its pull was refused or failed (the reason is below); it is not a base on this server`,
        whenMissing: 'nothing: it is not a base here',
      };
    case 'succeeded':
      return {
        description: `Hub repo ${repo}: pulled, but none of its files are in the server's Hugging Face cache now`,
        whenMissing: `training and generating on ${repo} need it`,
      };
    default:
      return {
        description: `Hub repo ${repo}: its pull stopped before any file was kept; it is not a base on this server yet`,
        whenMissing: `training and generating on ${repo} need it pulled`,
      };
  }
}

/** The row of a Hub repo pulled in this server with nothing of it on disk yet (starting, refused, failed). */
function hubPullRow(repo: string, cache: CacheOptions, pull: ModelPull): ModelRow {
  const hubCache = hfHubCacheFor(cache.env ?? process.env, cache.homeDir ?? homedir());
  const status: ModelStatus = {
    id: repo,
    ...hubAttemptFacts(repo, pull),
    stages: ['train', 'generate'],
    source: `huggingface:${repo}@main`,
    license: 'see its model card',
    present: false,
    sizeBytes: 0,
    manualPath: hfRepoDir(hubCache, repo),
  };
  const row = rowOf(status, { state: 'missing', downloadedBytes: 0, partBytes: 0, origin: 'hub' }, pull);
  return { ...row, pullAttempt: true };
}

/** The Models page's rows: the registry's, the Hub-id bases on disk, then Hub repos pulled here not on disk. */
function modelRows(cache: CacheOptions, pulls: ModelPulls): ModelRow[] {
  const registry = listModelIds().map((id) => modelRow(id, cache, pulls.get(id)));
  const onDisk = describePulledHubModels(cache).map((status) => hubRow(status, pulls.get(status.id)));
  const listed = new Set([...registry, ...onDisk].map((row) => row.id));
  const pulledHere = pulls
    .ids()
    .filter((id) => !listed.has(id))
    .map((id) => hubPullRow(id, cache, pulls.get(id) as ModelPull));
  return [...registry, ...onDisk, ...pulledHere];
}

function isFinal(pull: ModelPull): boolean {
  return pull.status !== 'running' && pull.status !== 'stopping';
}

/** One state of a pull as a server-sent event (its seq as the `id:`). */
function pullSse(pull: ModelPull): string {
  return `id: ${pull.seq}\nevent: pull\ndata: ${JSON.stringify(pull)}\n\n`;
}

function noPull(id: string): ToonloraError {
  return new ToonloraError(
    'TL_ERR_NOT_FOUND',
    `model ${id}: no pull since the server started. POST /api/models/${encodeURIComponent(id)}/pull starts one.`,
    { details: { model: id } },
  );
}

async function modelPullRoutes(app: FastifyInstance, options: ModelPullRouteOptions): Promise<void> {
  const cache = options.modelCache ?? {};
  const pulls = new ModelPulls({
    cache,
    overrides: options.pullOverrides,
    logInternal: (what, error) => reportInternalError(app, what, error),
  });
  app.decorate('modelPulls', pulls);
  const streams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    await pulls.close();
    for (const raw of streams) endEventStream(raw);
  });
  const routes = app.withTypeProvider<ZodRouteTypes>();
  const idParams = { params: modelIdParamsSchema, tags: ['models'] };

  routes.get(
    '/api/models',
    {
      schema: zodRoute({
        response: { 200: modelListSchema },
        summary:
          'Every registry model (what it is for, size, on disk: complete / partial / missing, its pull), then the SD1.5 bases by Hub id (on disk, or pulled here)',
        tags: ['models'],
      }),
    },
    async () => ({ models: modelRows(cache, pulls) }),
  );

  routes.post(
    '/api/models/:id/pull',
    {
      schema: zodRoute({
        ...idParams,
        querystring: modelPullQuerySchema,
        response: {
          200: modelPullSchema,
          202: modelPullSchema,
          404: errorResponseSchema,
          503: errorResponseSchema,
        },
        summary:
          'Start pulling a model (202), or get the pull of it already running (200): a registry id, or any Hub repo `owner/name` (`/` as %2F) pulled as an SD1.5 base, at `?revision=` (a branch, tag or commit sha; default main); a repo that is not SD1.5 fails before any weights',
      }),
    },
    async (request, reply) => {
      const { pull, created } = pulls.start(request.params.id, request.query.revision);
      return reply.status(created ? 202 : 200).send(pull);
    },
  );

  registerModelRemove(app, { cache, pulls, remoteTrain: options.remoteTrain });

  routes.get(
    '/api/models/:id/pull',
    { schema: zodRoute({ ...idParams, response: { 200: modelPullSchema, 404: errorResponseSchema } }) },
    async (request) => {
      const { id } = pullTargetOf(request.params.id);
      const pull = pulls.get(id);
      if (!pull) throw noPull(id);
      return pull;
    },
  );

  routes.delete(
    '/api/models/:id/pull',
    {
      schema: zodRoute({
        ...idParams,
        response: { 200: modelPullSchema, 404: errorResponseSchema, 409: errorResponseSchema },
        summary: 'Cancel a running pull; its partial file is kept and the next pull resumes it',
      }),
    },
    async (request) => pulls.cancel(request.params.id),
  );

  routes.get(
    '/api/models/:id/pull/stream',
    {
      schema: zodRoute({
        ...idParams,
        summary: 'Server-sent `pull` events (the whole pull each time, bytes and rate); ends when it ends',
      }),
    },
    async (request, reply) => {
      const { id } = pullTargetOf(request.params.id);
      const first = pulls.get(id);
      if (!first) throw noPull(id);
      const stream = openEventStream(reply);
      streams.add(stream.raw);
      stream.onEnd(() => streams.delete(stream.raw));
      let lastSeq = 0;
      const send = (pull: ModelPull) => {
        if (pull.seq <= lastSeq || stream.ended) return;
        lastSeq = pull.seq;
        stream.write(pullSse(pull));
        if (isFinal(pull)) stream.end();
      };
      stream.onEnd(pulls.subscribe(id, send));
      send(pulls.get(id) as ModelPull);
    },
  );
}

declare module 'fastify' {
  interface FastifyInstance {
    modelPulls: ModelPulls;
  }
}

export default fp(modelPullRoutes, {
  name: 'toonlora-model-pulls',
  fastify: '5.x',
  dependencies: ['toonlora-errors', 'toonlora-store'],
});
