// src/server/routes/models/pull-state.ts — the pure parts of a server-side model pull: a model's disk state
// from `models list`'s facts, the download rate over a sliding window, and the words a pull ends with (the
// CLI's: an error's message and code, the `.part` kept by a stop; the steps only whoever runs the server can take,
// which a download error names as data, in the web app's words). No fs, clock or logger here.
import { z } from 'zod';
import { type CliStep, cliStepSchema } from '../../../models/download-http.js';
import type { ModelStatus } from '../../../models/model-status.js';
import { notWritableFixSchema } from '../../../models/not-writable.js';
import type { ModelDiskState } from '../../../schemas/models-api.js';

/**
 * complete: `models list` says present; partial: some of its files are on disk, one has the wrong size
 * (`models list` says broken), or a stopped pull left `.part` files (`partBytes`); missing: none of these.
 * @param filesOnDisk how many of the registry's files of the model were found
 */
export function diskStateOf(
  status: Pick<ModelStatus, 'present' | 'broken' | 'partBytes'>,
  filesOnDisk: number,
): ModelDiskState {
  if (status.present) return 'complete';
  const started = filesOnDisk > 0 || (status.partBytes ?? 0) > 0;
  return status.broken !== undefined || started ? 'partial' : 'missing';
}

/** One progress report: when (ms, any clock) and how many bytes of the current file were on disk. */
export interface RateSample {
  atMs: number;
  bytes: number;
}

/** The window the rate is measured over: long enough to smooth chunk bursts, short enough to follow a stall. */
export const RATE_WINDOW_MS = 5_000;

/**
 * `samples` after `sample`, keeping the last one older than the window (the rate's start) and those inside it.
 * A sample with fewer bytes than the last (a restarted file) starts over.
 */
export function samplesAfter(samples: readonly RateSample[], sample: RateSample): RateSample[] {
  const last = samples.at(-1);
  if (last !== undefined && sample.bytes < last.bytes) return [sample];
  const kept = [...samples, sample];
  const firstInside = kept.findIndex((s) => sample.atMs - s.atMs <= RATE_WINDOW_MS);
  return kept.slice(Math.max(0, firstInside - 1));
}

/** Bytes per second between the oldest and newest sample; null with fewer than two or no time between them. */
export function rateOf(samples: readonly RateSample[]): number | null {
  const first = samples[0];
  const last = samples.at(-1);
  if (first === undefined || last === undefined || last.atMs <= first.atMs) return null;
  return ((last.bytes - first.bytes) * 1000) / (last.atMs - first.atMs);
}

/** The web app's words for a download's by-hand steps: who can take them, and where they are written down. */
export function byHandInWebWords(model: string): string {
  return `Without network on the server, whoever runs the server can download ${model} on another machine and put it in place by hand (docs/models.md, "models pull", says how).`;
}

/** The web app's words for each step a download error names for whoever runs toonlora (download-http.ts CliStep). */
const WEB_STEP_WORDS: { readonly [K in CliStep['kind']]: (model: string) => string } = {
  'by-hand': byHandInWebWords,
  'hf-token': () =>
    'whoever runs the server can give it a token of that account (HF_TOKEN, or "hf auth login" on the server)',
  'hf-endpoint': () => 'whoever runs the server can check its HF_ENDPOINT if that is a mirror',
  'hf-offline': () => 'Whoever runs the server can turn HF_HUB_OFFLINE off there to download.',
};

const cliStepsSchema = z.array(cliStepSchema);

/**
 * A download error's message for the web: each step its details name for whoever runs toonlora (`cliSteps`: an
 * `hf download …` command, a path on the server, an environment variable) in the web app's words, the reason kept.
 * A message without such details as it is.
 */
export function downloadErrorInWebWords(message: string, details: unknown, model: string): string {
  const steps = cliStepsSchema.safeParse((details as { cliSteps?: unknown } | undefined)?.cliSteps);
  if (!steps.success) return message;
  return steps.data.reduce(
    (text, step) => text.replace(step.said, () => WEB_STEP_WORDS[step.kind](model)),
    message,
  );
}

const notWritableDetailsSchema = z.object({ folder: z.string().min(1), fix: notWritableFixSchema });

/**
 * A not-writable error's message for the web (not-writable.ts: `details.fix`, the step for whoever runs
 * toonlora, and the folder): who can make the folder writable or move it. A message without such details as it is.
 */
export function notWritableInWebWords(message: string, details: unknown): string {
  const parsed = notWritableDetailsSchema.safeParse(details);
  if (!parsed.success) return message;
  const { folder, fix } = parsed.data;
  return message.replace(
    fix.said,
    () =>
      `Whoever runs the server must make ${folder} writable there, or set ${fix.setting} on the server to a writable folder.`,
  );
}

/**
 * A pull's error as the page shows it (the steps a download error names for whoever runs the server in the web
 * app's words); an error of no known
 * kind hides its text (the server log has it).
 */
export function pullErrorOf(error: unknown, model = ''): { code: string; message: string } {
  const coded = error as { name?: unknown; code?: unknown; message?: unknown; details?: unknown };
  if (
    coded?.name === 'ToonloraError' &&
    typeof coded.code === 'string' &&
    typeof coded.message === 'string'
  ) {
    const message =
      coded.code === 'TL_ERR_DOWNLOAD' && model
        ? downloadErrorInWebWords(coded.message, coded.details, model)
        : coded.code === 'TL_ERR_CONFIG'
          ? notWritableInWebWords(coded.message, coded.details)
          : coded.message;
    return { code: coded.code, message };
  }
  return { code: 'TL_ERR_INTERNAL', message: 'internal server error; see the server log.' };
}

/**
 * The line a stopped pull ends with, as `toonlora models pull` says it after Ctrl-C: the `.part` file kept
 * (which the next pull resumes), or that nothing partial was kept.
 * @param why `cancelled` (the user's Cancel) or `server shutting down`
 * @param part the kept `.part` file and its size in bytes (0 or undefined: none)
 */
export function stoppedText(
  model: string,
  why: string,
  part: { path: string; bytes: number; size: string } | undefined,
): string {
  return part !== undefined && part.bytes > 0
    ? `${why}; ${model}: the partial file ${part.path} (${part.size}) is kept and the next pull resumes it`
    : `${why}; ${model}: nothing partial was kept`;
}
