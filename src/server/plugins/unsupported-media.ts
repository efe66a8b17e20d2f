// src/server/plugins/unsupported-media.ts — the words of a 415 (pure): a body of a type the route does not read (a
// form `curl -d 'name=x'` sends, plain text, JSON to an upload) is answered with what to send instead: JSON with
// its Content-Type for the JSON routes, a multipart form with its field for the uploads, the one type a remote
// worker's file routes take; instead of fastify's bare "Unsupported Media Type".
import type { FastifyRequest } from 'fastify';

/** What the 415 is about: the request and what its route reads (its zodRoute schema's `consumes`, the multipart
 * form's fields). */
export interface MediaRefusal {
  method: string;
  /** The request's path, without the query. */
  path: string;
  /** The request's Content-Type header, if any. */
  contentType: string | undefined;
  /** The types the route reads (zodRoute's `consumes`); none: JSON. */
  consumes: readonly string[] | undefined;
  /** The multipart form's field names (zodRoute's `multipartBody` properties), for an upload route. */
  formFields: readonly string[];
}

/** `not application/x-www-form-urlencoded` (parameters dropped), or that the request has no Content-Type. */
function notSent(contentType: string | undefined): string {
  const type = contentType?.split(';')[0]?.trim();
  return type ? `not ${type}` : 'and the request has no Content-Type';
}

/**
 * The refusal's message: `POST /api/characters takes JSON, not application/x-www-form-urlencoded: send JSON with
 * Content-Type: application/json (curl -H 'Content-Type: application/json' -d '{...}').`
 */
export function unsupportedMediaMessage(refusal: MediaRefusal): string {
  const route = `${refusal.method} ${refusal.path}`;
  const sent = notSent(refusal.contentType);
  const [type = 'application/json'] = refusal.consumes ?? [];
  if (type === 'multipart/form-data') {
    const field = refusal.formFields[0] ?? 'file';
    return `${route} takes a multipart/form-data upload, ${sent}: send each file in the form field "${field}" (curl -F ${field}=@<file>).`;
  }
  if (type === 'application/json') {
    return `${route} takes JSON, ${sent}: send JSON with Content-Type: application/json (curl -H 'Content-Type: application/json' -d '{...}').`;
  }
  return `${route} takes ${type}, ${sent}: send the file as the body with Content-Type: ${type}.`;
}

/** The fastify errors that mean "a body of a type this route does not read". */
export const UNSUPPORTED_MEDIA_CODES: ReadonlySet<string> = new Set([
  'FST_ERR_CTP_INVALID_MEDIA_TYPE',
  'FST_INVALID_MULTIPART_CONTENT_TYPE',
]);

/** The refusal of `request`, from its route's schema (zodRoute keeps `consumes` and `multipartBody` in it). */
export function mediaRefusalOf(request: FastifyRequest): MediaRefusal {
  const schema = request.routeOptions.schema as
    | { consumes?: string[]; multipartBody?: { properties?: Record<string, unknown> } }
    | undefined;
  return {
    method: request.method,
    path: request.url.split('?')[0] ?? '',
    contentType: request.headers['content-type'],
    consumes: schema?.consumes,
    formFields: Object.keys(schema?.multipartBody?.properties ?? {}),
  };
}
