// src/jobs/job-error-hints.ts — a server job's failure in words for the web app too (pure): a base model the
// worker could not load names its fix as the CLI's `toonlora models pull <id>` (trainer/toonlora_trainer/
// base_files.py, the one source of that wording); the server adds where the web app does the same pull.

/** `toonlora models pull <id>` in a worker's message (with or without backticks; an id may hold dots). */
const CLI_PULL = /toonlora models pull ([\w.-]*\w(?:\/[\w.-]*\w)?)/;

/** The web app's way to the pull the CLI hint names. */
export function webPullHint(id: string): string {
  return `(In the web app: the Models page pulls ${id}.)`;
}

/**
 * `message` of a failed job with the web app's way to the fix it names: a model-missing error naming
 * `toonlora models pull <id>` gets webPullHint(id) appended; any other message is returned as it is.
 */
export function withWebFixHint(code: string, message: string): string {
  if (code !== 'TL_ERR_MODEL_MISSING' || message.includes('Models page')) return message;
  const id = CLI_PULL.exec(message)?.[1];
  return id ? `${message} ${webPullHint(id)}` : message;
}
