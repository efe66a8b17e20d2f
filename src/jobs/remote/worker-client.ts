// src/jobs/remote/worker-client.ts — `toonlora worker`'s side of /api/worker over HTTP: claim, events, samples,
// checkpoints (uploaded and downloaded as streams), complete, fail, and the dataset download, with the bearer token
// when one is set (TOONLORA_TOKEN, as the server reads it). A refused call throws a ToonloraError in the server's
// words, its HTTP status in `details.status` (isTransient tells a server away from a refusal); a lost lease
// (409 / 404) says so. Each request has a time limit (a stopped server must not hold the worker forever). Every
// request carries this toonlora's worker protocol (protocol.ts); a server answering another one, or none (an older
// toonlora), is a ProtocolMismatchError naming both versions; a reply that is not a toonlora server's at all (a
// proxy's HTML page, a body cut short) is a NotToonloraReplyError saying what came (reply-check.ts), worth trying
// again only when a proxy answers for a server that is away (transientReply; its 413 or 401 / 403 says what to change). Files go to and from disk as streams, never whole in memory; a download past its size limit is cut off as it
// arrives and its file removed.
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { type ErrorCode, ERRORS, ToonloraError } from '../../errors.js';
import { errorResponseSchema } from '../../schemas/api-common.js';
import {
  type LeaseEvent,
  type LeaseEventsReply,
  type LeaseFail,
  type LeaseSamples,
  leaseEventsReplySchema,
  OWN_VERSION,
  PROTOCOL_HEADER,
  peerVersion,
  protocolHeaders,
  protocolMismatchLine,
  sameProtocol,
  type WorkerClaim,
  workerClaimSchema,
} from './protocol.js';
import {
  jsonOf,
  NotToonloraReplyError,
  notToonloraReply,
  parseReply,
  readReplyBody,
  transientReply,
} from './reply-check.js';

/** The server no longer knows the lease (it expired, the job ended, the server restarted): stop the run. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

/** The server speaks another worker protocol (another toonlora version): refused for good (exit 2, as bad usage). */
export class ProtocolMismatchError extends ToonloraError {
  constructor(message: string, status: number) {
    super('TL_ERR_USAGE', message, { details: { status, protocolMismatch: true } });
  }
}

/** How long a request may go unanswered (a claim: its long poll plus `claimMarginMs`). */
export interface RequestTimeouts {
  /** Events, fail: small JSON bodies. */
  jsonMs: number;
  /** One step's sample images (base64 PNGs, megabytes on a slow link). */
  samplesMs: number;
  /** Added to a claim's long poll. */
  claimMarginMs: number;
  /** Uploads and downloads of files (a checkpoint can be gigabytes), the whole transfer. */
  fileMs: number;
}

export const REQUEST_TIMEOUTS: RequestTimeouts = {
  jsonMs: 30_000,
  samplesMs: 5 * 60_000,
  claimMarginMs: 15_000,
  fileMs: 30 * 60_000,
};

/** A failure of a call during a run worth trying again: the server was not reached or did not answer in time, or
 * answered 5xx, or a proxy answered for it while it is away (transientReply; the claim came from this server, so it
 * was reached: a proxy's 404 is one for a restarting backend). A proxy's 413 or 401 / 403 is a refusal. */
export function isTransient(error: unknown): boolean {
  if (error instanceof LeaseLostError || !(error instanceof ToonloraError)) return false;
  if (error instanceof NotToonloraReplyError) return transientReply(error.reply, true);
  const status = error.details.status;
  if (typeof status === 'number') return status >= 500;
  return error.code === 'TL_ERR_UNAVAILABLE';
}

