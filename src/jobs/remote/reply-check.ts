// src/jobs/remote/reply-check.ts — how `toonlora worker` reads a reply body it parses (a claim, an events reply, an
// error's JSON) and tells a reply that is not a toonlora server's (a proxy's HTML error page, a captive portal, a body
// cut short) from the server's own: NotToonloraReplyError, one line naming the status, content-type, length and the
// first bytes (escaped). It is worth trying again (a proxy in front of a restarting server), never a version mismatch,
// unless it says `--server` names another server (meansWrongServer: the rule `toonlora worker` stops on).
import type { z } from 'zod';
import { ToonloraError } from '../../errors.js';
import { PROTOCOL_HEADER } from './protocol.js';

/** The most bytes of a reply the worker reads to parse it (its JSON replies are a few KiB). */
export const REPLY_READ_MAX_BYTES = 1024 * 1024;
/** How many characters of a reply the line quotes. */
const QUOTED_CHARS = 80;

/** What meansWrongServer reads of a reply that is not a toonlora server's. */
export interface ForeignReply {
  status: number;
  /** The body ended early (the connection broke) or went on past the read limit. */
  cut: boolean;
  /** The reply carries toonlora's worker protocol header: a toonlora server (or a proxy passing its reply on). */
  toonloraHeader: boolean;
}

/** How many claims in a row must get a reply that means a wrong `--server` before the worker stops (~15 s). */
export const WRONG_SERVER_TRIES = 3;

/**
 * Whether `reply` (not a toonlora server's) means `--server` names another server, not a toonlora server a proxy
 * answers for while it is away. `reachedBefore`: a toonlora server answered at this address earlier in this run.
 * Only a whole reply with no mark of toonlora, of a status a proxy does not answer for an absent backend, from an
 * address that never answered as toonlora, means a wrong address: a login page's 200, another server's 404 / 405.
 */
export function meansWrongServer(reply: ForeignReply, reachedBefore: boolean): boolean {
  if (reachedBefore) return false; // a proxy in front of it, answering for it while serve restarts (even a 404)
  if (reply.cut || reply.toonloraHeader) return false; // the connection broke; or toonlora's own reply, garbled
  // a proxy's 502 / 503 / 504 page while serve restarts, its timeout (408) or rate limit (429)
  if (reply.status >= 500 || reply.status === 408 || reply.status === 429) return false;
  return true;
}

/** Why a request reached no server (`details.reach` of a "cannot reach" error) when an https:// address answers
 * plain HTTP: OpenSSL reads the HTTP server's reply as a TLS record. */
const NOT_TLS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG']);

/** Whether a request failed because its https:// address answers plain HTTP (a server started without --tls-cert):
 * a wrong scheme, which trying again does not mend. */
export const answersPlainHttp = (reach: unknown): boolean => typeof reach === 'string' && NOT_TLS.has(reach);

/** A reply that is not a toonlora server's: worth trying again (isTransient), not a refusal. */
export class NotToonloraReplyError extends ToonloraError {
  constructor(
    message: string,
    /** What the rule reads (meansWrongServer). */
    readonly reply: ForeignReply,
    /** The reply in one line (describeReply). */
    readonly described: string,
  ) {
    super('TL_ERR_UNAVAILABLE', message, { details: { status: reply.status, notToonloraReply: true } });
  }
}

/** A reply body as far as it was read: its bytes (at most `REPLY_READ_MAX_BYTES`) and why it ended early, if so. */
export interface ReplyBody {
  bytes: Buffer;
  /** The body went on past the limit ("more than 1 MiB"), or the connection ended before it did ("cut off …"). */
  cut?: string;
}

/** Reads `res`'s body, up to `maxBytes` (a longer one is cancelled), keeping what came should it break off. */
export async function readReplyBody(res: Response, maxBytes = REPLY_READ_MAX_BYTES): Promise<ReplyBody> {
  if (!res.body) return { bytes: Buffer.alloc(0) };
  const reader = res.body.getReader();
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes: Buffer.concat(chunks) };
      chunks.push(Buffer.from(value));
      length += value.length;
      if (length > maxBytes) {
        void reader.cancel().catch(() => {});
        return { bytes: Buffer.concat(chunks).subarray(0, maxBytes), cut: `more than ${maxBytes} bytes` };
      }
    }
  } catch (error) {
    const why =
      error instanceof Error ? (error.cause as Error | undefined)?.message || error.message : String(error);
    return { bytes: Buffer.concat(chunks), cut: `cut off after ${length} bytes (${why})` };
  }
}

/** `HTTP 502 Bad Gateway, content-type text/html, 157 bytes: "<html>\r\n<head>…"` — one line, control characters
 * escaped. */
export function describeReply(res: Response, body: ReplyBody): string {
  const type = res.headers.get('content-type') ?? 'none';
  const declared = res.headers.get('content-length');
  const size = body.cut
    ? `${body.bytes.length} bytes read, ${body.cut}`
    : `${body.bytes.length} bytes${declared !== null && Number(declared) !== body.bytes.length ? ` of ${declared} said` : ''}`;
  const text = body.bytes.toString('utf8');
  const quoted =
    text.length === 0
      ? 'empty'
      : `${JSON.stringify(text.slice(0, QUOTED_CHARS)).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}${text.length > QUOTED_CHARS ? '…' : ''}`;
  const status = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
  return `${status}, content-type ${JSON.stringify(type).slice(1, -1)}, ${size}: ${quoted}`;
}

/** The error for a reply to `where` (`POST /api/worker/claim`) that is not a toonlora server's (`detail`: how). */
export function notToonloraReply(
  where: string,
  base: string,
  res: Response,
  body: ReplyBody,
  detail?: string,
): NotToonloraReplyError {
  const described = describeReply(res, body);
  return new NotToonloraReplyError(
    `${where}: not a toonlora server reply${detail ? ` (${detail})` : ''}: ${described}; a proxy or ` +
      `another server answers at ${base}, or the reply was cut short`,
    { status: res.status, cut: body.cut !== undefined, toonloraHeader: res.headers.has(PROTOCOL_HEADER) },
    described,
  );
}

/** The JSON in `body`, or undefined when it is none (HTML, a cut-off body). */
export function jsonOf(body: ReplyBody): unknown {
  if (body.cut) return undefined;
  try {
    return JSON.parse(body.bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** `res`'s body as `schema` says a toonlora server's reply is, else a NotToonloraReplyError saying what came. */
export async function parseReply<T>(
  res: Response,
  schema: z.ZodType<T>,
  where: string,
  base: string,
): Promise<T> {
  const body = await readReplyBody(res);
  const json = jsonOf(body);
  if (json === undefined) throw notToonloraReply(where, base, res, body, 'not JSON');
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue ? `${issue.path.join('.') || 'the body'}: ${issue.message}` : 'unreadable';
  throw notToonloraReply(where, base, res, body, `not what toonlora answers: ${field}`);
}
