// src/jobs/job-error-hints.ts — a server job's failure in the web app's words (pure). An error's fix is data
// (src/error-fix.ts), set where it is raised, by the TS checks or the Python worker's `error` event; the CLI words it
// by a flag (`--base`, `-o`, `--resume`), the web app here: a job's base is the form's Base model field, its output
// folder is under the server's data folder, a failed training job resumes by the Train page's button, a model is
// pulled on the Models page. The server stores the worded message with the job (embedded-queue.ts), so a job stored
// before fixes were data keeps the text it was stored with: nothing here rewrites stored rows.
import { type FixWords, putFix } from '../error-fix.js';
import { isToonloraError } from '../errors.js';

/** The web app's way to the pull the CLI names as `toonlora models pull <id>`. */
export function webPullHint(id: string): string {
  return `(In the web app: the Models page pulls ${id}.)`;
}

const BASE_FIX = 'Choose another Base model in the form, or pull it again on the Models page.';
const DATA_FOLDER_FIX =
  'The server cannot write there: whoever runs the server must make its data folder writable, or start it with another one.';

/** The web app's words for each fix (src/error-fix.ts CLI_FIX_WORDS has the CLI's). */
export const WEB_FIX_WORDS: FixWords = {
  'pull-model': ({ id }) => webPullHint(id), // after the message's own `toonlora models pull <id>`
  'choose-base': ({ why, pull }) => {
    if (why === 'lora')
      return 'Generate with the base model the LoRA was trained for (the Base model field).';
    if (why !== 'not-pulled') return BASE_FIX;
    return `choose another Base model in the form.${pull === undefined ? '' : ` ${webPullHint(pull)}`}`;
  },
  resume: () => 'press Resume from checkpoint on the Train page to',
  'writable-output': () => DATA_FOLDER_FIX,
};

/**
 * What a failed job's `error` says to the web app: a ToonloraError's text with its fix in the web app's words
 * (WEB_FIX_WORDS); any other error's message as it is.
 */
export function webMessage(error: unknown): string {
  if (!isToonloraError(error)) return error instanceof Error ? error.message : String(error);
  return putFix(error.text, error.fix, WEB_FIX_WORDS);
}
