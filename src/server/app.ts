// src/server/app.ts — the toonlora HTTP app as a fastify plugin: named plugins provide the services
// (security headers, errors, auth, store, generation worker, queue, OpenAPI), routes/<resource>/ declare
// their schemas. server.ts only listens; tests build it with `buildApp` and use `inject`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyMultipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import { KILL_WAIT_MS, SHUTDOWN_GRACE_MS } from '../jobs/embedded-queue.js';
import type { GenerationService } from '../jobs/generation-service.js';
import type { JobRunners } from '../jobs/job-queue.js';
import { RemoteTrainBoard } from '../jobs/remote/lease-board.js';
import { oneLocalJobAtATime } from '../jobs/remote/local-slot.js';
import { createDefaultRunners, type RunnerDeps } from '../jobs/runners/default-runners.js';
import type { CacheOptions } from '../models/cache.js';
import { defaultLoraTools, type LoraTools } from './lora-tools.js';
import authPlugin from './plugins/auth.js';
import errorsPlugin, { frameworkErrorReply } from './plugins/errors.js';
import generationPlugin from './plugins/generation.js';
import openapiPlugin from './plugins/openapi.js';
import queuePlugin from './plugins/queue.js';
import refusedBodyPlugin from './plugins/refused-body.js';
import securityHeadersPlugin from './plugins/security-headers.js';
import storePlugin from './plugins/store.js';
import artifactRoutes from './routes/artifacts/index.js';
import characterRoutes from './routes/characters/index.js';
import datasetRoutes from './routes/datasets/index.js';
import healthRoutes from './routes/health/index.js';
import imageRoutes from './routes/images/index.js';
import jobRoutes from './routes/jobs/index.js';
import loraRoutes from './routes/loras/index.js';
import modelRoutes from './routes/models/index.js';
import modelPullRoutes from './routes/models/pulls.js';
import workerRoutes from './routes/workers/index.js';
import type { PullOverrides } from './routes/models/model-pulls.js';
import { type UploadLimits, uploadLimitsSchema } from '../schemas/api.js';

export interface AppOptions {
  /** Data folder: SQLite database + every stored file. */
  dataDir: string;
  /** Bearer token required on /api/ (required by `serve` beyond loopback). */
  token?: string;
  /** Upload limits; defaults in uploadLimitsSchema (src/schemas/api-characters.ts). */
  uploads?: Partial<UploadLimits>;
  /** Replace the job runners (tests): a table, or a function of the default runners' dependencies. */
  runners?: JobRunners | ((deps: RunnerDeps) => JobRunners);
  /** The warm generation service (defaults to none in the plugin; `serve` passes the real one). */
  generation?: GenerationService;
  /** LoRA inspect / convert (default: src/lora). */
  loraTools?: LoraTools;
  /** Jobs at the same time (default 1). */
  concurrency?: number;
  /** Jobs that may wait queued at once (default SERVE_DEFAULTS.maxQueued, `serve --max-queued`). */
  maxQueued?: number;
  /** Start the job queue only when the caller says (`startServer` after listening); default: on ready. */
  deferJobs?: boolean;
  /** Built web app folder (default web/dist of this checkout, when present). */
  webDir?: string;
  /**
   * Where the model routes and the job runners look for models (tests; default: TOONLORA_HOME and the HF cache of
   * this process's environment).
   */
  modelCache?: CacheOptions;
  /** Tests: how the web app's model pulls reach a fake Hub (fetch, free space, retries). */
  modelPulls?: PullOverrides;
  /** How long closing waits for running jobs to stop (a train job checkpoints) before killing them
   * (default SHUTDOWN_GRACE_MS, 60 s). */
  shutdownGraceMs?: number;
  /**
   * `serve --remote-workers`: train jobs wait for a `toonlora worker` to claim them over /api/worker (leases of
   * `leaseMs`, up to `jobs` train jobs offered at once); prep and generate still run here, one at a time.
   */
  remoteWorkers?: { leaseMs: number; jobs: number };
}

/** The default built web app folder: <repo>/web/dist. */
export const DEFAULT_WEB_DIR = join(import.meta.dirname, '..', '..', 'web', 'dist');

