// test/helpers/model-pull-polls.ts — for the server's model-pull tests: a pull's state read through the web
// API (GET /api/models/:id/pull, the id's `/` sent as %2F), and polling it until the pull has ended.
import type { FastifyInstance } from 'fastify';
import { expect, vi } from 'vitest';
import type { ModelPull } from '../../src/schemas/models-api.js';

/** The pull of model or Hub repo `id`, as GET /api/models/:id/pull answers it. */
export async function pullOf(app: FastifyInstance, id: string): Promise<ModelPull> {
  return (await app.inject({ method: 'GET', url: `/api/models/${encodeURIComponent(id)}/pull` })).json();
}

/** Polls the pull of `id` (every 25 ms, 10 s at most) until it is no longer running or stopping. */
export async function pullEnded(app: FastifyInstance, id: string): Promise<ModelPull> {
  return vi.waitFor(
    async () => {
      const pull = await pullOf(app, id);
      expect(pull.status, `${id}: the pull did not end`).not.toMatch(/^(running|stopping)$/);
      return pull;
    },
    { timeout: 10_000, interval: 25 },
  );
}
