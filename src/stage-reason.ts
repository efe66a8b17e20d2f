// src/stage-reason.ts — why prep chose a stage, as data: text runs and the parts each side words its own way
// (a model to pull, a prep option that was set, an error's message with its fix), and the CLI's words for them: the
// manifest's `reason` and the run's announcement lines. The web app words the same parts (src/jobs/
// web-stage-words.ts); both are a StageWords, so a new part kind does not compile until each side words it.
import { z } from 'zod';
import { errorFixSchema, inCliWords } from './error-fix.js';

/** The prep options a reason can name (the CLI's flags, the Upload page's fields). */
export const prepOptionSchema = z.enum(['characters', 'segmenter', 'inpainter', 'captioner']);
export type PrepOptionName = z.infer<typeof prepOptionSchema>;

export const stagePartSchema = z.discriminatedUnion('kind', [
  /** A model whose download would change the choice: the CLI's pull command, the web app's Models page. */
  z.strictObject({ kind: z.literal('pull-model'), id: z.string().min(1) }),
  /** A prep option set to a value: the CLI's flag, the web app's Upload page field. */
  z.strictObject({ kind: z.literal('prep-option'), option: prepOptionSchema, value: z.string().min(1) }),
  /** An error's message (a model that did not load, BLIP that failed): its text and fix as src/error-fix.ts has them. */
  z.strictObject({ kind: z.literal('error'), text: z.string(), fix: errorFixSchema.optional() }),
]);

/** A text run, or a part each side words. */
export const stageReasonPartSchema = z.union([z.string(), stagePartSchema]);
export const stageReasonSchema = z.array(stageReasonPartSchema);

export type StagePart = z.infer<typeof stagePartSchema>;
export type StageReasonPart = z.infer<typeof stageReasonPartSchema>;
export type StageReason = readonly StageReasonPart[];

/** One side's words for every part kind (the CLI's: CLI_STAGE_WORDS; the web app's: web-stage-words.ts). */
export type StageWords = {
  readonly [K in StagePart['kind']]: (part: Extract<StagePart, { kind: K }>) => string;
};

/** The CLI's words: what the manifest's `reason` and the run's announcements say. */
export const CLI_STAGE_WORDS: StageWords = {
  'pull-model': ({ id }) => `\`toonlora models pull ${id}\``,
  'prep-option': ({ option, value }) => `--${option} ${value}`,
  error: ({ text, fix }) => inCliWords(fix ? { text, fix } : { text }),
};

/** `reason` in `words`: the text runs as they are, each other part worded. */
export function reasonInWords(reason: StageReason, words: StageWords): string {
  return reason
    .map((part) =>
      typeof part === 'string' ? part : (words[part.kind] as (part: StagePart) => string)(part),
    )
    .join('');
}

/** `reason` in the CLI's words. */
export function cliReason(reason: StageReason): string {
  return reasonInWords(reason, CLI_STAGE_WORDS);
}

/**
 * A stage the run chose (the manifest's `stages` entries, src/schemas/manifest.ts): `reason` in the CLI's words;
 * `reasonParts`, where the reason names a model to pull, a prep option or an error, the same reason as text runs and
 * those parts as data, which the web app words its own way. Absent in manifests written before the field and where
 * the reason is plain text.
 */
export const stageChoiceSchema = z.object({
  name: z.string(),
  reason: z.string(),
  reasonParts: stageReasonSchema.optional(),
});
export type StageChoiceWithParts = z.infer<typeof stageChoiceSchema>;

/** The manifest's record of choosing `name` because of `reason` (`reasonParts` only where a part is data). */
export function stageChoice(name: string, reason: StageReason): StageChoiceWithParts {
  const data = reason.some((part) => typeof part !== 'string');
  return { name, reason: cliReason(reason), ...(data ? { reasonParts: [...reason] } : {}) };
}

/** A choice's reason as parts: its `reasonParts`, else its `reason` as one text run. */
export function reasonOf(choice: {
  readonly reason: string;
  readonly reasonParts?: StageReason;
}): StageReason {
  return choice.reasonParts ?? [choice.reason];
}

/** An error's message as a reason part: a ToonloraError's text and fix, any other error's message. */
export function errorPart(error: {
  readonly message: string;
  readonly text?: string;
  readonly fix?: z.infer<typeof errorFixSchema>;
}): StagePart {
  const text = error.text ?? error.message;
  return error.fix ? { kind: 'error', text, fix: error.fix } : { kind: 'error', text };
}
