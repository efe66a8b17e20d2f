// test/server-openapi-auth.test.ts — /openapi.json of a server with a token declares what its token check
// answers on every /api route (401 missing / wrong token, 429 blocked after too many), and every route really
// answers a request without the token with 401; a server without a token declares no 401 (it never sends one).
import type { FastifyInstance, InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const TOKEN = 'a-token-of-16-chars-or-more';
const { makeApp } = appsClosedAfterEach('openapi-auth');

type Doc = { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };

async function documentOf(token?: string): Promise<{ app: FastifyInstance; doc: Doc }> {
  const app = await makeApp({ deferJobs: true, ...(token ? { token } : {}) });
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json', headers })).json() as Doc;
  return { app, doc };
}

describe('openapi: the token check’s statuses', () => {
  it('declares 401 and 429 on every /api route of a server with a token, and each answers 401 without it', async () => {
    const { app, doc } = await documentOf(TOKEN);
    let sent = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        expect(Object.keys(operation.responses), `${method} ${path}`).toEqual(
          expect.arrayContaining(['401', '429']),
        );
        const res = await app.inject({
          method: method.toUpperCase() as InjectOptions['method'],
          url: path.replace(/\{[^}]+\}/g, 'nobody'),
        });
        sent += 1;
        expect(res.statusCode, `${method} ${path}`).toBe(401);
        expect(res.json().error.code).toBe('TL_ERR_UNAUTHORIZED');
      }
    }
    expect(sent).toBeGreaterThan(30);
  });

  it('declares no 401 on a server without a token (POST /api/session keeps its own)', async () => {
    const { doc } = await documentOf();
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (path !== '/api/session') {
          expect(Object.keys(operation.responses), `${method} ${path}`).not.toContain('401');
        }
      }
    }
  });
});
