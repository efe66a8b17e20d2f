// src/models/download-http.ts — the HTTP side of a download: the request with redirects followed by hand
// (keeping the first response's headers, dropping Authorization on another host), what an error status or a
// failed request means in words, Content-Range parsing, Retry-After, and which failures are worth another try.
import { z } from 'zod';
import { ToonloraError } from '../errors.js';
import { type DownloadOptions, DownloadStopped, type HubRef } from './download-types.js';

const MAX_REDIRECTS = 10;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Errors worth another try, resuming from the `.part`, with the wait a server asked for (0: the usual backoff). */
export const retryable = new WeakMap<object, { waitMs: number; reason: string }>();
const MAX_RETRY_AFTER_MS = 60_000;

/** A connection that was made and then dropped: worth another try (a refused or unresolved one is not). */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET']);

/** The wait a 429 / 503 asks for in Retry-After (seconds or an HTTP date), capped at a minute; 0 if none. */
export function retryAfterMs(headers: Headers): number {
  const value = headers.get('retry-after');
  if (value === null) return 0;
  const ms = /^\d+$/.test(value.trim()) ? Number(value) * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : 0;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ECONNRESET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Short reason for a failed request: the system error code and text, with a no-network hint. */
export function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const code = cause?.code ?? (error as { code?: string } | undefined)?.code;
  const message = cause?.message ?? (error instanceof Error ? error.message : String(error));
  if (error instanceof Error && error.name === 'AbortError') return 'no data arrived in time (no network?)';
  if (code && NETWORK_CODES.has(code)) return `${message} (no network?)`;
  return message;
}

// `bytes 100-199/200` -> {start: 100, total: 200}; `bytes * /200` (no space) -> {total: 200}.
/** Parses a Content-Range header into the first byte and the whole length it names. */
export function parseContentRange(header: string | null): { start?: number; total?: number } {
  const match = header?.match(/^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/i);
  if (!match) return {};
  return {
    start: match[1] === undefined ? undefined : Number(match[1]),
    total: match[2] === '*' || match[2] === undefined ? undefined : Number(match[2]),
  };
}

/** The steps a Hub download error names that only whoever runs toonlora can take, in the CLI's words. */
export const HF_TOKEN_STEP = 'set HF_TOKEN to a token of that account or run `hf auth login`';
export const HF_ENDPOINT_STEP = 'check HF_ENDPOINT if it is a mirror';
export const HF_OFFLINE_STEP = 'Unset HF_HUB_OFFLINE to download.';

/**
 * A step a download error's message names for whoever runs toonlora (`said`: its exact words in the message), as
 * data: the CLI prints the message as it is, the web app words each kind for its user (server pull-state.ts).
 * `by-hand`: where to place the files, or the `hf download` command, without network; `hf-token`: a token for a
 * gated or private repo; `hf-endpoint`: a mirror's HF_ENDPOINT to check; `hf-offline`: HF_HUB_OFFLINE to unset.
 */
export const cliStepSchema = z.object({
  kind: z.enum(['by-hand', 'hf-token', 'hf-endpoint', 'hf-offline']),
  said: z.string().min(1),
});
export type CliStep = z.infer<typeof cliStepSchema>;

const FIXED_STEPS = [
  { kind: 'hf-token', said: HF_TOKEN_STEP },
  { kind: 'hf-endpoint', said: HF_ENDPOINT_STEP },
  { kind: 'hf-offline', said: HF_OFFLINE_STEP },
] as const satisfies readonly CliStep[];

/**
 * The message `text`, then `end` (a download error's closing sentence, after a space) when given, and the steps
 * it names as data (`details.cliSteps`): the fixed ones it holds, and `end` as the by-hand steps when `byHand`.
 */
export function withCliSteps(
  text: string,
  end?: string,
  byHand = true,
): { message: string; cliSteps: CliStep[] } {
  const message = end === undefined ? text : `${text} ${end}`;
  const steps: CliStep[] = FIXED_STEPS.filter((step) => text.includes(step.said));
  return byHand && end
    ? { message, cliSteps: [...steps, { kind: 'by-hand', said: end }] }
    : { message, cliSteps: steps };
}

/**
 * What an HTTP error status means, for a file or a listing: with `hub` set, a refusal (401 / 403) names a gated
 * or private repo and the two ways to give toonlora a token, and a 404 a file or revision not on the Hub (the
 * Hub's `X-Error-Code` header says which, when it is sent). No "without network" hint: the network worked.
 */
