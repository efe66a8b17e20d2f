// src/server/routes/models/index.ts — GET /api/base-models: the base models a train / generate job may
// name and whether each is on the server's disk, so the web app can say so before a job fails on it: the
// registry's, the SD1.5 bases pulled by Hub id (complete ones only), and tiny.
import type { FastifyInstance } from 'fastify';
import { baseModelChoices } from '../../../models/base-model.js';
import type { CacheOptions } from '../../../models/cache.js';
import { describePulledHubModels } from '../../../models/model-status.js';
import { baseModelListSchema } from '../../../schemas/api.js';
import { apiBaseModelChoices } from '../../api-base-model.js';
import { zodRoute } from '../../route-schema.js';

export default async function modelRoutes(
  app: FastifyInstance,
  options: { modelCache?: CacheOptions },
): Promise<void> {
  app.get(
    '/api/base-models',
    { schema: zodRoute({ response: { 200: baseModelListSchema }, tags: ['models'] }) },
    async () => ({
      baseModels: apiBaseModelChoices(
        baseModelChoices(options.modelCache),
        describePulledHubModels(options.modelCache),
      ),
    }),
  );
}
