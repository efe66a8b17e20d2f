// src/server/routes/health/index.ts — GET /api/health: liveness, version, whether a token is required. (DELETE
// /api/session, the web app's "Forget token", lives beside POST /api/session in plugins/auth.ts.)
import type { FastifyInstance } from 'fastify';
import { healthSchema } from '../../../schemas/api.js';
import { zodRoute } from '../../route-schema.js';

export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/api/health',
    { schema: zodRoute({ response: { 200: healthSchema }, tags: ['health'] }) },
    async () => ({
      ok: true,
      version: '0.1.0',
      auth: app.authRequired,
    }),
  );
}
