// src/jobs/remote/reply-check.ts — how `toonlora worker` reads a reply body it parses (a claim, an events reply, an
// error's JSON) and tells a reply that is not a toonlora server's (a proxy's HTML error page, a captive portal, a body
// cut short) from the server's own: NotToonloraReplyError, one line naming the status, content-type, length and the
// first bytes (escaped). It is worth trying again only when a proxy answers for a toonlora server that is away
// (transientReply: a 5xx, 408, 429, a body cut short); never a version mismatch. A proxy's 413 (its body limit) or
// 401 / 403 (a login in front of serve) says what to change (proxyRefusal); a reply that says `--server` names
// another server (meansWrongServer), and a request that reaches no server for good (reachDeadEnd: plain HTTP at
// https://, a host name that does not resolve, an untrusted certificate), are what `toonlora worker` stops on.
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

/**
 * Whether `reply` (not a toonlora server's), at an address where a toonlora server answered earlier in this run, is
 * another page answering in its place, not a proxy answering for a server that is away: a login page's 200 (a
 * session that expired), a 400, a redirect: the worker says so at each claim (it may mend: a proxy put right). A 404
 * stays a proxy's for a restarting backend; 5xx, 408, 429, a body cut short and toonlora's own header are not.
 */
export function answersInPlace(reply: ForeignReply): boolean {
  return reply.status !== 404 && meansWrongServer(reply, false);
}

/** The statuses of a reply that is not a toonlora server's that trying again does not change: a proxy's body limit
 * (413), its login or access rule (401 / 403). */
const REFUSED = new Set([401, 403, 413]);

/**
 * Whether a reply that is not a toonlora server's is worth trying again during a run, or a refusal that stays:
 * a proxy answering for a toonlora server that is away (5xx, 408, 429; a 404 once a toonlora server answered here,
 * `reachedBefore`), a broken connection or toonlora's own reply garbled are tried again; a proxy's 413 / 401 / 403,
 * another page or another server's 4xx are not (before, all were tried again: a 413 for minutes, a 403 forever).
 */
export function transientReply(reply: ForeignReply, reachedBefore: boolean): boolean {
  if (REFUSED.has(reply.status)) return false;
  if (reply.cut || reply.toonloraHeader) return true;
  if (reply.status >= 500 || reply.status === 408 || reply.status === 429) return true;
  return reachedBefore && reply.status === 404;
}

const mebibytes = (bytes: number) =>
  bytes >= 1_048_576 ? `${(bytes / 1_048_576).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;

/**
 * What a refusal by something in front of toonlora serve means and what to change (`uploadBytes`: the size of the
 * upload it refused), or undefined for another status.
 */
export function proxyRefusal(status: number, base: string, uploadBytes?: number): string | undefined {
  if (status === 413) {
    const size = uploadBytes === undefined ? '' : ` of ${mebibytes(uploadBytes)}`;
    return (
      `a proxy in front of ${base} refused the upload${size}: its limit on a request body is smaller (toonlora ` +
      "serve's own refusal says its limit). Raise the proxy's limit (nginx: client_max_body_size, e.g. " +
      '`client_max_body_size 0;` in the block that proxies to serve; others: their request body size limit), or ' +
      "point --server at serve's own address"
    );
  }
  if (status === 401 || status === 403) {
    return (
      `something in front of ${base} refused this worker: an auth proxy or a login page stands in front of ` +
      "toonlora serve (serve's own refusal names TOONLORA_TOKEN). Let /api/worker/ and /api/datasets/ through it to " +
      "serve, or point --server at serve's own address"
    );
  }
  return undefined;
}

/** Why a request reached no server (`details.reach` of a "cannot reach" error) when an https:// address answers
 * plain HTTP: OpenSSL reads the HTTP server's reply as a TLS record. */
const NOT_TLS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG']);

/** Node's codes for a server certificate this machine does not trust (OpenSSL's verify errors, and the host check). */
const UNTRUSTED_CERT = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

/** A request that reached no server in a way that trying again does not mend while the address and this machine stay
 * as they are: plain HTTP at https:// (a server started without --tls-cert), a host name with no address (ENOTFOUND; EAI_AGAIN, a DNS server away, is
 * not), a certificate not trusted here. */
export type ReachDeadEnd = 'plain-http' | 'no-such-host' | 'untrusted-certificate';

/** Which dead end `reach` (`details.reach` of a "cannot reach" error) is, or undefined. */
export function reachDeadEnd(reach: unknown): ReachDeadEnd | undefined {
  if (typeof reach !== 'string') return undefined;
  if (NOT_TLS.has(reach)) return 'plain-http';
  if (reach === 'ENOTFOUND') return 'no-such-host';
  if (UNTRUSTED_CERT.has(reach)) return 'untrusted-certificate';
  return undefined;
}

/** A reply that is not a toonlora server's: worth trying again only as transientReply says. */
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

/** The error for a reply to `where` (`POST /api/worker/claim`) that is not a toonlora server's (`detail`: how;
 * `uploadBytes`: the size of the upload it answers). */
export function notToonloraReply(
  where: string,
  base: string,
  res: Response,
  body: ReplyBody,
  detail?: string,
  uploadBytes?: number,
): NotToonloraReplyError {
  const described = describeReply(res, body);
  const refusal = proxyRefusal(res.status, base, uploadBytes);
  return new NotToonloraReplyError(
    `${where}: not a toonlora server reply${detail ? ` (${detail})` : ''}: ${described}; ` +
      (refusal ?? `a proxy or another server answers at ${base}, or the reply was cut short`),
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
