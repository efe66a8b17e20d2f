// test/server-openapi-walk.test.ts — every route of /openapi.json is sent the requests any client can get wrong
// (an id that names nothing, an id over 64 characters, a query value outside its enum, a form body), and each
// answer's status must be one the document declares for that route; the `pattern`s compile without \p{...}.
import type { FastifyInstance, InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('openapi-walk');

interface Parameter {
  name: string;
  in: 'path' | 'query';
  schema: { enum?: unknown[]; default?: unknown };
}
interface Operation {
  parameters: Parameter[];
  responses: Record<string, unknown>;
}

/** The bad requests of one route: each path id missing or too long, each enum query param off its list, a form. */
function badRequests(path: string, method: string, operation: Operation): InjectOptions[] {
  // a path parameter with an enum (a dataset image's stage) takes its first value: only the ids name nothing
  const enumOf = (name: string) =>
    operation.parameters.find((p) => p.in === 'path' && p.name === name)?.schema.enum?.[0];
  const fill = (value: string) =>
    path.replace(/\{([^}]+)\}/g, (_, name: string) => String(enumOf(name) ?? value));
  const requests: InjectOptions[] = [];
  const upper = method.toUpperCase() as InjectOptions['method'];
  if (path.includes('{')) {
    requests.push({ method: upper, url: fill('nobody') }, { method: upper, url: fill('x'.repeat(65)) });
  }
  for (const parameter of operation.parameters.filter((p) => p.in === 'query' && p.schema.enum)) {
    requests.push({ method: upper, url: `${fill('nobody')}?${parameter.name}=zzz` });
  }
  if (method !== 'get') {
    requests.push({
      method: upper,
      url: fill('nobody'),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'name=Mina&trigger=mina_tl',
    });
  }
  return requests;
}

/** Every `pattern` string anywhere in the document. */
function patterns(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(patterns);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) =>
    key === 'pattern' && typeof child === 'string' ? [child] : patterns(child),
  );
}

/** An app with no runners (jobs stay queued), closed after the test. */
const walkApp = (): Promise<FastifyInstance> => makeApp({ deferJobs: true });

describe('openapi: every status a route answers is declared', () => {
  it('walks every route with the requests a client can get wrong', async () => {
    const app = await walkApp();
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, Operation>>;
    };
    const answered = new Set<string>();
    let sent = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const declared = Object.keys(operation.responses).map(Number);
        for (const request of badRequests(path, method, operation)) {
          const res = await app.inject(request);
          sent += 1;
          answered.add(`${method} ${path} ${res.statusCode}`);
          expect(declared, `${request.method} ${request.url} answered ${res.statusCode}`).toContain(
            res.statusCode,
          );
        }
      }
    }
    expect(sent).toBeGreaterThan(50);
    // the statuses a user probe found undeclared were really answered above (so the walk covers them)
    for (const seen of [
      'get /api/images/{id}/file 404',
      'get /api/artifacts/{id}/file 404',
      'get /api/datasets/{id}/zip 404',
      'get /api/datasets/{id}/items/{key}/{stage} 404',
      'get /api/jobs/{id}/stream 404',
      'get /api/jobs/{id}/events 404',
      'get /api/characters/{id} 400',
      'get /api/jobs/{id} 400',
      'get /api/jobs 400',
      'get /api/loras/{id}/download 400',
      'post /api/characters 415',
    ]) {
      expect(answered).toContain(seen);
    }
  });

  it('answers 415 to a text/plain body on every JSON route (it was a 400 "expected object, received string")', async () => {
    const app = await walkApp();
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<
        string,
        Record<string, Operation & { requestBody?: { content: Record<string, unknown> } }>
      >;
    };
    const jsonRoutes = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => operation.requestBody?.content['application/json'])
        .map(([method]) => [method, path.replace(/\{[^}]+\}/g, 'nobody')] as const),
    );
    expect(jsonRoutes.map(([method, url]) => `${method} ${url}`)).toContain('post /api/jobs');
    for (const [method, url] of jsonRoutes) {
      const res = await app.inject({
        method: method.toUpperCase() as InjectOptions['method'],
        url,
        headers: { 'content-type': 'text/plain' },
        payload: '{"kind":"prep","characterId":"nobody"}',
      });
      expect(res.statusCode, `${method} ${url}`).toBe(415);
      expect(res.json().error.code, `${method} ${url}`).toBe('TL_ERR_UNSUPPORTED_MEDIA');
    }
  });

  it('writes no \\p{...} class in a pattern, and every pattern compiles without the u flag', async () => {
    const app = await makeApp();
    const found = patterns((await app.inject({ method: 'GET', url: '/openapi.json' })).json());
    expect(found.length).toBeGreaterThan(0);
    for (const pattern of found) {
      expect(pattern).not.toMatch(/\\[pP]\{/);
      expect(() => new RegExp(pattern), pattern).not.toThrow();
    }
  });
});
