// test/server-openapi-worker-headers.test.ts — GET /openapi.json of a `serve --remote-workers` server documents the
// worker protocol headers on every /api/worker route: each request must send them (header parameters), each reply
// carries them (response headers), as the routes really do; so a worker written by someone else can learn of them.
import { describe, expect, it } from 'vitest';
import { PROTOCOL_HEADER, VERSION_HEADER, WORKER_PROTOCOL } from '../src/jobs/remote/protocol.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('openapi-worker-headers');

interface Operation {
  parameters: { name: string; in: string; required: boolean; description?: string }[];
  responses: Record<string, { headers?: Record<string, { description: string }> }>;
}

describe('openapi: the remote worker protocol headers', () => {
  it('are documented on every /api/worker operation, request and reply, and the replies carry them', async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 60_000, jobs: 1 } });
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const operations = Object.entries(doc.paths as Record<string, Record<string, Operation>>)
      .filter(([path]) => path.startsWith('/api/worker/'))
      .flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => [`${method} ${path}`, op] as const),
      );
    expect(operations.map(([name]) => name).sort()).toEqual([
      'get /api/worker/leases/{id}/checkpoint',
      'post /api/worker/claim',
      'post /api/worker/leases/{id}/checkpoint',
      'post /api/worker/leases/{id}/complete',
      'post /api/worker/leases/{id}/events',
      'post /api/worker/leases/{id}/fail',
      'post /api/worker/leases/{id}/samples',
    ]);
    for (const [name, op] of operations) {
      const headers = op.parameters.filter((p) => p.in === 'header');
      expect(
        headers.map((p) => [p.name, p.required]),
        name,
      ).toEqual([
        [PROTOCOL_HEADER, true],
        [VERSION_HEADER, false],
      ]);
      expect(headers[0]?.description, name).toContain(`this server's: ${WORKER_PROTOCOL}`);
      for (const [status, response] of Object.entries(op.responses)) {
        // the token check answers 401 / 429 before these routes run: those replies carry no protocol headers
        expect(Object.keys(response.headers ?? {}), `${name} ${status}`).toEqual(
          expect.arrayContaining([PROTOCOL_HEADER, VERSION_HEADER]),
        );
      }
    }
    expect(
      Object.keys(doc.paths['/api/worker/leases/{id}/checkpoint'].get.responses['200'].headers),
    ).toContain('x-checkpoint-step');
    // as documented: a refused request (no protocol header) and an accepted one both carry them
    for (const headers of [{}, { [PROTOCOL_HEADER]: String(WORKER_PROTOCOL), [VERSION_HEADER]: '0.0.0' }]) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/worker/claim',
        headers,
        payload: { worker: 'w1', waitS: 0 },
      });
      expect(res.statusCode).toBe(Object.keys(headers).length ? 204 : 400);
      expect(res.headers[PROTOCOL_HEADER]).toBe(String(WORKER_PROTOCOL));
      expect(typeof res.headers[VERSION_HEADER]).toBe('string');
    }
  });
});
