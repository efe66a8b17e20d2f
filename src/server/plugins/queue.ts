// src/server/plugins/queue.ts — decorates the app with the job queue (embedded by default) and its
// runners; starts it when the server is ready, or when `startServer` has bound the port (marking jobs
// a dead process left running as interrupted, and removing the temporary copies a prep job among them left,
// the partial dataset of a prep job that ended without one, upload files a killed server never recorded, and the
// folders a character's or a job's delete moved aside but did not remove, the half-written training copies of train
// jobs; and saying how many characters/ and jobs/ folders
// the database does not list),
// and stops it on close (running jobs end interrupted, resumable, within the queue's bounded wait), then ends
// the job event streams still open, which would hold the close up.
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jobIdsWithDataset } from '../../jobs/catalog/datasets.js';
import { EmbeddedJobQueue } from '../../jobs/embedded-queue.js';
import type { JobQueue, JobRunners } from '../../jobs/job-queue.js';
import { createDefaultRunners, type RunnerDeps } from '../../jobs/runners/default-runners.js';
import { describeFreedLeftovers, removeEndedPrepLeftovers } from '../../jobs/runners/prep-leftovers.js';
import { describeDeletedFoldersSweep, sweepDeletedFolders } from '../../jobs/deleted-folders.js';
import { describeTrainingCopyLeftovers, settleTrainingCopyLeftovers } from '../../jobs/training-copy.js';
import { removeStartUploadLeftovers } from '../../jobs/upload-leftovers.js';
import { describeUnlistedFolders, findUnlistedFolders } from '../../jobs/upload-leftovers-unlisted.js';
import type { CacheOptions } from '../../models/cache.js';
import type { Job } from '../../schemas/api.js';
import { SERVE_DEFAULTS } from '../../schemas/serve-defaults.js';
import { endEventStream } from '../event-stream.js';
import { operatorLine, reportInternalError } from './errors.js';

export interface QueuePluginOptions {
  /** Replace the runners (tests); default: prep, train and generate from the product modules. */
  runners?: JobRunners | ((deps: RunnerDeps) => JobRunners);
  /** Jobs at the same time (default 1: one GPU job at a time). */
  concurrency?: number;
  /** Leave `queue.start()` to the caller (`startServer`, once the port is bound) instead of onReady. */
  deferStart?: boolean;
  /** How long closing waits for running jobs to stop before killing them (default SHUTDOWN_GRACE_MS). */
  shutdownGraceMs?: number;
  /** Jobs that may wait queued at once (default SERVE_DEFAULTS.maxQueued); one more is answered 429. */
  maxQueued?: number;
  /** Where the runners look for models: the app's `modelCache` (default this process's environment). */
  modelCache?: CacheOptions;
}

/** The job event stream route (routes/jobs): its replies stay open while their job is queued or running. */
const EVENT_STREAM_ROUTE = '/api/jobs/:id/stream';

/** Removes what the ended prep jobs among `jobs` left in their job folders and says what it freed. */
function removeStartLeftovers(app: FastifyInstance, jobs: readonly Job[], leftRunning: boolean): void {
  const withDataset = jobIdsWithDataset(app.catalog.db);
  for (const freed of removeEndedPrepLeftovers(app.dataDir, jobs, withDataset, leftRunning)) {
    operatorLine(app.log, 'info', {}, describeFreedLeftovers(freed));
  }
}

