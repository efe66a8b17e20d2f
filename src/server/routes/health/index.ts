// src/server/routes/health/index.ts — GET /api/health: liveness, version, whether a token is required; and
// DELETE /api/session, the web app's "Forget token" (clears the HttpOnly session cookie POST /api/session set).
import type { FastifyInstance } from 'fastify';
import { errorResponseSchema, healthSchema } from '../../../schemas/api.js';
import { SESSION_COOKIE } from '../../plugins/auth.js';
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

  app.delete(
    '/api/session',
    {
      schema: zodRoute({
        noContent: true,
        response: { 401: errorResponseSchema },
        summary: 'Clears the web session cookie (needs the bearer token when the server has one)',
        tags: ['auth'],
      }),
    },
    async (request, reply) => {
      reply.clearCookie(SESSION_COOKIE, {
        path: '/api',
        httpOnly: true,
        sameSite: 'strict',
        secure: request.protocol === 'https',
      });
      return reply.code(204).send();
    },
  );
}
