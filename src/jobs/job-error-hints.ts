// src/jobs/job-error-hints.ts — a server job's failure in words for the web app too (pure). A base model the
// worker could not load names its fix as the CLI's `toonlora models pull <id>` (trainer/toonlora_trainer/
// base_files.py, the one source of that wording); the server adds where the web app does the same pull. The fixes
// the CLI and the worker name by a flag (`--base`, `-o`, `--resume`) are put in the web app's words (webWords):
// a job's base is the form's Base model field, its output folder is under the server's data folder, a failed
// training job resumes by the Train page's button.

/** `toonlora models pull <id>` in a worker's message (with or without backticks; an id may hold dots). */
const CLI_PULL = /toonlora models pull ([\w.-]*\w(?:\/[\w.-]*\w)?)/;

/** The web app's way to the pull the CLI hint names. */
export function webPullHint(id: string): string {
  return `(In the web app: the Models page pulls ${id}.)`;
}

const BASE_FIX = 'Choose another Base model in the form, or pull it again on the Models page.';
const DATA_FOLDER_FIX =
  'The server cannot write there: whoever runs the server must make its data folder writable, or start it with another one.';

/**
 * The CLI's and the worker's flag-named fixes (src/worker/base-check.ts, trainer base_files.py, lora_loading.py,
 * src/worker/train.ts's --resume and -o hints, lora-input-check.ts's -o hint), each with the words a web user can act on.
 */
const CLI_FIXES: ReadonlyArray<readonly [RegExp, string]> = [
  [/Check the --base path \([^)]*\)\./g, BASE_FIX],
  [/give --base another base \([^)]*\)/g, 'choose another Base model in the form'],
  [
    /the base model the LoRA was trained for \(--base\)/g,
    'the base model the LoRA was trained for (the Base model field)',
  ],
  // a died or stopped training run (src/worker/train.ts, kohya-file.ts): the web app resumes a failed job by a button
  [/run the same train command with --resume to/g, 'press Resume from checkpoint on the Train page to'],
  [/Choose a folder you can write to for -o( \(the run folder\))?\./g, DATA_FOLDER_FIX],
];

/** `message` with each CLI flag-named fix CLI_FIXES knows put in the web app's words; others as they are. */
export function webWords(message: string): string {
  return CLI_FIXES.reduce((text, [cli, web]) => text.replace(cli, web), message);
}

/**
 * `message` of a failed job with the web app's way to the fix it names: flag-named fixes in the web app's words
 * (webWords); a model-missing error naming `toonlora models pull <id>` gets webPullHint(id) appended.
 */
export function withWebFixHint(code: string, message: string): string {
  const words = webWords(message);
  if (code !== 'TL_ERR_MODEL_MISSING' || words.includes('Models page pulls')) return words;
  const id = CLI_PULL.exec(words)?.[1];
  return id ? `${words} ${webPullHint(id)}` : words;
}