export function httpReason(status: number, statusText: string, headers: Headers, hub?: HubRef): string {
  const what = `HTTP ${status} ${statusText}`.trim();
  const hubCode = headers.get('x-error-code');
  // a listing at a revision other than main: a 404 not said to be the repo's names the revision (the web app
  // shows these words alone: hubRevisionMissing)
  const revision = hub?.revision !== undefined && hub.revision !== 'main' ? hub.revision : undefined;
  if (hub && revision && status === 404 && (hubCode === null || hubCode === 'RevisionNotFound')) {
    return `${what}: ${hubRevisionMissing(hub.repo, revision)} (${hub.page}; ${HF_ENDPOINT_STEP})`;
  }
  if (hub && (hubCode === 'RepoNotFound' || hubCode === 'RevisionNotFound' || hubCode === 'EntryNotFound')) {
    const missing = { RepoNotFound: 'the repo', RevisionNotFound: 'the revision', EntryNotFound: 'the file' }[
      hubCode
    ];
    return `${what}: ${missing} is not on the Hub (${hub.page}; a private repo looks the same without a token)`;
  }
  if (hub && (status === 401 || status === 403 || hubCode === 'GatedRepo')) {
    return (
      `${what}: ${hub.repo} is gated or private, or the token was refused. Accept its terms on ${hub.page} ` +
      `(logged in), then ${HF_TOKEN_STEP}`
    );
  }
  if (status === 401 || status === 403) return `${what}: the server refused access`;
  if (status === 404) {
    return hub
      ? `${what}: the file or revision is not on the Hub (${hub.page}; ${HF_ENDPOINT_STEP})`
      : `${what}: the file is not at that URL`;
  }
  if (status === 429 || status >= 500) return `${what}: the server is busy or failing; try again later`;
  return what;
}

/** A revision a Hub repo does not have, in the words the CLI and the web app both say. */
export function hubRevisionMissing(repo: string, revision: string): string {
  return `revision ${revision} of ${repo} is not on the Hub`;
}

/**
 * A TL_ERR_DOWNLOAD error: model, URL, reason and where to place the file by hand; `network` (the request or
 * the body failed) adds how to do that without network.
 */
export function downloadError(
  options: DownloadOptions,
  reason: string,
  cause?: unknown,
  network = true,
): ToonloraError {
  const byHand = network
    ? `Without network, download that URL on another machine and place the file at ${options.manualPath}`
    : `Or place the file at ${options.manualPath} by hand`;
  const { message, cliSteps } = withCliSteps(
    `${options.modelId}: cannot download ${options.url}: ${reason}.`,
    byHand,
  );
  return new ToonloraError('TL_ERR_DOWNLOAD', message, {
    cause,
    details: { model: options.modelId, url: options.url, manualPath: options.manualPath, cliSteps },
  });
}

interface Fetched {
  response: Response;
  /** Headers of the first response (the URL itself), before redirects. */
  firstHeaders: Headers;
}

// Redirects are followed by hand to keep the first response's headers; like huggingface_hub (requests),
// the Authorization header is not sent on to another host (the CDN).
export async function request(
  options: DownloadOptions,
  fromByte: number,
  signal: AbortSignal,
): Promise<Fetched> {
  // identity: a compressed body's length is not the file's (progress totals, Range offsets), as huggingface_hub;
  // fetch adds it itself to a Range request
  const headers: Record<string, string> = { ...options.headers };
  if (fromByte > 0) headers.Range = `bytes=${fromByte}-`;
  else headers['Accept-Encoding'] = 'identity';
  let url = options.url;
  let firstHeaders: Headers | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
    let response: Response;
    try {
      response = await (options.fetchImpl ?? fetch)(url, { headers, redirect: 'manual', signal });
    } catch (error) {
      if (options.signal?.aborted) throw new DownloadStopped(options.partPath);
      const reason = describeFetchError(error);
      const failed = downloadError(options, reason, error);
      const code = (error as { cause?: { code?: string } }).cause?.code ?? '';
      if (RESET_CODES.has(code)) retryable.set(failed, { waitMs: 0, reason });
      throw failed;
    }
    firstHeaders ??= response.headers;
    const location = response.headers.get('location');
    if (!REDIRECT_STATUSES.has(response.status) || !location) return { response, firstHeaders };
    await response.body?.cancel();
    const next = new URL(location, url);
    if (next.origin !== new URL(url).origin) delete headers.Authorization;
    url = next.href;
  }
  throw downloadError(options, `more than ${MAX_REDIRECTS} redirects`, undefined, false);
}
