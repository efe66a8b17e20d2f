// src/server/routes/workers/index.ts — /api/worker: the routes `toonlora worker` uses on a server started with
// `serve --remote-workers` (registered only then): claim a train job (long poll), report a lease's events
// (renews it; the reply says stop after a cancel), upload each sample image as the run writes it, upload each
// checkpoint (kept for a resume on any worker, which downloads it), upload the LoRA (complete) or the error (fail).
// Behind the same token as every /api route; the board (src/jobs/remote/lease-board.ts) does the work. Every
// request must carry this toonlora's worker protocol (protocol.ts), every reply carries it: a worker of another
// protocol, or an older one sending none, is refused (400) with one line naming both versions, logged once per worker.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ToonloraError } from '../../../errors.js';
import { checkpointTooLarge } from '../../../jobs/remote/checkpoint-store.js';
import { loraTooLarge } from '../../../jobs/remote/lora-upload.js';
import {
  leaseCheckpointQuerySchema,
  leaseCheckpointReplySchema,
  leaseCompleteQuerySchema,
  leaseEndedSchema,
  leaseEventsBodySchema,
  leaseEventsReplySchema,
  leaseFailBodySchema,
  leaseParamsSchema,
  leaseSamplesBodySchema,
  leaseSamplesReplySchema,
  OWN_VERSION,
  PROTOCOL_HEADER,
  type PeerVersion,
  peerVersion,
  protocolHeaders,
  protocolMismatchLine,
  sameProtocol,
  VERSION_HEADER,
  WORKER_PROTOCOL,
  workerClaimBodySchema,
  workerClaimSchema,
} from '../../../jobs/remote/protocol.js';
import type { RemoteTrainBoard } from '../../../jobs/remote/lease-board.js';
import { errorResponseSchema } from '../../../schemas/api.js';
import { operatorLine } from '../../plugins/errors.js';
import { type HeaderDoc, withHeaderDocs } from '../../plugins/openapi.js';
import { type ZodRouteTypes, zodRoute } from '../../route-schema.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The remote workers' board (`serve --remote-workers`; src/server/app.ts), else null. */
    remoteBoard: RemoteTrainBoard | null;
  }
}

export interface WorkerRoutesOptions {
  board: RemoteTrainBoard;
  /** The largest LoRA a worker may upload: as a LoRA uploaded on the LoRA page (uploadLimitsSchema.maxLoraBytes). */
  maxLoraBytes: number;
}

/** The largest batch of one step's sample images (base64 PNGs of at most 1024 x 1024, a few MiB each). */
const MAX_SAMPLES_BYTES = 128 * 1024 * 1024;
/** The largest checkpoint zip a worker may upload: an SDXL LoRA of rank 128 with its optimizer state is about 2 GiB. */
export const MAX_CHECKPOINT_BYTES = 4 * 1024 * 1024 * 1024;

/** The protocol headers as /openapi.json documents them: every request must send them, every reply carries them. */
const PROTOCOL_HEADER_DOCS: HeaderDoc[] = [
  {
    name: PROTOCOL_HEADER,
    description:
      `The sender's worker protocol version (this server's: ${WORKER_PROTOCOL}). A request without it, or of another ` +
      'version, is refused (400) with one line naming both toonlora versions and which to upgrade.',
    required: true,
    schema: { type: 'string', pattern: '^\\d{1,6}$', examples: [String(WORKER_PROTOCOL)] },
  },
  {
    name: VERSION_HEADER,
    description: "The sender's toonlora version (named in a protocol refusal; not checked).",
    schema: { type: 'string', pattern: '^[0-9A-Za-z.+-]{1,50}$' },
  },
];

/** A worker route's schema with the protocol headers documented (request and reply), and `replyHeaders` beside. */
const documented = <S extends object>(schema: S, replyHeaders: readonly HeaderDoc[] = []): S =>
  withHeaderDocs(schema, {
    request: PROTOCOL_HEADER_DOCS,
    reply: [...PROTOCOL_HEADER_DOCS.map(({ required: _, ...header }) => header), ...replyHeaders],
  });

/** The most workers whose refusal is remembered as said (then it is said again: the log cannot grow forever). */
const REFUSALS_REMEMBERED = 1000;

