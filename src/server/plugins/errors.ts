// src/server/plugins/errors.ts — request validation through zod, JSON serialisation, and every error
// reply: ToonloraErrors answer with their table status and message (one that names a fix: in the web app's
// words, job-error-hints.ts); other 4xx are mapped to a code (a 415 says what the route takes: unsupported-media.ts);
// 5xx never show internal messages to the client (a write the data folder refused is named: data-folder-write.ts,
// its fix in the web app's words),
// and always reach the server's log or stderr (so do jobs that fail with an internal error: reportInternalError).
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ERRORS, type ErrorCode, isToonloraError } from '../../errors.js';
import { dataFolderWriteError } from '../../jobs/data-folder-write.js';
import { webMessage } from '../../jobs/job-error-hints.js';
import { noQueryKeysError, zodValidatorCompiler } from '../route-schema.js';
import { mediaRefusalOf, UNSUPPORTED_MEDIA_CODES, unsupportedMediaMessage } from './unsupported-media.js';

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

const FASTIFY_CODES: Record<string, string> = {
  FST_REQ_FILE_TOO_LARGE: 'TL_ERR_PAYLOAD_TOO_LARGE',
  FST_FILES_LIMIT: 'TL_ERR_PAYLOAD_TOO_LARGE',
  FST_PARTS_LIMIT: 'TL_ERR_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'TL_ERR_PAYLOAD_TOO_LARGE',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'TL_ERR_UNSUPPORTED_MEDIA',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'TL_ERR_UNSUPPORTED_MEDIA',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'TL_ERR_USAGE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'TL_ERR_USAGE',
};

/** The reply status and body for any thrown error. */
export function describeError(error: unknown): { status: number; body: ErrorBody } {
  if (isToonloraError(error)) {
    const details = Object.keys(error.details).length > 0 ? { details: { ...error.details } } : {};
    return {
      status: error.httpStatus,
      body: { error: { code: error.code, message: error.message, ...details } },
    };
  }
  const fastifyError = error as Partial<FastifyError> & { validation?: unknown };
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const mapped = FASTIFY_CODES[fastifyError.code ?? ''] as ErrorCode | undefined;
    const code = mapped ?? 'TL_ERR_USAGE';
    const hint = code === 'TL_ERR_PAYLOAD_TOO_LARGE' ? ' Send smaller or fewer files.' : '';
    return {
      status: mapped ? ERRORS[mapped].status : status,
      body: { error: { code, message: `${fastifyError.message ?? 'bad request'}.${hint}` } },
    };
  }
  return {
    status: 500,
    body: { error: { code: 'TL_ERR_INTERNAL', message: 'internal server error; see the server log.' } },
  };
}

/**
 * fastify's `frameworkErrors` (app.ts): the errors fastify answers before any route runs (a path that is not valid
 * percent-encoding, `/api/models/%ZZ`; a path parameter over maxParamLength) get the documented `{error:{code,message}}`
 * body too, with the path shortened, instead of fastify's own `{"error":"Bad Request","code":"FST_ERR_BAD_URL",…}`.
 */
export function frameworkErrorReply(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split('?')[0] ?? '';
  const shown = path.length > 120 ? `${path.slice(0, 120)}… (${path.length} characters)` : path;
  const message =
    error.code === 'FST_ERR_BAD_URL'
      ? `${request.method} ${shown}: not a valid URL (a path part is not valid percent-encoding: encode "%" as %25)`
      : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? `${request.method} ${shown}: a path part is too long`
        : `${request.method} ${shown}: ${error.message}`;
  const status =
    error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  reply
    .status(status)
    .type('application/json')
    .send({ error: { code: 'TL_ERR_USAGE', message: `${message}.` } });
}

/**
 * A 5xx, or a job that failed with an internal error, answers "see the server log", so it is always
 * written somewhere: to fastify's logger under `serve --log`, else on stderr (with the stack when it is
 * not a ToonloraError). `what` says what failed (`POST /api/jobs`, `job <id> (train)`).
 */
export function reportInternalError(app: FastifyInstance, what: string, error: unknown): void {
  const detail = isToonloraError(error)
    ? `${error.message} [${error.code}]` // a known failure: its message says it all
    : error instanceof Error
      ? (error.stack ?? error.message)
      : String(error);
  operatorLine(app.log, 'error', { err: error }, `${what} failed`, `${what} failed: ${detail}`);
}

/**
 * A line for whoever runs the server: to fastify's logger (`log`: the app's or a request's) at `level` with
 * `fields` under `serve --log`, else `toonlora serve: <stderrLine>` on stderr, since the logger is then a no-op
 * (abstract-logging, which has no level).
 */
export function operatorLine(
  log: FastifyBaseLogger,
  level: 'info' | 'warn' | 'error',
  fields: Record<string, unknown>,
  message: string,
  stderrLine = message,
): void {
  if (log.level !== undefined) log[level](fields, message);
  else process.stderr.write(`toonlora serve: ${stderrLine}\n`);
}

async function errorsPlugin(app: FastifyInstance): Promise<void> {
  app.setValidatorCompiler(zodValidatorCompiler);
  // Replies are plain JSON: the zod schemas already shaped them, and fast-json-stringify would drop
  // fields its JSON Schema copy does not know.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // a route without a query schema takes no query keys: `DELETE /api/models/x?force=1` is refused, not run as if
  // the key were understood (those with one refuse unknown keys in zodValidatorCompiler)
  app.addHook('preValidation', async (request) => {
    if (request.is404 || !request.url.startsWith('/api/') || request.routeOptions.schema?.querystring) return;
    const error = noQueryKeysError(request.query);
    if (error) throw error;
  });
  app.setErrorHandler((thrown, request, reply) => {
    // the data folder refusing a write (permissions, read-only, full) is named, not "internal server error"
    const named = app.dataDir ? dataFolderWriteError(thrown, app.dataDir) : undefined;
    const error = named ?? thrown;
    const { status, body } = describeError(error);
    // the web app shows the reply: a fix in the web app's words (a Models page pull, not `toonlora models pull`;
    // the log keeps the operator's, `message`); a remote worker's routes answer `toonlora worker`, in the CLI's
    if (isToonloraError(error) && error.fix !== undefined && !request.url.startsWith('/api/worker/'))
      body.error.message = webMessage(error);
    // a body of a type the route does not read: what to send instead (JSON, the upload's form field), named
    if (!isToonloraError(error) && UNSUPPORTED_MEDIA_CODES.has((error as FastifyError).code ?? ''))
      body.error.message = unsupportedMediaMessage(mediaRefusalOf(request));
    // a 503 (shutting down) is a refusal the reply explains, not a failure to look up in the log
    if (status >= 500 && status !== 503) {
      reportInternalError(app, `${request.method} ${request.url.split('?')[0]}`, error);
    }
    return reply.status(status).type('application/json').send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: {
        code: 'TL_ERR_NOT_FOUND',
        message: `${request.method} ${request.url.split('?')[0]}: no such route.`,
      },
    }),
  );
}

export default fp(errorsPlugin, { name: 'toonlora-errors', fastify: '5.x' });
