// src/server/route-schema.test.ts — a request zod refuses answers a 400 in jobs/issue-lines.ts's words (a value
// nested 100 000 deep echoed by its first 60 characters, not a stack overflow: a 500); and a handler's request types
// are those of the zod schemas its zodRoute declares (ZodRouteTypes).
import Fastify from 'fastify';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { ToonloraError } from '../errors.js';
import { datasetItemPatchSchema, idParamsSchema, jobEventsQuerySchema } from '../schemas/api.js';
import { jsonSchemaOf, type ZodRouteTypes, zodRoute, zodValidatorCompiler } from './route-schema.js';

describe('zodValidatorCompiler', () => {
  it('refuses a request in words naming the field and the first characters of its value', () => {
    const validate = zodValidatorCompiler({
      schema: jsonSchemaOf(z.array(z.string())),
      httpPart: 'body',
      method: 'POST',
      url: '/things',
    });
    const deep = JSON.parse(`[${'['.repeat(100_000)}${']'.repeat(100_000)}]`);
    const { error } = validate(deep) as { error?: ToonloraError };
    expect(error?.code).toBe('TL_ERR_USAGE');
    expect(error?.message).toBe(
      `invalid request: body.0: expected text (a quoted string), got ${'['.repeat(60)}.`,
    );
    expect(error?.details).toEqual({ fields: ['body.0'] });
  });
});

describe('ZodRouteTypes', () => {
  it("types params, query and body as the parsed output of the route's own schemas", async () => {
    const app = Fastify();
    app.setValidatorCompiler(zodValidatorCompiler);
    app.withTypeProvider<ZodRouteTypes>().patch(
      '/things/:id',
      {
        schema: zodRoute({
          params: idParamsSchema,
          querystring: jobEventsQuerySchema,
          body: datasetItemPatchSchema,
        }),
      },
      async (request) => {
        // checked by tsc: a schema change changes these types, nothing is written twice
        expectTypeOf(request.params).toEqualTypeOf<z.output<typeof idParamsSchema>>();
        expectTypeOf(request.query).toEqualTypeOf<{ after: number }>();
        expectTypeOf(request.body).toEqualTypeOf<z.output<typeof datasetItemPatchSchema>>();
        return { id: request.params.id, after: request.query.after, caption: request.body.caption };
      },
    );
    app.withTypeProvider<ZodRouteTypes>().get('/plain', { schema: zodRoute({}) }, async (request) => {
      expectTypeOf(request.params).toBeUnknown();
      expectTypeOf(request.body).toBeUnknown();
      return {};
    });
    const res = await app.inject({
      method: 'PATCH',
      url: '/things/t1?after=3',
      payload: { caption: '  mina_tl, girl  ' },
    });
    // the values are the schemas' output too: the query coerced to a number, the caption trimmed
    expect(res.json()).toEqual({ id: 't1', after: 3, caption: 'mina_tl, girl' });
    await app.close();
  });
});
