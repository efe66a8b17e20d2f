// src/worker/kohya-file.test.ts — the kohya metadata of a run comes from the worker's `done` facts (what its
// dataset scan trained, the precision that ran), never from a second reading of the dataset folder or the config's wish.
import { describe, expect, it } from 'vitest';
import { trainingConfigSchema } from '../schemas/config.js';
import { kohyaTrainingFacts } from './kohya-file.js';
import type { TrainingFacts } from './training-facts.js';

const FACTS: TrainingFacts = {
  folders: [
    { folder: '2_zzk boy', repeats: 2, trigger: 'zzk', captions: ['zzk boy'] },
    { folder: '5_sks girl', repeats: 5, trigger: 'sks', captions: ['sks, red eyes', 'sks girl'] },
  ],
  triggers: ['zzk', 'sks'],
  images: 3,
  images_with_repeats: 12,
  mixed_precision: 'no',
  prediction_type: 'epsilon',
  optimizer: 'torch.optim.adamw.AdamW',
  max_grad_norm: 1,
  max_token_length: 75,
  bucket_info: null,
};

const run = (facts: TrainingFacts) => ({
  // a folder that does not exist: nothing here may read it
  runDir: '/nonexistent/toonlora-run/sks-v1',
  output: '/nonexistent/toonlora-run/sks-v1/sks-v1.safetensors',
  config: trainingConfigSchema.parse({ mixedPrecision: 'fp16', steps: 40 }),
  overwrite: false,
  startedAt: 100,
  steps: 40,
  epochs: 4,
  facts,
});

describe('kohyaTrainingFacts', () => {
  it("records the folders, repeats, captions and triggers the worker's scan trained", () => {
    expect(kohyaTrainingFacts(run(FACTS), 200)).toMatchObject({
      outputName: 'sks-v1',
      steps: 40,
      epochs: 4,
      numTrainImages: 12,
      captionsByFolder: { '2_zzk boy': ['zzk boy'], '5_sks girl': ['sks, red eyes', 'sks girl'] },
      datasetDirs: {
        '2_zzk boy': { n_repeats: 2, img_count: 1 },
        '5_sks girl': { n_repeats: 5, img_count: 2 },
      },
      trigger: 'zzk, sks',
      trainingStartedAt: 100,
      trainingFinishedAt: 200,
    });
  });

  it('records the precision the worker ran in (a CPU run is `no`), not the mixedPrecision asked for', () => {
    expect(kohyaTrainingFacts(run(FACTS), 200).mixedPrecision).toBe('no');
    expect(kohyaTrainingFacts(run({ ...FACTS, mixed_precision: 'bf16' }), 200).mixedPrecision).toBe('bf16');
  });

  it("records the prediction type the worker trained, its buckets and kohya's run settings", () => {
    const buckets = {
      buckets: [{ resolution: [384, 640] as [number, number], count: 12 }],
      mean_img_ar_error: 0.01,
    };
    const facts = kohyaTrainingFacts(
      run({ ...FACTS, prediction_type: 'v_prediction', bucket_info: buckets }),
      200,
      { sessionId: 77, baseHashes: { legacy: '0123abcd', sha256: 'f'.repeat(64) } },
    );
    expect(facts).toMatchObject({
      predictionType: 'v_prediction',
      bucketInfo: buckets,
      optimizer: 'torch.optim.adamw.AdamW',
      maxGradNorm: 1,
      maxTokenLength: 75,
      maxTrainSteps: 40,
      numEpochs: 4,
      sessionId: 77,
      baseModelHash: '0123abcd',
      baseModelSha256: 'f'.repeat(64),
      seed: run(FACTS).config.seed,
      lrScheduler: run(FACTS).config.lrScheduler,
    });
    expect(kohyaTrainingFacts(run(FACTS), 200)).not.toHaveProperty('bucketInfo');
  });

  it('writes no trigger phrase for a run without one', () => {
    expect(kohyaTrainingFacts(run({ ...FACTS, triggers: [] }), 200)).not.toHaveProperty('trigger');
  });
});

describe('the base the kohya file names', () => {
  const commit = 'c'.repeat(40);
  const at = (baseModel: string, loadedBaseModel?: string) => ({
    ...run(FACTS),
    config: trainingConfigSchema.parse({ steps: 40, baseModel }),
    ...(loadedBaseModel === undefined ? {} : { loadedBaseModel }),
  });
  it('is the commit the worker loaded for a base named at a tag (was the tag: owner/name@v1.0)', () => {
    expect(kohyaTrainingFacts(at('someone/toon@v1.0', `someone/toon@${commit}`), 200).baseModel).toBe(
      `someone/toon@${commit}`,
    );
  });
  it('is the name as configured otherwise: never a cache folder or a name the worker did not pin', () => {
    expect(kohyaTrainingFacts(at('someone/toon', '/srv/hf/snapshots/x'), 200).baseModel).toBe('someone/toon');
    expect(kohyaTrainingFacts(at('someone/toon@v1.0', 'someone/toon@v1.0'), 200).baseModel).toBe(
      'someone/toon@v1.0',
    );
    expect(kohyaTrainingFacts(at('anything-v5'), 200).baseModel).toBe('anything-v5');
  });
  it("is a local base's file or folder name, never its path (was /home/alice/models/...)", () => {
    const local = (localBase: string) => ({ ...at(localBase), localBase });
    expect(kohyaTrainingFacts(local('/home/alice/models/myAnimeMix_v3.safetensors'), 200).baseModel).toBe(
      'myAnimeMix_v3.safetensors',
    );
    expect(kohyaTrainingFacts(local('/home/alice/models/my-mix/'), 200).baseModel).toBe('my-mix');
  });
});
