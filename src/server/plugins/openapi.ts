// src/server/plugins/openapi.ts — collects every route's JSON Schema as it is registered and serves
// the OpenAPI 3.1 document at /openapi.json, with the statuses the token check adds to every /api route, and the
// headers a route documents (`withHeaderDocs`: the remote workers' protocol headers, request and reply).
import type { FastifyInstance, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { errorResponseSchema } from '../../schemas/api.js';
import { TOONLORA_VERSION } from '../../version.js';
import { jsonSchemaOf, NO_CONTENT } from '../route-schema.js';

type Operation = Record<string, unknown>;

/** A header an operation documents: a request header parameter, or a header every reply of the route carries. */
export interface HeaderDoc {
  name: string;
  description: string;
  /** Request headers: whether the route refuses a request without it. */
  required?: boolean;
  schema: Record<string, unknown>;
}

/** The headers a route's requests send and its replies carry, for /openapi.json only (nothing is validated). */
export interface HeaderDocs {
  request: readonly HeaderDoc[];
  reply: readonly HeaderDoc[];
}

/** `schema` (a route's, e.g. from zodRoute) with `headers` documented in /openapi.json. */
export function withHeaderDocs<S extends object>(schema: S, headers: HeaderDocs): S {
  return { ...schema, headerDocs: headers };
}

const errorJsonSchema = jsonSchemaOf(errorResponseSchema, 'output');

/** `/api/jobs/:id` -> `/api/jobs/{id}` */
function toOpenApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** The operation's requestBody: the JSON body schema, the multipart form a route reads itself, or the one file a
 * route that `consumes` another type reads as it is (a remote worker's LoRA, its checkpoint zip). */
function requestBodyOf(schema: Record<string, Record<string, unknown> | undefined>): Operation {
  if (schema.multipartBody) {
    return {
      requestBody: { required: true, content: { 'multipart/form-data': { schema: schema.multipartBody } } },
    };
  }
  const consumes = (schema.consumes as unknown as string[] | undefined) ?? ['application/json'];
  if (!schema.body && consumes[0] !== 'application/json') {
    const file = { type: 'string', format: 'binary' };
    return { requestBody: { required: true, content: { [consumes[0] as string]: { schema: file } } } };
  }
  if (!schema.body) return {};
  return { requestBody: { content: { [consumes[0] as string]: { schema: schema.body } } } };
}

/** Methods whose request may carry a body: fastify answers 415 to one of a content type it has no parser for. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The error statuses every route of its kind can answer, whatever its handler declares: 400 when a request part is
 * validated (params, query, body), 404 when the path names something by id (it may not exist), 415 when the
 * method takes a body (an unparsed content type such as a form post).
 */
export function impliedErrorStatuses(
  method: string,
  url: string,
  schema: Readonly<Record<string, unknown>>,
): number[] {
  const statuses: number[] = [];
  if (schema.params || schema.querystring || schema.body || schema.multipartBody) statuses.push(400);
  if (url.includes(':')) statuses.push(404);
  if (BODY_METHODS.has(method)) statuses.push(415);
  return statuses;
}

/**
 * What the token check (auth.ts) answers on every /api route when the server has a token: 401 for a missing or
 * wrong token, 429 for an address blocked after too many wrong ones. Declared on each operation when the
 * document is asked for (the auth plugin loads after this one, so whether there is a token is known only then).
 */
export const AUTH_ERROR_STATUSES = [401, 429] as const;

function withAuthErrors(
  paths: Record<string, Record<string, Operation>>,
): Record<string, Record<string, Operation>> {
  const error = { content: { 'application/json': { schema: errorJsonSchema } } };
  return Object.fromEntries(
    Object.entries(paths).map(([path, operations]) => [
      path,
      Object.fromEntries(
        Object.entries(operations).map(([method, operation]) => {
          const responses = { ...(operation.responses as Record<string, unknown>) };
          for (const status of AUTH_ERROR_STATUSES) {
            responses[status] ??= { description: `HTTP ${status}`, ...error };
          }
          return [method, { ...operation, responses }];
        }),
      ),
    ]),
  );
}

function toOperation(route: RouteOptions, method: string): Operation {
  const schema = (route.schema ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const headerDocs = schema.headerDocs as unknown as HeaderDocs | undefined;
  const parameters: Operation[] = (headerDocs?.request ?? []).map((header) => ({
    name: header.name,
    in: 'header',
    required: header.required ?? false,
    description: header.description,
    schema: header.schema,
  }));
  for (const [where, part] of [
    ['path', schema.params],
    ['query', schema.querystring],
  ] as const) {
    const properties = (part?.properties ?? {}) as Record<string, unknown>;
    const required = (part?.required ?? []) as string[];
    for (const [name, property] of Object.entries(properties)) {
      parameters.push({
        name,
        in: where,
        required: where === 'path' || required.includes(name),
        schema: property,
      });
    }
  }
  const responses = Object.fromEntries(
    Object.entries((schema.response ?? {}) as Record<string, unknown>).map(([code, body]) => [
      code,
      body === NO_CONTENT
        ? { description: 'No Content' }
        : { description: `HTTP ${code}`, content: { 'application/json': { schema: body } } },
    ]),
  );
  // a route that documents only its errors (a file download) still answers 200
  const success = Object.keys(responses).some((code) => code.startsWith('2'))
    ? {}
    : { 200: { description: 'OK' } };
  for (const status of impliedErrorStatuses(method, route.url, schema)) {
    responses[status] ??= {
      description: `HTTP ${status}`,
      content: { 'application/json': { schema: errorJsonSchema } },
    };
  }
  const all = { ...success, ...responses } as Record<string, Record<string, unknown>>;
  if (headerDocs?.reply.length) {
    const headers = Object.fromEntries(
      headerDocs.reply.map((header) => [
        header.name,
        { description: header.description, schema: header.schema },
      ]),
    );
    for (const [code, response] of Object.entries(all)) all[code] = { ...response, headers };
  }
  return {
    ...(schema.summary ? { summary: schema.summary } : {}),
    ...(schema.tags ? { tags: schema.tags } : {}),
    parameters,
    ...requestBodyOf(schema),
    responses: all,
  };
}

async function openapiPlugin(app: FastifyInstance): Promise<void> {
  const paths: Record<string, Record<string, Operation>> = {};
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/')) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      const path = toOpenApiPath(route.url);
      paths[path] ??= {};
      (paths[path] as Record<string, Operation>)[method.toLowerCase()] = toOperation(route, method);
    }
  });
  app.get('/openapi.json', async () => ({
    openapi: '3.1.0',
    info: { title: 'toonlora', version: TOONLORA_VERSION },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    ...(app.authRequired ? { security: [{ bearer: [] }] } : {}),
    paths: app.authRequired ? withAuthErrors(paths) : paths,
  }));
}

// Registered before the auth plugin (it must see POST /api/session being added); it reads
// `authRequired` only when the document is asked for, after every plugin has loaded.
export default fp(openapiPlugin, { name: 'toonlora-openapi', fastify: '5.x' });