async function queuePlugin(app: FastifyInstance, options: QueuePluginOptions): Promise<void> {
  const deps: RunnerDeps = {
    catalog: app.catalog,
    dataDir: app.dataDir,
    generation: app.generation,
    ...(options.modelCache ? { modelCache: options.modelCache } : {}),
  };
  const runners =
    typeof options.runners === 'function'
      ? options.runners(deps)
      : (options.runners ?? createDefaultRunners(deps));
  const queue: JobQueue = new EmbeddedJobQueue({
    store: app.jobStore,
    runners,
    concurrency: options.concurrency,
    // the job's error says "see the server log": without --log that is stderr, as for failed requests
    log: (message, error) => reportInternalError(app, message, error),
    shutdownGraceMs: options.shutdownGraceMs,
    maxQueued: options.maxQueued ?? SERVE_DEFAULTS.maxQueued,
    // a server killed mid-prep (kill -9) left that job's copied inputs: nothing else would remove them
    onStartInterrupted: (jobs) => removeStartLeftovers(app, jobs, true),
  });
  // prep jobs that ended cancelled or failed (or interrupted, at an earlier start) without a dataset may have
  // left their partial dataset (an older toonlora kept it); nothing runs yet and the store's lock is held
  try {
    removeStartLeftovers(app, app.jobStore.listJobs({ kind: 'prep' }), false);
  } catch (error) {
    reportInternalError(app, 'start: removing what ended prep jobs left', error);
  }
  // a server killed mid-upload left the screenshots and LoRAs it had written (and marked) but not recorded; no
  // request is served yet. A file without its mark stays, whatever the database says: a new or older database
  // forgot it, at most.
  try {
    for (const line of removeStartUploadLeftovers(app.catalog.db, app.dataDir, Date.now())) {
      operatorLine(app.log, 'info', {}, line);
    }
  } catch (error) {
    reportInternalError(app, 'start: removing unrecorded uploads', error);
  }
  // the folders a character's or a job's delete moved aside (`.deleted-…`) and could not remove, or a crash cut short:
  // the user's deleted data, removed now (put back when the rows' delete never committed); never counted below
  try {
    for (const { level, line } of describeDeletedFoldersSweep(
      sweepDeletedFolders(app.catalog.db, app.dataDir),
    )) {
      operatorLine(app.log, level, {}, line);
    }
  } catch (error) {
    reportInternalError(app, 'start: removing the folders of deleted characters and jobs', error);
  }
  // a train job's training copy a killed server was writing (`jobs/<id>/.train-data.partial`): never trained on, the
  // next run writes it again; the previous copy it had moved aside (`.train-data.old`): put back where `train-data`
  // is missing (killed between the renames), else removed
  try {
    for (const { level, line } of describeTrainingCopyLeftovers(settleTrainingCopyLeftovers(app.dataDir))) {
      operatorLine(app.log, level, {}, line);
    }
  } catch (error) {
    reportInternalError(app, 'start: settling the training copies a stopped server was replacing', error);
  }
  // characters/ and jobs/ folders this database does not list (a new, emptied or older toonlora.db): said, kept
  try {
    const unlisted = findUnlistedFolders(app.catalog.db, app.dataDir);
    const line = describeUnlistedFolders(unlisted, app.dataDir);
    if (line) operatorLine(app.log, 'warn', { unlisted }, line);
  } catch (error) {
    reportInternalError(app, 'start: counting the folders the database does not list', error);
  }
  app.decorate('queue', queue);
  if (!options.deferStart) app.addHook('onReady', async () => queue.start());
  const streams = new Set<ServerResponse>();
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url !== EVENT_STREAM_ROUTE) return;
    const raw = reply.raw;
    streams.add(raw);
    raw.once('close', () => streams.delete(raw));
  });
  // `serve` closes the queue first (stopServer); here it is already closed then, and returns at once.
  app.addHook('preClose', async () => {
    await queue.close();
    // the streams of the jobs that just stopped have ended with their last status; the rest follow queued
    // (or finished) jobs and would stay open
    for (const raw of streams) endEventStream(raw);
  });
}

declare module 'fastify' {
  interface FastifyInstance {
    queue: JobQueue;
  }
}

export default fp(queuePlugin, {
  name: 'toonlora-queue',
  fastify: '5.x',
  dependencies: ['toonlora-errors', 'toonlora-store', 'toonlora-generation'],
});
