import { describe, expect, it } from 'vitest';
import {
  generateBase,
  generateFormFromParams,
  generationFromForm,
  defaultPrompt,
  editClearsFieldError,
  initialGenerateForm,
  reopenedGenerate,
} from './generate-form.js';

describe('generate form', () => {
  it('pre-fills the trigger and class word; "1" only before the booru girl / boy tags', () => {
    expect(defaultPrompt({ trigger: 'mina_tl', classWord: 'girl' })).toBe(
      'mina_tl, 1girl, upper body, smiling',
    );
    expect(defaultPrompt({ trigger: 'ken', classWord: 'Boy' })).toBe('ken, 1boy, upper body, smiling');
    expect(defaultPrompt({ trigger: 'mina_tl', classWord: 'young woman' })).toBe(
      'mina_tl, young woman, upper body, smiling',
    );
    expect(defaultPrompt({ trigger: 'rex', classWord: 'dog' })).toBe('rex, dog, upper body, smiling');
  });

  it("shows a reopened job's settings", () => {
    const fallback = initialGenerateForm({ trigger: 'mina_tl', classWord: 'girl' });
    const form = generateFormFromParams(
      {
        loraId: 'l1',
        generation: { prompt: 'mina_tl, red scarf', steps: 2, seeds: [7, 8, 9], loraWeight: 0.6 },
        weights: [0.4, 0.7, 1],
      },
      fallback,
    );
    expect(form).toMatchObject({
      loraId: 'l1',
      prompt: 'mina_tl, red scarf',
      weight: 0.6,
      seed: '7',
      count: '3',
      steps: '2',
      sweep: true,
    });
    expect(generateFormFromParams({ generation: { steps: -1 } }, fallback)).toBe(fallback);
  });

  it('reopens the running job with its settings, not a newer cancelled one', () => {
    const fresh = initialGenerateForm({ trigger: 'mina_tl', classWord: 'girl' });
    const job = (
      id: string,
      status: 'running' | 'cancelled' | 'succeeded',
      loraId: string,
      prompt: string,
    ) => ({
      id,
      status,
      params: { loraId, generation: { prompt } },
    });
    const cancelled = job('newer', 'cancelled', 'l2', 'cancelled prompt');
    const running = job('resumed', 'running', 'l1', 'running prompt');
    const reopened = reopenedGenerate([cancelled, running], ['l1', 'l2'], fresh);
    expect(reopened.job).toBe(running);
    expect(reopened.form).toMatchObject({ loraId: 'l1', prompt: 'running prompt' });
    // none runs: the newest; a LoRA no longer listed (deleted) stays chosen, not swapped for the newest
    const ended = job('old', 'succeeded', 'l1', 'old prompt');
    expect(reopenedGenerate([cancelled, ended], ['l0', 'l1'], fresh)).toMatchObject({
      job: cancelled,
      form: { loraId: 'l2', prompt: 'cancelled prompt' },
    });
    expect(reopenedGenerate([], ['l0', 'l1'], fresh)).toEqual({
      job: null,
      form: { ...fresh, loraId: 'l1' },
    });
  });

  it('sends numbers, never an emptied field as 0', () => {
    const form = initialGenerateForm({ trigger: 'mina_tl', classWord: 'girl' });
    expect(generationFromForm({ ...form, seed: '10', count: '3', steps: '2' })).toMatchObject({
      ok: true,
      generation: { steps: 2, seeds: [10, 11, 12] },
    });
    expect(generationFromForm({ ...form, steps: '' })).toEqual({
      ok: false,
      error: 'Steps: enter a whole number from 1 to 500',
      field: 'steps',
    });
    expect(generationFromForm({ ...form, count: '9' })).toMatchObject({ ok: false, field: 'count' });
    expect(generationFromForm({ ...form, seed: String(2 ** 32 - 1), count: '2' })).toMatchObject({
      ok: false,
      error: `Seed: ${2 ** 32 - 1} + 1 image passes the largest seed`,
      field: 'seed',
    });
    expect(generationFromForm({ ...form, seed: String(2 ** 32 - 2), count: '3' })).toMatchObject({
      error: `Seed: ${2 ** 32 - 2} + 2 images passes the largest seed`,
    });
  });
});

describe('generateBase', () => {
  it("takes the base typed, else the LoRA's training base, else the server's default (not sent)", () => {
    const lora = { meta: { baseModel: 'tiny' } };
    expect(generateBase({ baseModel: ' anything-v5 ' }, lora)).toEqual({
      baseModel: 'anything-v5',
      name: 'anything-v5',
      source: 'form',
    });
    expect(generateBase({ baseModel: '' }, lora)).toEqual({
      baseModel: 'tiny',
      name: 'tiny',
      source: 'lora',
    });
    expect(generateBase({ baseModel: '' }, undefined)).toEqual({
      baseModel: undefined,
      name: 'stablediffusionapi/anything-v5',
      source: 'default',
    });
  });
});

describe('generate form: the prompt and the field error', () => {
  const form = initialGenerateForm({ trigger: 'mina_tl', classWord: 'girl' });

  it('refuses an empty or blank prompt, naming the field (it was posted as "")', () => {
    for (const prompt of ['', '  \n ']) {
      expect(generationFromForm({ ...form, prompt })).toEqual({
        ok: false,
        field: 'prompt',
        error: 'Prompt: empty: say what to generate, the trigger word first (e.g. "mina_tl, 1girl, smile")',
      });
    }
    expect(generationFromForm({ ...form, prompt: 'mina_tl' })).toMatchObject({ ok: true });
  });

  it("an edit of the field the error names clears it; another field's edit does not", () => {
    expect(editClearsFieldError('steps', { steps: '20' })).toBe(true);
    expect(editClearsFieldError('prompt', { prompt: 'mina_tl' })).toBe(true);
    expect(editClearsFieldError('steps', { seed: '3' })).toBe(false);
    expect(editClearsFieldError(null, { steps: '20' })).toBe(false);
  });
});
