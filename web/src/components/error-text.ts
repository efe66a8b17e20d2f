// web/src/components/error-text.ts — the error banner's text (pure): a fetch that never reached the server
// says so, and a request the server refused names the form's field by its label ("Trigger word: ..."), not
// the request's JSON path ("invalid request: body.trigger: ..."), in words rather than zod's ("Too big:
// expected string to have <=80 characters" reads "at most 80 characters"), which is the API's wording for
// API clients.
import { SEED_FIELD } from './generate-form.js';
import { ALPHA_FIELD, TRAIN_NUMBER_FIELDS } from './train-form.js';

export const UNREACHABLE = 'Cannot reach the toonlora server (is `toonlora serve` still running?)';

/** zod's issue wording and the plain words a page shows instead. */
const ZOD_PHRASES: ReadonlyArray<readonly [RegExp, string]> = [
  [/Too small: expected string to have >=1 characters?/g, 'must not be empty'],
  [/Too big: expected string to have <=(\d+) characters?/g, 'at most $1 characters'],
  [/Too small: expected string to have >=(\d+) characters?/g, 'at least $1 characters'],
  [/Too big: expected (?:number|int) to be <=?(\d+(?:\.\d+)?)/g, 'at most $1'],
  [/Too small: expected (?:number|int) to be >=?(\d+(?:\.\d+)?)/g, 'at least $1'],
  [/Too big: expected array to have <=(\d+) items?/g, 'at most $1 items'],
  [/Invalid input: expected (\w+), received undefined/g, 'required'],
  [/Invalid input: expected (\w+), received (\w+)/g, 'expected a $1, got a $2'],
];

/** The label each form shows for a request field (its path's last segment); other fields keep their key. */
const FIELD_LABELS: Readonly<Record<string, string>> = {
  name: 'Name',
  trigger: 'Trigger word',
  classWord: 'Class word',
  caption: 'Caption',
  baseModel: 'Base model',
  prompt: 'Prompt',
  negativePrompt: 'Negative prompt',
  seeds: SEED_FIELD.label,
  loraWeight: 'LoRA weight',
  ...Object.fromEntries(TRAIN_NUMBER_FIELDS.map(([key, spec]) => [key, spec.label])),
  alpha: ALPHA_FIELD.label,
};

/**
 * The server's message as a page shows it: without the `invalid request:` prefix, a field named by the label
 * its form shows, from its path's last segment (`body.params.training.baseModel:` reads `Base model:`), zod's
 * phrasing in plain words.
 */
export function readableServerMessage(message: string): string {
  let text = message
    .replace(/^invalid request: /, '')
    .replace(
      /(^|; )(?:body|params|query)\.(?:[\w-]+\.)*([\w-]+):/g,
      (_match, start: string, key: string) => `${start}${FIELD_LABELS[key] ?? key}:`,
    );
  for (const [pattern, words] of ZOD_PHRASES) text = text.replace(pattern, words);
  return text;
}

/** Whether a request never reached the server: fetch rejects with a bare TypeError ("Failed to fetch", "Load
 * failed") when the server is down; an ApiError with status 0 is the same. */
export function isUnreachable(error: unknown, status?: number): boolean {
  if (error instanceof TypeError && /fetch|network|load failed/i.test(error.message)) return true;
  const code = status ?? (error as { status?: unknown } | null)?.status;
  return code === 0;
}

/** A not-found message's pointer for API clients (" List them with GET /api/characters."), which a web user
 * cannot follow: the page lists them itself. */
const API_LIST_HINT = / ?List them with [A-Z]+ \/api\/\S*?\.$/;

/** The banner's text for anything an action threw; `status` is the HTTP status when the server answered (a 404's
 * text keeps its first sentence, without the API route that lists the kind). */
export function errorText(error: unknown, status?: number): string {
  if (isUnreachable(error, status)) return UNREACHABLE;
  const message = error instanceof Error ? error.message : String(error);
  if (status === 404) return readableServerMessage(message.replace(API_LIST_HINT, ''));
  return status !== undefined && status >= 400 && status < 500 ? readableServerMessage(message) : message;
}

/** What the token prompt says: first ask, or (a token was stored and the server refused it) that it is wrong. */
export function tokenPromptText(storedToken: string): string {
  return storedToken
    ? 'That token is not right: the server refused it. Enter the TOONLORA_TOKEN the server was started with.'
    : 'This server needs its token (TOONLORA_TOKEN):';
}
