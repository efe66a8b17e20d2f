// web/src/components/generate-form.ts — the generate page's form (pure): the prompt pre-filled from the
// character, the number fields as the text the inputs hold, which generate job the page reopens and its form
// (from its params), and the form checked into the job's `generation` settings (or the first field that is wrong:
// a blank prompt too, which the API refuses), and which edit clears the error shown.
import { z } from 'zod';
import { BLANK_PROMPT_MESSAGE } from '../../../src/schemas/api-jobs.js';
import type { Character, Job } from '../../../src/schemas/api.js';
import { DEFAULT_BASE_MODEL, generationConfigSchema } from '../../../src/schemas/config.js';
import { countedNoun } from './counted-noun.js';
import { jobToReopen } from './job-view.js';
import { type NumberFieldSpec, numberText, parseNumberField } from './number-field.js';

const DEFAULTS = generationConfigSchema.parse({});
const generation = generationConfigSchema.shape;
const seedSchema = generation.seeds.unwrap().element;
/** Images per request offered by the page (the schema allows up to 16 seeds, rendered as one batch). */
const MAX_IMAGES = 8;

export const SEED_FIELD: NumberFieldSpec = { label: 'Seed', schema: seedSchema };
export const STEPS_FIELD: NumberFieldSpec = { label: 'Steps', schema: generation.steps.unwrap() };
export const COUNT_FIELD: NumberFieldSpec = {
  label: 'Images',
  schema: z.number().int().min(1).max(MAX_IMAGES),
};

/** Booru-style class tags that read as a count ("1girl"); any other class word goes in as written. */
const COUNTED_CLASSES = new Set(['girl', 'boy']);

/** The prompt a new generation starts from: "mina_tl, 1girl, upper body, smiling" / "mina_tl, young woman, ...". */
export function defaultPrompt(character: Pick<Character, 'trigger' | 'classWord'>): string {
  const classWord = character.classWord.trim();
  const tag = COUNTED_CLASSES.has(classWord.toLowerCase()) ? `1${classWord.toLowerCase()}` : classWord;
  return [character.trigger, tag, 'upper body', 'smiling'].filter(Boolean).join(', ');
}

export interface GenerateForm {
  loraId: string;
  /** Empty: the LoRA's training base, or without a LoRA the server's default. */
  baseModel: string;
  prompt: string;
  negative: string;
  weight: number;
  seed: string;
  count: string;
  steps: string;
  sweep: boolean;
}

export function initialGenerateForm(character: Pick<Character, 'trigger' | 'classWord'>): GenerateForm {
  return {
    loraId: '',
    baseModel: '',
    prompt: defaultPrompt(character),
    negative: DEFAULTS.negativePrompt,
    weight: DEFAULTS.loraWeight,
    seed: numberText(DEFAULTS.seeds[0] ?? 42),
    count: '2',
    steps: numberText(DEFAULTS.steps),
    sweep: false,
  };
}

/** The form of a generate job's params: its prompt, weight, first seed and count, steps, sweep and LoRA. */
export function generateFormFromParams(
  params: Record<string, unknown>,
  fallback: GenerateForm,
): GenerateForm {
  const parsed = generationConfigSchema.safeParse(params.generation ?? {});
  if (!parsed.success) return fallback;
  const g = parsed.data;
  return {
    loraId: typeof params.loraId === 'string' ? params.loraId : '',
    baseModel: '',
    prompt: g.prompt,
    negative: g.negativePrompt,
    weight: g.loraWeight,
    seed: numberText(g.seeds[0] ?? DEFAULTS.seeds[0] ?? 42),
    count: numberText(Math.min(g.seeds.length, MAX_IMAGES)),
    steps: numberText(g.steps),
    sweep: Array.isArray(params.weights),
  };
}

/**
 * What the page reopens on load among the character's generate `jobs` (newest first): the queued or running
 * job (a resumed one may be older than one cancelled after it), else the newest, with its settings in the
 * form, its LoRA included: one no longer among `loraIds` (deleted) stays chosen, for the page to say so and the
 * user to choose another (generate-lora.ts). A job without a LoRA stays without one; no job: the newest LoRA.
 */
