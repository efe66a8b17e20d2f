// src/jobs/remote/reply-check.ts — how `toonlora worker` reads a reply body it parses (a claim, an events reply, an
// error's JSON) and tells a reply that is not a toonlora server's (a proxy's HTML error page, a captive portal, a body
// cut short) from the server's own: NotToonloraReplyError, one line naming the status, content-type, length and the
// first bytes (escaped). It is worth trying again (a proxy in front of a restarting server), never a version mismatch.
import type { z } from 'zod';
import { ToonloraError } from '../../errors.js';

/** The most bytes of a reply the worker reads to parse it (its JSON replies are a few KiB). */
export const REPLY_READ_MAX_BYTES = 1024 * 1024;
/** How many characters of a reply the line quotes. */
const QUOTED_CHARS = 80;

/** A reply that is not a toonlora server's: worth trying again (isTransient), not a refusal. */
export class NotToonloraReplyError extends ToonloraError {
  constructor(message: string, status: number) {
    super('TL_ERR_UNAVAILABLE', message, { details: { status, notToonloraReply: true } });
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
  return new NotToonloraReplyError(
    `${where}: not a toonlora server reply${detail ? ` (${detail})` : ''}: ${describeReply(res, body)}; a proxy or ` +
      `another server answers at ${base}, or the reply was cut short`,
    res.status,
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
