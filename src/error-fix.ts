// src/error-fix.ts — the fix an error names, as data: the kinds (a zod discriminated union, also the worker
// protocol's `fix` field; trainer/toonlora_trainer/error_fix.py mirrors them), how a message and its fix's words make
// one text (putFix), and the CLI's words for each kind. The server words them for the web app (src/jobs/
// job-error-hints.ts WEB_FIX_WORDS); both are a FixWords, so a new kind does not compile until each side words it.
import { z } from 'zod';

export const errorFixSchema = z.discriminatedUnion('kind', [
  /**
   * A model to download. The message itself names `toonlora models pull <id>`, a command whoever runs the server
   * can run as well; the CLI adds nothing, the web app adds the Models page's pull of `id`.
   */
  z.strictObject({ kind: z.literal('pull-model'), id: z.string().min(1) }),
  /**
   * A model that is there but damaged or incomplete (a file in it cannot be read): the message names what to delete
   * and the pull (the CLI adds nothing); the web app's Models page lists it complete, so its fix is Remove, then pull.
   */
  z.strictObject({ kind: z.literal('repull-model'), id: z.string().min(1) }),
  /**
   * Another base model. `why`: `path`, a --base path that is not there; `file`, a single-file checkpoint that is not
   * there; `not-pulled`, a registry base not downloaded (`pull`: its id, which the web app's Models page pulls);
   * `lora`, a LoRA made for another base.
   */
  z.strictObject({
    kind: z.literal('choose-base'),
    why: z.enum(['path', 'file', 'not-pulled', 'lora']),
    pull: z.string().min(1).optional(),
  }),
  /** Resuming the training run from its checkpoint on disk (the words end in "to", the message says what for). */
  z.strictObject({ kind: z.literal('resume') }),
  /** Continuing a run folder that holds an earlier run (its LoRA or checkpoints), or training into another one. */
  z.strictObject({ kind: z.literal('resume-or-new-run') }),
  /**
   * A learning-rate warmup shorter than the run (training.lrWarmupSteps), or more training: `count` says which count
   * the run was given (`epochs`: the worker found the warmup too long once the dataset turned them into steps).
   */
  z.strictObject({ kind: z.literal('shorter-warmup'), count: z.enum(['steps', 'epochs']) }),
  /**
   * An output folder that can be written: a training run's run folder (`run`), a generate's (`output`) or a prep's
   * dataset folder (`dataset`, which must also be new or empty); or the server's data folder (`data`: a write a
   * route or a server job met there, `full` when the disk had no room), which only whoever runs the server can fix.
   */
  z.strictObject({
    kind: z.literal('writable-output'),
    folder: z.enum(['run', 'output', 'dataset', 'data']),
    full: z.literal(true).optional(),
  }),
]);

export type ErrorFix = z.infer<typeof errorFixSchema>;
export type FixKind = ErrorFix['kind'];

/** One side's words for every fix kind (the CLI's: CLI_FIX_WORDS; the web app's: job-error-hints.ts). */
export type FixWords = { readonly [K in FixKind]: (fix: Extract<ErrorFix, { kind: K }>) => string };

/**
 * Marks where in a message its fix's words go, when they do not simply follow it (a died run's "…: <resume> continue
 * from it; steps 5-6 … are lost."). A NUL: no path or word holds one.
 */
export const FIX_SLOT = '\u0000fix\u0000';

/** A text and the fix it names (FIX_SLOT in `text` marks the fix's place; without it the fix follows the text). */
export interface TextWithFix {
  readonly text: string;
  readonly fix?: ErrorFix;
}

/**
 * `text` with `fix` in `words`: at FIX_SLOT, else after the text and a space (nothing added when the words are
 * empty). Without a fix, `text` as it is.
 */
export function putFix(text: string, fix: ErrorFix | undefined, words: FixWords): string {
  if (fix === undefined) return text;
  return placeFixWords(text, (words[fix.kind] as (fix: ErrorFix) => string)(fix));
}

/** `said` at FIX_SLOT in `text`, else after it and a space (`text` as it is when `said` is empty). */
export function placeFixWords(text: string, said: string): string {
  if (text.includes(FIX_SLOT)) return text.replace(FIX_SLOT, () => said);
  return said ? `${text} ${said}` : text;
}

const CLI_BASE_FIX = {
  path: 'Check the --base path (a diffusers folder, a .safetensors file, a HF id or tiny).',
  file: 'Check the --base path (a .safetensors file, a HF id or tiny).',
  'not-pulled': 'give --base another base (a local folder, a .safetensors file, a pulled HF id, or tiny).',
  lora: 'Generate with the base model the LoRA was trained for (--base).',
} as const;

/** The CLI's words for each fix: what every ToonloraError's `message` says (the CLI, logs, `--json`; for the data
 * folder, the server's operator). */
export const CLI_FIX_WORDS: FixWords = {
  'pull-model': () => '', // the message names the pull command itself
  'repull-model': () => '', // the message names what to delete and the pull command
  'choose-base': ({ why }) => CLI_BASE_FIX[why],
  resume: () => 'run the same train command with --resume to',
  'resume-or-new-run': () => 'Add --resume to continue it, or choose another -o.',
  'shorter-warmup': ({ count }) => `Lower training.lrWarmupSteps or raise --${count}.`,
  'writable-output': ({ folder, full }) => {
    if (folder === 'data')
      return full
        ? 'Free space on that disk, or start serve with another --data folder.'
        : "Fix the folder's permissions (or its read-only mount or immutable flag), or start serve with another --data folder.";
    return folder === 'dataset'
      ? 'Choose a new or empty folder you can write to for -o.'
      : `Choose a folder you can write to for -o${folder === 'run' ? ' (the run folder)' : ''}.`;
  },
};

/** `withFix` in the CLI's words. */
export function inCliWords(withFix: TextWithFix): string {
  return putFix(withFix.text, withFix.fix, CLI_FIX_WORDS);
}