export function reopenedGenerate<J extends { status: Job['status']; params: Record<string, unknown> }>(
  jobs: readonly J[],
  loraIds: readonly string[],
  fresh: GenerateForm,
): { job: J | null; form: GenerateForm } {
  const job = jobToReopen(jobs);
  const reopened = job ? generateFormFromParams(job.params, fresh) : fresh;
  const loraId = job ? reopened.loraId : (loraIds[loraIds.length - 1] ?? '');
  return { job, form: { ...reopened, loraId } };
}

export type GenerateFormResult =
  | {
      ok: true;
      generation: {
        prompt: string;
        negativePrompt: string;
        loraWeight: number;
        steps: number;
        seeds: number[];
      };
    }
  | { ok: false; error: string /** the field at fault (its input's name) */; field: string };

/** The form's settings as a generate job's `generation`, or the first field that is wrong (the prompt, a number). */
export function generationFromForm(form: GenerateForm): GenerateFormResult {
  if (form.prompt.trim() === '')
    return { ok: false, error: `Prompt: ${BLANK_PROMPT_MESSAGE}`, field: 'prompt' };
  const seed = parseNumberField(SEED_FIELD, form.seed);
  if (!seed.ok) return { ...seed, field: 'seed' };
  const count = parseNumberField(COUNT_FIELD, form.count);
  if (!count.ok) return { ...count, field: 'count' };
  const steps = parseNumberField(STEPS_FIELD, form.steps);
  if (!steps.ok) return { ...steps, field: 'steps' };
  const seeds = Array.from({ length: count.value }, (_, i) => seed.value + i);
  const last = seeds[seeds.length - 1] ?? seed.value;
  if (!seedSchema.safeParse(last).success) {
    return {
      ok: false,
      error: `Seed: ${seed.value} + ${countedNoun(count.value - 1, 'image')} passes the largest seed`,
      field: 'seed',
    };
  }
  return {
    ok: true,
    generation: {
      prompt: form.prompt,
      negativePrompt: form.negative,
      loraWeight: form.weight,
      steps: steps.value,
      seeds,
    },
  };
}

/**
 * Whether an edit (`patch` of the form) changes the field the form's error is about (`invalidField`, an input's
 * name: prompt, seed, count, steps): the error then goes, as the value it named is no longer there.
 */
export function editClearsFieldError(invalidField: string | null, patch: Partial<GenerateForm>): boolean {
  return invalidField !== null && invalidField in patch;
}

/** The base a generation runs on, and where that choice came from. */
export interface GenerateBase {
  /** The base to name in the job (undefined: leave it to the server's default). */
  baseModel: string | undefined;
  /** What the base is, for the notes: the one typed, the LoRA's training base, or the server's default. */
  name: string;
  source: 'form' | 'lora' | 'file' | 'default';
}

/**
 * The base model of a generation: the one typed in the form (an override), else the base the chosen LoRA was
 * trained on (its `meta.baseModel`), else the server's base its file's metadata names (`fileBase`, an uploaded
 * LoRA: lora-file-base.ts), else the server's default (DEFAULT_BASE_MODEL, not sent).
 */
export function generateBase(
  form: Pick<GenerateForm, 'baseModel'>,
  lora: { meta: Record<string, unknown> } | undefined,
  fileBase: string | null = null,
): GenerateBase {
  const typed = form.baseModel.trim();
  if (typed) return { baseModel: typed, name: typed, source: 'form' };
  const trained = lora?.meta.baseModel;
  if (typeof trained === 'string' && trained) return { baseModel: trained, name: trained, source: 'lora' };
  if (lora && fileBase) return { baseModel: fileBase, name: fileBase, source: 'file' };
  return { baseModel: undefined, name: DEFAULT_BASE_MODEL, source: 'default' };
}
