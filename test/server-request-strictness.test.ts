// test/server-request-strictness.test.ts — requests the routes never get as far as a handler with: every API route
// in /openapi.json refuses a query key it does not know (400, before, routes without a query schema ignored it:
// `DELETE /api/models/x?force=1` removed the model); a path that is not valid percent-encoding or a path part over
// fastify's length limit answers the documented `{error:{code,message}}` (before: fastify's own body).
import { describe, expect, it } from 'vitest';
import { queueOnlyApps } from './helpers/server-fixtures.js';

const newApp = queueOnlyApps('strict');

interface OpenApiOperation {
  parameters?: Array<{ in: string; name: string }>;
}

describe('request strictness', () => {
  it('every /api route in /openapi.json answers 400 to an unknown query key', async () => {
    const app = await newApp();
    const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, OpenApiOperation>>;
    };
    const checked: string[] = [];
    for (const [path, operations] of Object.entries(spec.paths)) {
      if (!path.startsWith('/api/')) continue;
      for (const [method, operation] of Object.entries(operations)) {
        const url = `${path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000')}?zzunknown=1`;
        const res = await app.inject({ method: method.toUpperCase() as 'GET', url });
        const label = `${method.toUpperCase()} ${path}`;
        expect(res.statusCode, label).toBe(400);
        expect(res.json().error.code, label).toBe('TL_ERR_USAGE');
        const takesQuery = (operation.parameters ?? []).some((p) => p.in === 'query');
        if (!takesQuery) expect(res.json().error.message, label).toContain('query.zzunknown: unknown key');
        checked.push(label);
      }
    }
    expect(checked).toContain('DELETE /api/models/{id}');
    expect(checked).toContain('GET /api/upload-limits');
    expect(checked.length).toBeGreaterThan(30);
  }, 60_000);

  it('DELETE /api/models/x?force=1 is refused, naming the key', async () => {
    const app = await newApp();
    const res = await app.inject({ method: 'DELETE', url: '/api/models/u2net?force=1' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: {
        code: 'TL_ERR_USAGE',
        message:
          'invalid request: query.force: unknown key; this route takes no query parameters. Nothing was done; remove it.',
        details: { fields: ['query.force'] },
      },
    });
  });

  it('a path that is not valid percent-encoding, or one too long, answers {error:{code,message}}', async () => {
    const app = await newApp();
    for (const url of ['/api/models/%ZZ', '/api/datasets/%ZZ', '/api/jobs/%E0%A4%A']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(400);
      expect(res.json(), url).toEqual({
        error: {
          code: 'TL_ERR_USAGE',
          message: `GET ${url}: not a valid URL (a path part is not valid percent-encoding: encode "%" as %25).`,
        },
      });
    }
    const long = await app.inject({ method: 'GET', url: `/api/models/${'a'.repeat(5000)}` });
    expect(long.statusCode).toBeGreaterThanOrEqual(400);
    expect(long.statusCode).toBeLessThan(500);
    expect(long.json().error.code).toBe('TL_ERR_USAGE');
    expect(long.json().error.message).toContain('(5012 characters)');
    expect(long.body.length).toBeLessThan(400);
  });
});
