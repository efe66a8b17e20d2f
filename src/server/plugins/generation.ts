// src/server/plugins/generation.ts — decorates the app with the warm generation service (one worker
// that keeps the base model loaded between requests) and stops it on shutdown.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { GenerationService } from '../../jobs/generation-service.js';

export interface GenerationPluginOptions {
  /** The service to use; undefined: generate jobs are not available. */
  generation?: GenerationService;
}

async function generationPlugin(app: FastifyInstance, options: GenerationPluginOptions): Promise<void> {
  app.decorate('generation', options.generation ?? null);
  app.addHook('onClose', async () => {
    await options.generation?.close();
  });
}

declare module 'fastify' {
  interface FastifyInstance {
    generation: GenerationService | null;
  }
}

export default fp(generationPlugin, { name: 'toonlora-generation', fastify: '5.x' });
