// web/src/components/train-form.ts — the train page's form (pure): its fields as the text the inputs hold,
// the defaults from the shared training schema, the form of a reopened train job (from its params), and
// the form checked into the job's `training` params (or the first field that is not a valid number).
import type { BaseModelChoice, TrainJobParams } from '../../../src/schemas/api.js';
import { type LORA_ALGORITHMS, loraConfigSchema, trainingConfigSchema } from '../../../src/schemas/config.js';
import { countedNoun } from './counted-noun.js';
import { type NumberFieldSpec, numberText, parseNumberField } from './number-field.js';

export type LoraAlgorithm = (typeof LORA_ALGORITHMS)[number];

export interface TrainForm {
  baseModel: string;
  algorithm: LoraAlgorithm;
  rank: string;
  /** Empty: alpha = rank. */
  alpha: string;
  steps: string;
  learningRate: string;
  snrGamma: string;
  noiseOffset: string;
  resolution: string;
  /** A sample image every N steps (0: none). */
  sampleEverySteps: string;
}

type NumberKey =
  | 'rank'
  | 'steps'
  | 'learningRate'
  | 'snrGamma'
  | 'noiseOffset'
  | 'resolution'
  | 'sampleEverySteps';
const training = trainingConfigSchema.shape;

/** The number fields in form order, each with the schema the server checks it with. */
export const TRAIN_NUMBER_FIELDS: ReadonlyArray<readonly [NumberKey, NumberFieldSpec]> = [
  ['rank', { label: 'Rank', schema: loraConfigSchema.shape.rank.unwrap() }],
  ['steps', { label: 'Steps', schema: training.steps.unwrap() }],
  ['learningRate', { label: 'Learning rate', schema: training.learningRate.unwrap() }],
  ['snrGamma', { label: 'Min-SNR gamma', schema: training.snrGamma.unwrap() }],
  ['noiseOffset', { label: 'Noise offset', schema: training.noiseOffset.unwrap() }],
  ['resolution', { label: 'Resolution', schema: training.resolution.unwrap(), multipleOf: 8 }],
  [
    'sampleEverySteps',
    { label: 'Sample every (steps, 0: none)', schema: training.sampleEverySteps.unwrap() },
  ],
];
export const ALPHA_FIELD: NumberFieldSpec = { label: 'Alpha', schema: loraConfigSchema.shape.alpha.unwrap() };

/** The form showing `config`'s settings. */
function formOf(config: TrainJobParams['training']): TrainForm {
  return {
    baseModel: config.baseModel,
    algorithm: config.lora.algorithm,
    rank: numberText(config.lora.rank),
    alpha: config.lora.alpha === undefined ? '' : numberText(config.lora.alpha),
    steps: numberText(config.steps),
    learningRate: numberText(config.learningRate),
    snrGamma: numberText(config.snrGamma),
    noiseOffset: numberText(config.noiseOffset),
    resolution: numberText(config.resolution),
    sampleEverySteps: numberText(config.sampleEverySteps),
  };
}

export const INITIAL_TRAIN_FORM: TrainForm = formOf(trainingConfigSchema.parse({}));

/** The form of a train job's params (its settings, defaults filled in); the defaults when they do not parse. */
export function trainFormFromParams(params: Record<string, unknown>): TrainForm {
  const parsed = trainingConfigSchema.safeParse(params.training ?? {});
  return parsed.success ? formOf(parsed.data) : INITIAL_TRAIN_FORM;
}

/** The step count a train job's params ask for (the loss chart's axis before its first progress event). */
export function trainStepsOf(params: Record<string, unknown>): number {
  const parsed = trainingConfigSchema.safeParse(params.training ?? {});
  return parsed.success ? parsed.data.steps : trainingConfigSchema.parse({}).steps;
}

export type TrainFormResult =
  | {
      ok: true;
      training: Pick<
        TrainJobParams['training'],
        | 'baseModel'
        | 'steps'
        | 'learningRate'
        | 'snrGamma'
        | 'noiseOffset'
        | 'resolution'
        | 'sampleEverySteps'
      > & { lora: { algorithm: LoraAlgorithm; rank: number; alpha?: number } };
    }
  | { ok: false; error: string /** the field at fault (its input's name) */; field: string };

/** The form as a train job's `training` params, or the first field that holds no valid number. */
export function trainingFromForm(form: TrainForm): TrainFormResult {
  const numbers: Partial<Record<NumberKey, number>> = {};
  for (const [key, spec] of TRAIN_NUMBER_FIELDS) {
    const field = parseNumberField(spec, form[key]);
    if (!field.ok) return { ...field, field: key };
    numbers[key] = field.value;
  }
  let alpha: number | undefined;
  if (form.alpha.trim() !== '') {
    const field = parseNumberField(ALPHA_FIELD, form.alpha);
    if (!field.ok) return { ...field, field: 'alpha' };
    alpha = field.value;
  }
  const baseModel = form.baseModel.trim();
  if (!baseModel)
    return {
      ok: false,
      error: 'Base model: enter a model id (e.g. tiny, or a Hugging Face id)',
      field: 'baseModel',
    };
  const n = numbers as Record<NumberKey, number>;
  return {
    ok: true,
    training: {
      baseModel,
      steps: n.steps,
      learningRate: n.learningRate,
      snrGamma: n.snrGamma,
      noiseOffset: n.noiseOffset,
      resolution: n.resolution,
      sampleEverySteps: n.sampleEverySteps,
      lora: { algorithm: form.algorithm, rank: n.rank, ...(alpha === undefined ? {} : { alpha }) },
    },
  };
}

/** The line under the base-model field: whether the server has that base (GET /api/base-models). */
export interface BaseModelNote {
  warn: boolean;
  text: string;
}

/**
 * What the form says of base model `value`: a warning when it is a registry base the server has not
 * downloaded (its job would fail as it starts), what `tiny` is; nothing for other names (a Hugging Face id
 * is looked up by the worker) or before the list arrived.
 */
export function baseModelNote(value: string, choices: readonly BaseModelChoice[]): BaseModelNote | null {
  const choice = choices.find((c) => c.aliases.includes(value.trim()));
  if (!choice) return null;
  if (!choice.present) {
    return {
      warn: true,
      text: `${choice.name} is not downloaded on the server: pull it on the Models page, or train on tiny to try the app.`,
    };
  }
  return choice.name === 'tiny' ? { warn: false, text: `tiny: ${choice.description}.` } : null;
}

/**
 * The line under the sample interval: when the first sample image comes, or why a run of `steps` steps shows
 * none (the trainer samples at every multiple of the interval only); null while a field is not a number.
 */
export function sampleNote(stepsText: string, everyText: string): BaseModelNote | null {
  const steps = Number(stepsText);
  const every = Number(everyText);
  if (!stepsText.trim() || !everyText.trim() || !Number.isInteger(steps) || !Number.isInteger(every))
    return null;
  if (every <= 0) return { warn: false, text: 'No sample images during the run (sample interval 0).' };
  if (every > steps) {
    return {
      warn: true,
      text: `No sample images: the first comes at step ${every}, after this run's ${countedNoun(steps, 'step')}. Lower "Sample every" to see some.`,
    };
  }
  const count = Math.floor(steps / every);
  return {
    warn: false,
    text: `First sample at step ${every}; ${countedNoun(count, 'sample')} in this run.`,
  };
}