const inSeconds = (ms: number) => (ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`);

export class WorkerClient {
  private readonly base: string;
  private readonly timeouts: RequestTimeouts;

  constructor(
    server: string,
    private readonly token?: string,
    /** Tests: the network as the worker sees it (a server that fails a call, then answers). */
    private readonly fetchImpl: typeof fetch = fetch,
    timeouts: Partial<RequestTimeouts> = {},
  ) {
    this.base = server.replace(/\/+$/, '');
    this.timeouts = { ...REQUEST_TIMEOUTS, ...timeouts };
  }

  private async call(
    method: string,
    path: string,
    body?:
      | { json: unknown }
      | { stream: Readable; bytes: number; type: 'application/zip' | 'application/octet-stream' },
    signal?: AbortSignal,
    timeoutMs: number = this.timeouts.jsonMs,
  ): Promise<Response> {
    const headers: Record<string, string> = {
      ...protocolHeaders(),
      ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
    };
    let payload: BodyInit | undefined;
    if (body && 'json' in body) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body) {
      headers['content-type'] = body.type;
      headers['content-length'] = String(body.bytes); // the server refuses one too large before it is sent
      payload = body.stream as unknown as BodyInit; // undici sends a stream as it reads it (duplex: half)
    }
    const timeout = AbortSignal.timeout(timeoutMs);
    const init = {
      method,
      headers,
      body: payload,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      ...(body && 'stream' in body ? { duplex: 'half' } : {}),
    };
    const res = await this.fetchImpl(`${this.base}${path}`, init as RequestInit).catch((error: unknown) => {
      if (signal?.aborted) throw error;
      const why = timeout.aborted ? `no answer in ${inSeconds(timeoutMs)}` : reachError(error);
      if (body && 'stream' in body && /^(ECONNRESET|EPIPE|UND_ERR_SOCKET)$/.test(why)) {
        // the server was reached: it (or a proxy) ended the connection before its answer arrived
        throw new ToonloraError(
          'TL_ERR_UNAVAILABLE',
          `${method} ${path.split('?')[0]}: the connection to ${this.base} ended during the upload (${why}) with no ` +
            'answer: the server may have refused it (too large, the lease gone) and its log says why, or a proxy cut it',
          { cause: error },
        );
      }
      throw new ToonloraError('TL_ERR_UNAVAILABLE', `cannot reach ${this.base} (${why})`, {
        cause: error,
        details: { reach: why },
      });
    });
    const where = `${method} ${path.split('?')[0]}`;
    await this.checkProtocol(path, where, res);
    if (res.ok) return res;
    const text = await readReplyBody(res);
    const parsed = errorResponseSchema.safeParse(jsonOf(text));
    // not the server's error (it answers every error in this JSON): a proxy's page, a body cut short
    if (!parsed.success) {
      const uploadBytes = body && 'stream' in body ? body.bytes : undefined;
      throw notToonloraReply(where, this.base, res, text, undefined, uploadBytes);
    }
    const { message, code } = parsed.data.error;
    // a 404 of TL_ERR_INPUT_NOT_FOUND is a lease's missing file (its kept checkpoint), not a missing lease
    const lost = res.status === 409 || (res.status === 404 && code !== 'TL_ERR_INPUT_NOT_FOUND');
    if (path.startsWith('/api/worker/leases/') && lost) throw new LeaseLostError(message);
    const known = (Object.keys(ERRORS) as ErrorCode[]).find((name) => name === code) ?? 'TL_ERR_UNAVAILABLE';
    if (res.status === 401) {
      throw new ToonloraError(
        'TL_ERR_UNAUTHORIZED',
        `${this.base} refused this worker's token: set TOONLORA_TOKEN here to the token the server was started with` +
          `${this.token ? '' : ' (none is set)'}.`,
      );
    }
    // the server's message names the route already ("POST /api/worker/claim: ...", or under a --server path
    // "POST /typo/api/worker/claim: no such route.")
    const named = /^[A-Z]+ \/\S*: /.test(message);
    throw new ToonloraError(known, named ? message : `${where}: ${message}`, {
      details: { status: res.status },
    });
  }

  /**
   * Throws a ProtocolMismatchError when an /api/worker reply names another worker protocol, or a 2xx reply names
   * none (a server of an older toonlora: JSON, or no body); a NotToonloraReplyError for a 2xx reply with neither the
   * header nor JSON (a proxy's or portal's page), or a claim's JSON without the header that is not a claim (another
   * JSON API). An error reply without the header is not the routes' (no
   * --remote-workers: 404; a wrong token: 401): it is read as before.
   */
  private async checkProtocol(path: string, where: string, res: Response): Promise<void> {
    if (!path.startsWith('/api/worker/')) return; // the dataset zip is an ordinary route
    const server = peerVersion((name) => res.headers.get(name));
    const answered = res.headers.has(PROTOCOL_HEADER);
    const type = res.headers.get('content-type');
    const json = /^application\/json\b/i.test(type ?? '');
    // a claim of an older toonlora is JSON with a leaseId: other JSON there is another API's (`{"status":"ok"}`)
    if (!answered && res.ok && res.status !== 204 && (!json || path === '/api/worker/claim')) {
      const body = await readReplyBody(res);
      if (!json) throw notToonloraReply(where, this.base, res, body);
      if (!olderClaim(jsonOf(body))) {
        throw notToonloraReply(where, this.base, res, body, 'no worker protocol header, and not a claim');
      }
    }
    if ((answered && !sameProtocol(server)) || (!answered && res.ok)) {
      void res.body?.cancel().catch(() => {});
      throw new ProtocolMismatchError(
        `${this.base}: ${protocolMismatchLine(OWN_VERSION, server)}.`,
        res.status,
      );
    }
  }

  /** A job under a lease, or undefined when none came within `waitS` seconds. */
  async claim(worker: string, waitS: number, signal?: AbortSignal): Promise<WorkerClaim | undefined> {
    const limit = waitS * 1000 + this.timeouts.claimMarginMs;
    const res = await this.call('POST', '/api/worker/claim', { json: { worker, waitS } }, signal, limit);
    if (res.status === 204) return undefined;
    return parseReply(res, workerClaimSchema, 'POST /api/worker/claim', this.base);
  }

  /**
   * Streams `path`'s body into the file `dest` (a dataset or checkpoint can be gigabytes: never held in memory);
   * past `maxBytes` (declared, or counted as it arrives) the download stops, and `dest` is removed on any failure.
   * Returns the bytes written.
   */
  async downloadTo(path: string, dest: string, maxBytes: number): Promise<number> {
    const res = await this.call('GET', path, undefined, undefined, this.timeouts.fileMs);
    const tooLarge = (what: string) =>
      new ToonloraError(
        'TL_ERR_DOWNLOAD',
        `GET ${path}: ${what} past ${maxBytes} bytes, the most this worker downloads; nothing was kept.`,
      );
    const declared = Number(res.headers.get('content-length') ?? Number.NaN);
    if (declared > maxBytes) {
      void res.body?.cancel().catch(() => {});
      throw tooLarge(`the server sends ${declared} bytes,`);
    }
    if (!res.body) throw new ToonloraError('TL_ERR_DOWNLOAD', `GET ${path}: the server sent no body`);
    let bytes = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done(bytes > maxBytes ? tooLarge('the body went on') : null, chunk);
      },
    });
    try {
      await pipeline(
        Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
        limit,
        createWriteStream(dest),
      );
    } catch (error) {
      await rm(dest, { force: true });
      throw error;
    }
    return bytes;
  }

  /** Uploads a checkpoint of the run (a zip stream of `bytes` bytes) for the server to keep for a resume. */
  async checkpoint(
    leaseId: string,
    step: number,
    zip: { stream: Readable; bytes: number },
    signal?: AbortSignal,
  ) {
    const body = { stream: zip.stream, bytes: zip.bytes, type: 'application/zip' } as const;
    const route = `/api/worker/leases/${leaseId}/checkpoint?step=${step}`;
    await this.call('POST', route, body, signal, this.timeouts.fileMs);
  }

  async events(leaseId: string, events: readonly LeaseEvent[]): Promise<LeaseEventsReply> {
    const res = await this.call('POST', `/api/worker/leases/${leaseId}/events`, { json: { events } });
    return parseReply(res, leaseEventsReplySchema, 'POST /api/worker/leases/:id/events', this.base);
  }

  /** Uploads the finished LoRA file `file`, streamed from disk. */
  async complete(leaseId: string, file: string, facts: { steps: number; lastLoss: number | null }) {
    const query = `steps=${facts.steps}${facts.lastLoss === null ? '' : `&lastLoss=${facts.lastLoss}`}`;
    const route = `/api/worker/leases/${leaseId}/complete?${query}`;
    const { size } = await stat(file);
    const stream = createReadStream(file);
    const body = { stream, bytes: size, type: 'application/octet-stream' } as const;
    try {
      await this.call('POST', route, body, undefined, this.timeouts.fileMs);
    } finally {
      stream.destroy();
    }
  }

  /** Uploads the sample images of one step (the server stores them as the job's sample artifacts). */
  async samples(leaseId: string, body: LeaseSamples): Promise<void> {
    const route = `/api/worker/leases/${leaseId}/samples`;
    await this.call('POST', route, { json: body }, undefined, this.timeouts.samplesMs);
  }

  async fail(leaseId: string, body: LeaseFail): Promise<void> {
    await this.call('POST', `/api/worker/leases/${leaseId}/fail`, { json: body });
  }
}

/** Whether `json` is a claim as a toonlora older than the worker protocol answers it (it has a leaseId). */
const olderClaim = (json: unknown): boolean =>
  typeof json === 'object' && json !== null && typeof (json as { leaseId?: unknown }).leaseId === 'string';

/** fetch's "fetch failed" says nothing: the cause's code (ECONNREFUSED, ENOTFOUND) or message does. */
function reachError(error: unknown): string {
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
