// src/jobs/job-error-hints.ts — a server job's failure in the web app's words (pure). An error's fix is data
// (src/error-fix.ts), set where it is raised, by the TS checks or the Python worker's `error` event; the CLI words it
// by a flag (`--base`, `-o`, `--resume`), the web app here: a job's base is the form's Base model field, its output
// folder is under the server's data folder, a failed training job resumes by the Train page's button, a model is
// pulled (or removed) on the Models page. A model the message tells to pull is named by the web fix alone (the
// message leads with server paths and the CLI's command). A remote worker's job failed on the worker's machine: its
// model fixes say to pull there (lease-board.ts sets `details.remoteWorker`). The server stores the worded message with the
// job (embedded-queue.ts), so a job stored before fixes were data keeps the text it was stored with.
import { type ErrorFix, type FixKind, placeFixWords } from '../error-fix.js';
import { isToonloraError } from '../errors.js';

/** Where the failed job ran: the server itself, or the remote worker named `worker`. */
export interface FailureSite {
  readonly worker?: string;
}

/**
 * The web app's text for each fix kind: `text` (the message without the CLI's fix words, FIX_SLOT may mark their
 * place) and `site` in, the whole text out. A new kind does not compile until it is worded here.
 */
export type WebFixWords = {
  readonly [K in FixKind]: (fix: Extract<ErrorFix, { kind: K }>, text: string, site: FailureSite) => string;
};

/** The command a worker's owner runs there (a deliberate CLI command: the web app cannot pull on a worker). */
export function onWorkerMachine(id: string): string {
  return `pull it on the worker's machine (toonlora models pull ${id} there)`;
}

/** A model not downloaded where the job ran, and how to pull it there. */
function notDownloaded(id: string, site: FailureSite): string {
  return site.worker === undefined
    ? `${id} is not downloaded on the server: pull it on the Models page.`
    : `${id} is not downloaded on worker ${site.worker}: ${onWorkerMachine(id)}.`;
}

const DATA_FOLDER_FIX =
  'The server cannot write there: whoever runs the server must make its data folder writable, or start it with another one.';
const DATA_DISK_FIX =
  'The server has no room there: whoever runs the server must free space on its disk, or start it with another data folder.';
const WORKER_FOLDER_FIX = (worker: string) =>
  `Worker ${worker} cannot write there: whoever runs it must make its folder writable.`;

/** The web app's words for each fix (src/error-fix.ts CLI_FIX_WORDS has the CLI's). */
export const WEB_FIX_WORDS: WebFixWords = {
  'pull-model': ({ id }, _text, site) => notDownloaded(id, site),
  'repull-model': ({ id }, _text, site) =>
    site.worker === undefined
      ? `${id} on the server is damaged or incomplete (a file in it cannot be read): Remove it on the Models page, then pull it again.`
      : `${id} on worker ${site.worker} is damaged or incomplete (a file in it cannot be read): delete it there and ${onWorkerMachine(id)}.`,
  'choose-base': ({ why, pull }, text, site) => {
    if (why === 'lora')
      return placeFixWords(
        text,
        'Generate with the base model the LoRA was trained for (the Base model field).',
      );
    if (why === 'not-pulled' && pull !== undefined)
      return `${notDownloaded(pull, site).slice(0, -1)}, or choose another Base model in the form.`;
    if (site.worker !== undefined)
      return placeFixWords(
        text,
        "Choose another Base model in the form, or put this one on the worker's machine.",
      );
    return placeFixWords(text, 'Choose another Base model in the form, or pull it again on the Models page.');
  },
  resume: (_fix, text) => placeFixWords(text, 'press Resume from checkpoint on the Train page to'),
  'resume-or-new-run': (_fix, text) =>
    placeFixWords(
      text,
      'Press Resume from checkpoint on the Train page to continue it, or start a new training.',
    ),
  // a job's training settings are its request's (the Train page sets neither): the words of src/schemas/config.ts
  'shorter-warmup': ({ count }, text) =>
    placeFixWords(text, `Lower params.training.lrWarmupSteps or raise params.training.${count}.`),
  'writable-output': ({ folder, full }, text, site) => {
    if (site.worker !== undefined) return placeFixWords(text, WORKER_FOLDER_FIX(site.worker));
    return placeFixWords(text, folder === 'data' && full ? DATA_DISK_FIX : DATA_FOLDER_FIX);
  },
};

/** `fix` in the web app's words for `text` raised where `site` says. */
export function inWebWords(text: string, fix: ErrorFix | undefined, site: FailureSite = {}): string {
  if (fix === undefined) return text;
  return (WEB_FIX_WORDS[fix.kind] as (fix: ErrorFix, text: string, site: FailureSite) => string)(
    fix,
    text,
    site,
  );
}

/**
 * What a failed job's `error` says to the web app: a ToonloraError's text with its fix in the web app's words
 * (WEB_FIX_WORDS; a remote worker's job when its details name the `remoteWorker`); any other error's message as it is.
 */
export function webMessage(error: unknown): string {
  if (!isToonloraError(error)) return error instanceof Error ? error.message : String(error);
  const worker = error.details?.remoteWorker;
  return inWebWords(error.text, error.fix, typeof worker === 'string' ? { worker } : {});
}

/**
 * The subcommands of `toonlora` (src/cli/program.ts; the guard test checks this list against the program's): "toonlora
 * can" or "toonlora is" in a text is a phrase, `toonlora models` a command.
 */
export const CLI_SUBCOMMANDS: readonly string[] = [
  'demo',
  'prep',
  'train',
  'convert',
  'inspect',
  'generate',
  'serve',
  'worker',
  'models',
  'doctor',
  'setup',
];

const CLI_WORDS = new RegExp(
  `(?<![\\w-])--[a-z][\\w-]*|(?<!\\w)-o(?!\\w)|\\btoonlora (?:${CLI_SUBCOMMANDS.join('|')})(?![\\w-])`,
  'g',
);

/**
 * The CLI words in a text the web app shows (flags, `-o`, `toonlora <subcommand>`), outside the deliberate command a
 * remote worker's owner runs "on the worker's machine (toonlora … there)"; the guard tests want none.
 */
export function cliWordsIn(text: string): string[] {
  const allowed = text.replace(/on the worker's machine \(toonlora [^()]* there\)/g, '');
  return [...allowed.matchAll(CLI_WORDS)].map((m) => m[0]);
}
