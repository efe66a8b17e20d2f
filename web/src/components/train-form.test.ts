import { describe, expect, it } from 'vitest';
import { trainingConfigSchema } from '../../../src/schemas/config.js';
import {
  baseModelNote,
  INITIAL_TRAIN_FORM,
  sampleNote,
  trainFormFromParams,
  trainingFromForm,
  trainStepsOf,
} from './train-form.js';

describe('train form', () => {
  it('starts from the schema defaults, as text', () => {
    expect(INITIAL_TRAIN_FORM).toMatchObject({
      baseModel: 'stablediffusionapi/anything-v5',
      algorithm: 'lora',
      rank: '32',
      alpha: '',
      steps: '1500',
      learningRate: '0.0001',
      resolution: '512',
    });
  });

  it("shows a reopened job's settings and step count", () => {
    const training = trainingConfigSchema.parse({
      baseModel: 'tiny',
      steps: 4,
      resolution: 64,
      lora: { rank: 4, alpha: 2, algorithm: 'lokr' },
    });
    const params = { datasetId: 'd1', training };
    expect(trainFormFromParams(params)).toMatchObject({
      baseModel: 'tiny',
      algorithm: 'lokr',
      rank: '4',
      alpha: '2',
      steps: '4',
      resolution: '64',
    });
    expect(trainStepsOf(params)).toBe(4);
    // params that do not parse (an older job): the defaults
    expect(trainFormFromParams({ training: { steps: 'x' } })).toEqual(INITIAL_TRAIN_FORM);
    expect(trainStepsOf({})).toBe(1500);
  });

  it('round-trips the form into training params, and refuses an emptied field', () => {
    const form = trainFormFromParams({ training: { baseModel: 'tiny', steps: 4, lora: { rank: 4 } } });
    const result = trainingFromForm(form);
    expect(result).toEqual({
      ok: true,
      training: {
        baseModel: 'tiny',
        steps: 4,
        learningRate: 1e-4,
        snrGamma: 5,
        noiseOffset: 0.1,
        resolution: 512,
        sampleEverySteps: 250,
        lora: { algorithm: 'lora', rank: 4 },
      },
    });
    if (result.ok) expect(trainingConfigSchema.safeParse(result.training).success).toBe(true);
    expect(trainingFromForm({ ...form, steps: '' })).toEqual({
      ok: false,
      error: 'Steps: enter a whole number from 1 to 1000000',
      field: 'steps',
    });
    expect(trainingFromForm({ ...form, alpha: '0' })).toMatchObject({ ok: false, field: 'alpha' });
    expect(trainingFromForm({ ...form, baseModel: ' ' })).toMatchObject({ ok: false, field: 'baseModel' });
    expect(trainingFromForm({ ...form, alpha: '8' })).toMatchObject({
      ok: true,
      training: { lora: { alpha: 8 } },
    });
    expect(trainingFromForm({ ...form, resolution: '500' })).toMatchObject({ ok: false });
    expect(trainingFromForm({ ...form, baseModel: ' ' })).toMatchObject({ ok: false });
  });
});

describe('base model note', () => {
  const choices = [
    {
      name: 'anything-v5',
      aliases: ['anything-v5', 'stablediffusionapi/anything-v5'],
      present: false,
      description: 'Anything V5',
    },
    { name: 'tiny', aliases: ['tiny'], present: true, description: 'random weights' },
  ];

  it('warns, under either name, when the server has not downloaded a registry base', () => {
    for (const value of ['stablediffusionapi/anything-v5', ' anything-v5 ']) {
      expect(baseModelNote(value, choices)).toEqual({
        warn: true,
        text: 'anything-v5 is not downloaded on the server: pull it on the Models page, or train on tiny to try the app.',
      });
    }
  });

  it('says nothing of a present registry base, another Hub id, or before the list arrived', () => {
    const present = choices.map((c) => ({ ...c, present: true }));
    expect(baseModelNote('anything-v5', present)).toBeNull();
    expect(baseModelNote('someone/other-model', choices)).toBeNull();
    expect(baseModelNote('anything-v5', [])).toBeNull();
  });

  it('says what tiny is', () => {
    expect(baseModelNote('tiny', choices)).toEqual({ warn: false, text: 'tiny: random weights.' });
  });
});

describe('sampleNote', () => {
  it('says when the first sample comes, or that a short run shows none', () => {
    expect(INITIAL_TRAIN_FORM.sampleEverySteps).toBe('250');
    expect(sampleNote('20', '250')).toEqual({
      warn: true,
      text: 'No sample images: the first comes at step 250, after this run\'s 20 steps. Lower "Sample every" to see some.',
    });
    expect(sampleNote('1500', '250')).toEqual({
      warn: false,
      text: 'First sample at step 250; 6 samples in this run.',
    });
    expect(sampleNote('1', '250')?.text).toBe(
      'No sample images: the first comes at step 250, after this run\'s 1 step. Lower "Sample every" to see some.',
    );
    expect(sampleNote('20', '0')?.text).toBe('No sample images during the run (sample interval 0).');
    expect(sampleNote('', '250')).toBe(null);
  });
  it('sends the sample interval with the training params', () => {
    const result = trainingFromForm({ ...INITIAL_TRAIN_FORM, sampleEverySteps: '10' });
    expect(result).toMatchObject({ ok: true, training: { sampleEverySteps: 10 } });
    expect(trainingFromForm({ ...INITIAL_TRAIN_FORM, sampleEverySteps: '-1' })).toMatchObject({
      ok: false,
      field: 'sampleEverySteps',
    });
  });
});
