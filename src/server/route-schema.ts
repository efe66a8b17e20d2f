// src/server/route-schema.ts — lets routes declare zod schemas: `zodRoute({...})` turns them into JSON
// Schema (z.toJSONSchema, for /openapi.json) and remembers the zod schema behind each one, so the
// validator compiler parses requests with zod itself (same defaults and messages as the CLI); the type
// provider gives handlers the types of those same schemas.
import type { FastifySchema, FastifySchemaCompiler, FastifyTypeProvider } from 'fastify';
import { z } from 'zod';
import { ToonloraError } from '../errors.js';
import { formatIssues, issueField } from '../issue-lines.js';
import { unknownRequestKeys } from '../schemas/api.js';
import { safeParseInWords } from '../schemas/issue-words.js';

const ZOD_BY_JSON = new WeakMap<object, z.ZodType>();

/** JSON Schema of `schema` (what the request must be: `io: 'input'`), linked back to the zod schema. */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  ZOD_BY_JSON.set(json, schema);
  return json;
}

export interface ZodRouteSchema {
  params?: z.ZodType;
  querystring?: z.ZodType;
  body?: z.ZodType;
  /** Status code -> response schema (documentation; replies are plain JSON.stringify). */
  response?: Record<number, z.ZodType>;
  /** The route answers 204 No Content on success (documented without a body, instead of a 200). */
  noContent?: boolean;
  summary?: string;
  tags?: string[];
  consumes?: string[];
  /**
   * JSON Schema of a multipart/form-data body, for /openapi.json only: the route reads the parts
   * itself (request.files()), so nothing is validated against it.
   */
  multipartBody?: Record<string, unknown>;
}

/** The response schema of a 204: no body (openapi.ts documents it without content). */
export const NO_CONTENT: Readonly<Record<string, unknown>> = Object.freeze({ description: 'No Content' });

/** Type-level only: never set at runtime, so no value can be read through it. */
declare const zodSchemaOf: unique symbol;

/** A request part's JSON Schema that remembers, for the type checker, the zod schema it was made from. */
export interface ZodTaggedJsonSchema<S extends z.ZodType> {
  readonly [zodSchemaOf]: S;
}

type TaggedParts<S extends ZodRouteSchema> = {
  [K in 'params' | 'querystring' | 'body' as S[K] extends z.ZodType ? K : never]: S[K] extends z.ZodType
    ? ZodTaggedJsonSchema<S[K]>
    : never;
};

/** What zodRoute returns: a fastify schema whose request parts carry their zod schemas' types. */
export type ZodFastifySchema<S extends ZodRouteSchema> = FastifySchema & TaggedParts<S>;

/**
 * The fastify type provider of zodRoute schemas: a handler's `request.params`, `request.query` and
 * `request.body` are the z.output of the schemas zodValidatorCompiler parses them with (defaults
 * applied, strings coerced), so the types cannot drift from the validation. Use it through
 * `app.withTypeProvider<ZodRouteTypes>()`; replies stay untyped (their schemas are documentation).
 */
export interface ZodRouteTypes extends FastifyTypeProvider {
  validator: this['schema'] extends ZodTaggedJsonSchema<infer S> ? z.output<S> : unknown;
  serializer: unknown;
}

/** A fastify route `schema` from zod schemas. */
export function zodRoute<S extends ZodRouteSchema>(spec: S): ZodFastifySchema<S> {
  const out: Record<string, unknown> = {};
  if (spec.params) out.params = jsonSchemaOf(spec.params);
  if (spec.querystring) out.querystring = jsonSchemaOf(spec.querystring);
  if (spec.body) out.body = jsonSchemaOf(spec.body);
  if (spec.response || spec.noContent) {
    out.response = {
      ...(spec.noContent ? { 204: NO_CONTENT } : {}),
      ...Object.fromEntries(
        Object.entries(spec.response ?? {}).map(([code, schema]) => [code, jsonSchemaOf(schema, 'output')]),
      ),
    };
  }
  if (spec.summary) out.summary = spec.summary;
  if (spec.tags) out.tags = spec.tags;
  if (spec.consumes) out.consumes = spec.consumes;
  if (spec.multipartBody) {
    out.consumes = ['multipart/form-data'];
    out.multipartBody = spec.multipartBody;
  }
  return out as ZodFastifySchema<S>;
}

/**
 * The 400 for body (or query) keys the schema does not know, or undefined when there are none: zod would drop
 * them silently, so `"stpes": 5` would run the default step count and `GET /api/jobs?limit=-1` list every job.
 */
export function unknownBodyKeysError(
  schema: z.ZodType,
  data: unknown,
  part: 'body' | 'query' = 'body',
): ToonloraError | undefined {
  const unknown = unknownRequestKeys(schema, data);
  if (unknown.length === 0) return undefined;
  const lines = unknown.map(
    (key) =>
      `${part}.${key.path}: unknown key; ${key.suggestion ? `did you mean ${key.suggestion}?` : `known keys here: ${key.known.join(', ')}.`}`,
  );
  return new ToonloraError(
    'TL_ERR_USAGE',
    `invalid request: ${lines.join('; ')} Nothing was done (a misspelled key would fall back to its default); fix or remove ${unknown.length === 1 ? 'it' : 'them'}.`,
    {
      details: {
        fields: unknown.map((key) => `${part}.${key.path}`),
        suggestions: unknown.map((key) => key.suggestion ?? null),
      },
    },
  );
}

/**
 * The 400 for query keys sent to an API route that takes none (it has no query schema), or undefined when there are
 * none: they would be ignored, so `DELETE /api/models/x?force=1` would run as a plain removal.
 */
export function noQueryKeysError(query: unknown): ToonloraError | undefined {
  const keys = query && typeof query === 'object' ? Object.keys(query) : [];
  if (keys.length === 0) return undefined;
  const lines = keys.map((key) => `query.${key.length > 60 ? `${key.slice(0, 60)}…` : key}: unknown key`);
  return new ToonloraError(
    'TL_ERR_USAGE',
    `invalid request: ${lines.join('; ')}; this route takes no query parameters. Nothing was done; remove ${keys.length === 1 ? 'it' : 'them'}.`,
    { details: { fields: keys.map((key) => `query.${key}`) } },
  );
}

/** fastify validator compiler: parses with the zod schema linked to the JSON schema. */
export const zodValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const zodSchema = ZOD_BY_JSON.get(schema as object);
  if (!zodSchema) return (data: unknown) => ({ value: data });
  const part = httpPart === 'querystring' ? 'query' : (httpPart ?? 'body');
  return (data: unknown) => {
    const unknownKeys =
      part === 'body' || part === 'query' ? unknownBodyKeysError(zodSchema, data, part) : undefined;
    if (unknownKeys) return { error: unknownKeys };
    const result = safeParseInWords(zodSchema, data);
    if (result.success) return { value: result.data };
    return {
      error: new ToonloraError(
        'TL_ERR_USAGE',
        `invalid request: ${formatIssues(part, result.error.issues, data)}.`,
        { details: { fields: result.error.issues.map((issue) => issueField(part, issue)) } },
      ),
    };
  };
};
