// src/server/plugins/queue.ts — decorates the app with the job queue (embedded by default) and its
// runners; starts it when the server is ready, or when `startServer` has bound the port (marking jobs
// a dead process left running as interrupted), and stops it on close (running jobs end interrupted, resumable).
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { EmbeddedJobQueue } from '../../jobs/embedded-queue.js';
import type { JobQueue, JobRunners } from '../../jobs/job-queue.js';
import { createDefaultRunners, type RunnerDeps } from '../../jobs/runners/default-runners.js';
import { reportInternalError } from './errors.js';

export interface QueuePluginOptions {
  /** Replace the runners (tests); default: prep, train and generate from the product modules. */
  runners?: JobRunners | ((deps: RunnerDeps) => JobRunners);
  /** Jobs at the same time (default 1: one GPU job at a time). */
  concurrency?: number;
  /** Leave `queue.start()` to the caller (`startServer`, once the port is bound) instead of onReady. */
  deferStart?: boolean;
}

async function queuePlugin(app: FastifyInstance, options: QueuePluginOptions): Promise<void> {
  const deps: RunnerDeps = { catalog: app.catalog, dataDir: app.dataDir, generation: app.generation };
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
  });
  app.decorate('queue', queue);
  if (!options.deferStart) app.addHook('onReady', async () => queue.start());
  app.addHook('preClose', async () => queue.close());
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