/**
 * Throws the 400 for a request of another worker protocol (or none), after saying it to the operator once per
 * worker (its name, else its address) and version.
 */
function protocolRefusal(app: FastifyInstance) {
  const said = new Set<string>();
  return (request: FastifyRequest, workerName: string | undefined): void => {
    const worker: PeerVersion = peerVersion((name) => request.headers[name]);
    if (sameProtocol(worker)) return;
    const name = workerName ?? `at ${request.ip}`;
    const line = protocolMismatchLine(worker, OWN_VERSION, name);
    const key = `${name} ${worker.protocol} ${worker.version}`;
    if (!said.has(key)) {
      if (said.size >= REFUSALS_REMEMBERED) said.clear();
      said.add(key);
      operatorLine(app.log, 'warn', { worker: name, workerProtocol: worker.protocol }, line);
    }
    throw new ToonloraError('TL_ERR_USAGE', line, { details: { workerProtocol: worker.protocol } });
  };
}

export default async function workerRoutes(
  app: FastifyInstance,
  { board, maxLoraBytes }: WorkerRoutesOptions,
): Promise<void> {
  const routes = app.withTypeProvider<ZodRouteTypes>();
  // only these routes (this plugin is not shared with its parent) take a raw file body
  // a LoRA (complete) and a checkpoint upload are streamed to disk as they arrive (the board counts their bytes),
  // never buffered
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
  app.addContentTypeParser('application/zip', (_request, payload, done) => done(null, payload));
  // a refusal of an upload not read to its end (too large, lease gone, another protocol) reaches a worker still
  // sending it: the rest is read and dropped for a while before the connection closes (plugins/refused-body.ts)
  // a shutdown answers the long polls at once, so the close does not wait for them
  app.addHook('preClose', async () => board.close());
  const refuse = protocolRefusal(app);
  // before the body is read (a refused upload is not taken in); the claim waits for its body, which names the worker
  app.addHook('onRequest', async (request, reply) => {
    for (const [name, value] of Object.entries(protocolHeaders())) reply.header(name, value);
    if (!request.routeOptions.url?.endsWith('/claim')) refuse(request, undefined);
  });
  app.addHook('preValidation', async (request) => {
    if (!request.routeOptions.url?.endsWith('/claim')) return;
    const body = request.body as { worker?: unknown } | undefined;
    refuse(request, typeof body?.worker === 'string' ? body.worker.slice(0, 100) : undefined);
  });

  routes.post(
    '/api/worker/claim',
    {
      schema: documented(
        zodRoute({
          body: workerClaimBodySchema,
          noContent: true,
          response: { 200: workerClaimSchema, 400: errorResponseSchema },
          summary:
            'A remote worker takes the oldest train job waiting for one, under a lease; 204 when none came within waitS',
          tags: ['workers'],
        }),
      ),
    },
    async (request, reply) => {
      const gone = new AbortController();
      reply.raw.once('close', () => gone.abort());
      const claim = await board.claimOrWait(request.body.worker, request.body.waitS * 1000, gone.signal);
      return claim ? claim : reply.status(204).send();
    },
  );

  routes.post(
    '/api/worker/leases/:id/events',
    {
      schema: documented(
        zodRoute({
          params: leaseParamsSchema,
          body: leaseEventsBodySchema,
          response: { 200: leaseEventsReplySchema, 400: errorResponseSchema, 409: errorResponseSchema },
          summary:
            "Records a lease's progress / log / checkpoint events and renews it; `stop` says the job was cancelled",
          tags: ['workers'],
        }),
      ),
    },
    async (request) => board.events(request.params.id, request.body.events),
  );

  routes.post(
    '/api/worker/leases/:id/samples',
    {
      bodyLimit: MAX_SAMPLES_BYTES,
      schema: documented(
        zodRoute({
          params: leaseParamsSchema,
          body: leaseSamplesBodySchema,
          response: {
            200: leaseSamplesReplySchema,
            400: errorResponseSchema,
            409: errorResponseSchema,
            413: errorResponseSchema,
            415: errorResponseSchema,
          },
          summary:
            "Stores the sample images one step of the run wrote (PNGs in base64) as the job's sample artifacts; renews the lease",
          tags: ['workers'],
        }),
      ),
    },
    async (request) => board.samples(request.params.id, request.body),
  );

  routes.post(
    '/api/worker/leases/:id/checkpoint',
    {
      schema: documented(
        zodRoute({
          params: leaseParamsSchema,
          querystring: leaseCheckpointQuerySchema,
          consumes: ['application/zip'],
          response: {
            200: leaseCheckpointReplySchema,
            400: errorResponseSchema,
            409: errorResponseSchema,
            413: errorResponseSchema,
            415: errorResponseSchema,
            422: errorResponseSchema,
          },
          summary:
            'Keeps the checkpoint the run saved (a zip of its folder) in place of the one before: a resume continues ' +
            'from it on any worker; renews the lease',
          tags: ['workers'],
        }),
      ),
    },
    async (request) => {
      const body = request.body as unknown;
      if (!body || typeof (body as Readable).pipe !== 'function') {
        throw new ToonloraError(
          'TL_ERR_UNSUPPORTED_MEDIA',
          'checkpoint: send the zip of the checkpoint folder as the body, with content-type application/zip.',
        );
      }
      const declared = Number(request.headers['content-length']);
      if (declared > MAX_CHECKPOINT_BYTES) {
        throw checkpointTooLarge(MAX_CHECKPOINT_BYTES, declared);
      }
      return board.storeCheckpoint(
        request.params.id,
        request.query.step,
        body as Readable,
        MAX_CHECKPOINT_BYTES,
      );
    },
  );

  routes.get(
    '/api/worker/leases/:id/checkpoint',
    {
      schema: documented(
        zodRoute({
          params: leaseParamsSchema,
          response: { 400: errorResponseSchema, 404: errorResponseSchema, 409: errorResponseSchema },
          summary:
            "The checkpoint the server keeps for the lease's job (a zip of its folder), as the claim of a resume names it",
          tags: ['workers'],
        }),
        [
          {
            name: 'x-checkpoint-step',
            description: 'The step of the checkpoint sent (200 only).',
            schema: { type: 'string', pattern: '^\\d+$' },
          },
        ],
      ),
    },
    async (request, reply) => {
      const kept = await board.keptCheckpoint(request.params.id);
      return reply
        .header('content-type', 'application/zip')
        .header('content-length', kept.bytes)
        .header('x-checkpoint-step', kept.step)
        .send(createReadStream(kept.file));
    },
  );

  routes.post(
    '/api/worker/leases/:id/complete',
    {
      schema: documented(
        zodRoute({
          params: leaseParamsSchema,
          querystring: leaseCompleteQuerySchema,
          consumes: ['application/octet-stream'],
          response: {
            200: leaseEndedSchema,
            400: errorResponseSchema,
            409: errorResponseSchema,
            413: errorResponseSchema,
            422: errorResponseSchema,
          },
          summary: 'Ends the job succeeded: the body is the kohya LoRA file (.safetensors) the run wrote',
          tags: ['workers'],
        }),
      ),
    },
    async (request) => {
      const body = request.body as unknown;
      if (!body || typeof (body as Readable).pipe !== 'function') {
        throw new ToonloraError(
          'TL_ERR_UNSUPPORTED_MEDIA',
          'complete: send the LoRA file as the body, with content-type application/octet-stream.',
        );
      }
      const declared = Number(request.headers['content-length']);
      if (declared > maxLoraBytes) throw loraTooLarge(maxLoraBytes, declared);
      return board.complete(request.params.id, body as Readable, request.query, maxLoraBytes);
    },
  );

  routes.post(
    '/api/worker/leases/:id/fail',
    {
      schema: documented(
        zodRoute({
          params: leaseParamsSchema,
          body: leaseFailBodySchema,
          response: { 200: leaseEndedSchema, 400: errorResponseSchema, 409: errorResponseSchema },
          summary:
            "Ends the job with the run's error (failed), or stopped as the events reply asked (cancelled / interrupted)",
          tags: ['workers'],
        }),
      ),
    },
    async (request) => board.fail(request.params.id, request.body),
  );
}