async function toonloraApp(app: FastifyInstance, options: AppOptions): Promise<void> {
  const limits = uploadLimitsSchema.parse(options.uploads ?? {});
  await app.register(securityHeadersPlugin); // first, so every reply has them, errors included
  await app.register(errorsPlugin);
  await app.register(refusedBodyPlugin); // a refusal of a body not read whole closes its connection 5 s on
  await app.register(openapiPlugin); // first, so it sees every /api/ route, POST /api/session included
  await app.register(authPlugin, { token: options.token });
  await app.register(storePlugin, { dataDir: options.dataDir });
  await app.register(generationPlugin, { generation: options.generation });
  const remote = options.remoteWorkers;
  const board = remote
    ? new RemoteTrainBoard({
        store: app.jobStore,
        catalog: app.catalog,
        dataDir: app.dataDir,
        leaseMs: remote.leaseMs,
      })
    : undefined;
  app.decorate('remoteBoard', board ?? null); // GET /api/jobs/:id says where a remote train job is
  await app.register(queuePlugin, {
    runners: board
      ? (deps: RunnerDeps) => ({ ...oneLocalJobAtATime(createDefaultRunners(deps)), train: board.runner })
      : options.runners,
    concurrency: remote ? remote.jobs + 1 : options.concurrency,
    deferStart: options.deferJobs,
    shutdownGraceMs: options.shutdownGraceMs,
    maxQueued: options.maxQueued,
    modelCache: options.modelCache, // the job runners look for models where the model routes do
  });
  // fastify parses text/plain bodies to a string by default: a JSON route then answered 400 "expected object,
  // received string" where /openapi.json declares 415. No route takes plain text, so without that parser every
  // body but JSON (and multipart, on the upload routes) gets fastify's 415.
  app.removeContentTypeParser('text/plain');
  await app.register(fastifyMultipart, {
    throwFileSizeLimit: false,
    limits: {
      fileSize: limits.maxFileBytes,
      files: limits.maxFiles,
      fields: 10,
      parts: limits.maxFiles + 10,
    },
  });
  await app.register(healthRoutes);
  await app.register(modelRoutes, { modelCache: options.modelCache });
  await app.register(modelPullRoutes, {
    modelCache: options.modelCache,
    pullOverrides: options.modelPulls,
    remoteTrain: Boolean(remote),
  });
  await app.register(characterRoutes);
  await app.register(imageRoutes, { limits });
  await app.register(datasetRoutes);
  await app.register(jobRoutes);
  if (board) await app.register(workerRoutes, { board, maxLoraBytes: limits.maxLoraBytes });
  await app.register(artifactRoutes, {
    loraTools: options.loraTools ?? defaultLoraTools,
    limits,
  });
  await app.register(loraRoutes, { modelCache: options.modelCache });
  const webDir = options.webDir ?? DEFAULT_WEB_DIR;
  if (existsSync(join(webDir, 'index.html'))) {
    await app.register(fastifyStatic, { root: webDir, prefix: '/', wildcard: false });
  } else {
    app.get('/', async (_request, reply) =>
      reply
        .type('text/plain')
        .send(`toonlora API is up; the web app is not built (${webDir} missing). Run: npm run build:web`),
    );
  }
}

/** The whole app as one plugin; its services (store, queue, ...) are visible to the caller's instance. */
export default fp(toonloraApp, { name: 'toonlora-app', fastify: '5.x' });

/**
 * Fastify's (avvio's) time limit for each plugin's start and for each close hook: past it, close() rejects
 * ("Plugin did not start in time") and goes on closing the store under a job still stopping. The queue's close
 * waits for running jobs (its grace, then a kill) within this limit.
 */
function pluginTimeoutFor(options: AppOptions): number {
  return (options.shutdownGraceMs ?? SHUTDOWN_GRACE_MS) + KILL_WAIT_MS + 10_000;
}

/** A fastify instance with the app registered (not listening). */
export async function buildApp(
  options: AppOptions,
  server: FastifyServerOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: 1_048_576,
    pluginTimeout: pluginTimeoutFor(options),
    frameworkErrors: frameworkErrorReply, // a bad URL answers {error:{code,message}} as every other error
    ...server,
  });
  await app.register(fp(toonloraApp, { name: 'toonlora-app', fastify: '5.x' }), options);
  return app;
}
