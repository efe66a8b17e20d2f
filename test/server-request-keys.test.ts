// test/server-request-keys.test.ts — a job request with a key its schema does not know (a typo) is refused
// with a 400 naming the key and the one likely meant, and nothing is queued; what the web app sends passes.
import { describe, expect, it } from 'vitest';
import { jobCreateSchema, unknownRequestKeys } from '../src/schemas/api.js';
import { prepConfigSchema } from '../src/schemas/config.js';
import { generationFromForm, initialGenerateForm } from '../web/src/components/generate-form.js';
import { INITIAL_TRAIN_FORM, trainingFromForm } from '../web/src/components/train-form.js';
import { queueOnlyApps, seedDataset } from './helpers/server-fixtures.js';

const makeApp = queueOnlyApps('keys');

describe('unknown keys in a job request', () => {
  it('answers 400 naming the misspelled key and the likely one, for each kind, and queues nothing', async () => {
    const app = await makeApp();
    const { characterId, datasetId } = await seedDataset(app);
    const cases = [
      {
        body: {
          kind: 'train',
          characterId,
          params: { datasetId, training: { baseModel: 'tiny', stpes: 5 } },
        },
        key: 'body.params.training.stpes',
        meant: 'params.training.steps',
      },
      {
        body: { kind: 'generate', characterId, params: { generation: { baseModel: 'tiny', promt: 'mina' } } },
        key: 'body.params.generation.promt',
        meant: 'params.generation.prompt',
      },
      {
        body: { kind: 'prep', characterId, params: { option: { captioner: 'tags' } } },
        key: 'body.params.option',
        meant: 'params.options',
      },
      {
        body: { kind: 'train', characterId, params: { datasetId, training: { lora: { rnak: 4 } } } },
        key: 'body.params.training.lora.rnak',
        meant: 'params.training.lora.rank',
      },
    ];
    const before = app.queue.listJobs().length;
    for (const { body, key, meant } of cases) {
      const res = await app.inject({ method: 'POST', url: '/api/jobs', payload: body });
      expect(res.statusCode, key).toBe(400);
      const error = res.json().error;
      expect(error.code).toBe('TL_ERR_USAGE');
      expect(error.message).toContain(`${key}: unknown key; did you mean ${meant}?`);
      expect(error.details.fields).toEqual([key]);
    }
    expect(app.queue.listJobs()).toHaveLength(before);
    // a key with no near match lists the keys that are known there
    const res = await app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { kind: 'train', characterId, params: { datasetId, zzzzzzzz: 1 } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain(
      'body.params.zzzzzzzz: unknown key; known keys here: datasetId, training.',
    );
  });

  it('accepts what the web app sends for each kind', () => {
    const training = trainingFromForm({ ...INITIAL_TRAIN_FORM, alpha: '8' });
    const generation = generationFromForm(initialGenerateForm({ trigger: 'mina_tl', classWord: 'girl' }));
    if (!training.ok || !generation.ok) throw new Error('the initial forms should be valid');
    const defaults = prepConfigSchema.parse({});
    const bodies = [
      { kind: 'train', characterId: 'c', params: { datasetId: 'd', training: training.training } },
      {
        kind: 'generate',
        characterId: 'c',
        params: {
          loraId: 'l',
          generation: { ...generation.generation, baseModel: 'tiny', width: 512, height: 512 },
          weights: [0.5, 1],
        },
      },
      {
        kind: 'prep',
        characterId: 'c',
        params: {
          options: {
            characters: defaults.characters,
            segmenter: defaults.segmenter,
            inpainter: defaults.inpainter,
            captioner: defaults.captioner,
          },
        },
      },
    ];
    for (const body of bodies) expect(unknownRequestKeys(jobCreateSchema, body)).toEqual([]);
  });
});
