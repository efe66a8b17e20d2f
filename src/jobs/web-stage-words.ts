// src/jobs/web-stage-words.ts — a prep stage reason in the web app's words (pure): the parts src/stage-reason.ts
// records beside the CLI's words (a model to pull: the Models page; a prep option: the Upload page's field, by its label in
// src/prep-field-labels.ts; an
// error: its fix as job-error-hints.ts words it). The server's prep jobs announce their stage choices in these words;
// the Upload page words a prep job's `result.stages` with them (an older job's reason without parts: as it was, or a
// plain fallback when it names a CLI flag or command).
import { reasonInWords, type StageReason, stageReasonSchema, type StageWords } from '../stage-reason.js';
import { cliWordsIn, inWebWords } from './job-error-hints.js';
import { PREP_FIELD_LABELS } from '../prep-field-labels.js';

/** The web app's words for each part kind (src/stage-reason.ts CLI_STAGE_WORDS has the CLI's). */
export const WEB_STAGE_WORDS: StageWords = {
  'pull-model': ({ id }) => `pulling ${id} on the Models page`,
  'prep-option': ({ option, value }) => `${PREP_FIELD_LABELS[option]} "${value}"`,
  error: ({ text, fix }) => inWebWords(text, fix),
};

/** `reason` in the web app's words. */
export function webReason(reason: StageReason): string {
  return reasonInWords(reason, WEB_STAGE_WORDS);
}

/**
 * What the web app says for a reason recorded without its parts (a prep job made before they existed, or parts this
 * version cannot read) whose text names a CLI flag or command: the text cannot be worded again, and "run `toonlora
 * models pull isnet-anime`" is no step a web user can take.
 */
export const OLDER_REASON_FALLBACK =
  'recorded by an earlier version of the server in command-line words; build the dataset again to see the reason here';

/**
 * A stage choice's reason as a job's result carries it (the manifest's `{ reason, reasonParts }`), in the web app's
 * words: its parts worded, else (a manifest written before the parts, or parts this version cannot read) its
 * `reason` as it is, or OLDER_REASON_FALLBACK when that names a CLI flag or command.
 */
export function webStageReason(choice: {
  readonly reason?: unknown;
  readonly reasonParts?: unknown;
}): string {
  const parts = stageReasonSchema.safeParse(choice.reasonParts);
  if (parts.success) return webReason(parts.data);
  if (typeof choice.reason !== 'string') return '';
  return cliWordsIn(choice.reason).length === 0 ? choice.reason : OLDER_REASON_FALLBACK;
}
