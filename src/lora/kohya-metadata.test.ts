// Tests for kohya-metadata.ts and peft-config.ts: Python float formatting, tag frequency (incl.
// hostile tag names), the kohya metadata map, PEFT pattern lookup and config validation.
import { describe, expect, it } from 'vitest';
import { trainingConfigSchema } from '../schemas/config.js';
import {
  buildKohyaMetadata,
  computeTagFrequency,
  FACT_METADATA_KEYS,
  givenFacts,
  type LoraTrainingFactsInput,
  loraTrainingFactsSchema,
  overlayTrainingFacts,
  topTags,
} from './kohya-metadata.js';
import { pythonFloatRepr } from './kohya-run-keys.js';
import {
  buildPeftConfig,
  matchPattern,
  parsePeftConfig,
  peftModuleScale,
  shortestFloat32,
} from './peft-config.js';

describe('pythonFloatRepr', () => {
  it('matches Python repr()', () => {
    const cases: Array<[number, string]> = [
      [16, '16.0'],
      [1e-4, '0.0001'],
      [5e-5, '5e-05'],
      [1e-5, '1e-05'],
      [0.1, '0.1'],
      [1e16, '1e+16'],
      [1e15, '1000000000000000.0'],
      [1234.5, '1234.5'],
      [0, '0.0'],
      [-2.5e-7, '-2.5e-07'],
      [1700000000.25, '1700000000.25'],
    ];
    for (const [value, text] of cases) expect(pythonFloatRepr(value)).toBe(text);
  });
});

describe('ss_tag_frequency', () => {
  it('counts trimmed, lower-cased tags per folder; hostile tag names stay plain keys', () => {
    const freq = computeTagFrequency({
      '10_sks girl': ['sks, 1girl, Smile', 'sks, 1girl,  ', '__proto__, constructor'],
      '5_sks boy': ['sks'],
    });
    // Compared as JSON text: an object literal cannot hold a plain "__proto__" key.
    expect(JSON.stringify(freq)).toBe(
      '{"10_sks girl":{"sks":2,"1girl":2,"smile":1,"__proto__":1,"constructor":1},"5_sks boy":{"sks":1}}',
    );
    expect(({} as Record<string, unknown>).constructor).toBe(Object);
    expect(topTags(freq, 2)).toEqual([
      { tag: 'sks', count: 3 },
      { tag: '1girl', count: 2 },
    ]);
  });
});

describe('buildKohyaMetadata', () => {
  it('writes every kohya / modelspec key as strings, defaults from the training schema', () => {
    const facts = loraTrainingFactsSchema.parse({
      outputName: 'hero',
      trigger: 'sks',
      numTrainImages: 40,
      trainingStartedAt: 1700000000,
      trainingFinishedAt: 1700003600.5,
      captionsByFolder: { '10_sks girl': ['sks, smile'] },
    });
    const defaults = trainingConfigSchema.parse({});
    const meta = buildKohyaMetadata(facts, { rank: 32, alpha: 16, dora: false }, '2026-01-02T03:04:05.000Z');
    expect(meta).toMatchObject({
      ss_network_module: 'networks.lora',
      ss_network_dim: '32',
      ss_network_alpha: '16.0',
      ss_base_model_version: 'sd_v1',
      ss_v2: 'False',
      ss_output_name: 'hero',
      ss_sd_model_name: defaults.baseModel,
      ss_clip_skip: String(defaults.clipSkip),
      ss_resolution: `(${defaults.resolution}, ${defaults.resolution})`,
      ss_num_train_images: '40',
      ss_steps: String(defaults.steps),
      ss_learning_rate: pythonFloatRepr(defaults.learningRate),
      ss_min_snr_gamma: pythonFloatRepr(defaults.snrGamma),
      ss_noise_offset: pythonFloatRepr(defaults.noiseOffset),
      ss_gradient_checkpointing: defaults.gradientCheckpointing ? 'True' : 'False',
      ss_mixed_precision: defaults.mixedPrecision,
      ss_training_started_at: '1700000000.0',
      ss_training_finished_at: '1700003600.5',
      'modelspec.sai_model_spec': '1.0.1',
      'modelspec.architecture': 'stable-diffusion-v1/lora',
      'modelspec.resolution': '512x512',
      'modelspec.prediction_type': 'epsilon',
      'modelspec.trigger_phrase': 'sks',
      'modelspec.title': 'hero',
      'modelspec.date': '2026-01-02T03:04:05.000Z',
    });
    expect(JSON.parse(meta.ss_tag_frequency ?? '')).toEqual({ '10_sks girl': { sks: 1, smile: 1 } });
    expect(Object.values(meta).every((v) => typeof v === 'string')).toBe(true);
    expect(meta).toMatchObject({
      ss_network_train_unet_only: 'True',
      ss_unet_lr: pythonFloatRepr(defaults.learningRate),
    });
    expect(meta.ss_text_encoder_lr).toBeUndefined();
    const te = buildKohyaMetadata(
      loraTrainingFactsSchema.parse({ textEncoderLearningRate: 2e-5 }),
      { rank: 32, alpha: 16, dora: false, textEncoder: true },
      '2026-01-02T03:04:05.000Z',
    );
    expect(te).toMatchObject({ ss_network_train_unet_only: 'False', ss_text_encoder_lr: '2e-05' });
  });

  it('writes ss_dataset_dirs as kohya does, and ss_epoch from the facts', () => {
    const meta = buildKohyaMetadata(
      loraTrainingFactsSchema.parse({
        epochs: 3,
        datasetDirs: {
          '5_sks girl': { n_repeats: 5, img_count: 8 },
          '2_zzk boy': { n_repeats: 2, img_count: 1 },
        },
      }),
      { rank: 32, alpha: 16, dora: false },
      '2026-01-02T03:04:05.000Z',
    );
    expect(meta.ss_epoch).toBe('3');
    expect(JSON.parse(meta.ss_dataset_dirs ?? '')).toEqual({
      '5_sks girl': { n_repeats: 5, img_count: 8 },
      '2_zzk boy': { n_repeats: 2, img_count: 1 },
    });
    const bare = buildKohyaMetadata(
      loraTrainingFactsSchema.parse({}),
      { rank: 1, alpha: 1, dora: false },
      '',
    );
    expect(bare.ss_dataset_dirs).toBeUndefined();
  });

  it('rejects unknown fact fields', () => {
    expect(loraTrainingFactsSchema.safeParse({ stepz: 3 }).success).toBe(false);
  });
});

describe("training facts over a file's own metadata", () => {
  const network = { rank: 8, alpha: 4, dora: false, textEncoder: true };
  const date = '2026-01-02T03:04:05.000Z';
  // One value per fact, each differing from the schema default.
  const sample: Required<LoraTrainingFactsInput> = {
    baseModel: 'someone/other-model',
    resolution: 768,
    steps: 77,
    learningRate: 3e-4,
    textEncoderLearningRate: 3e-6,
    snrGamma: 1,
    noiseOffset: 0.03,
    gradientCheckpointing: false,
    mixedPrecision: 'bf16',
    clipSkip: 1,
    outputName: 'renamed',
    title: 'A Title',
    epochs: 9,
    numTrainImages: 90,
    trigger: 'zzk',
    trainingStartedAt: 5,
    trainingFinishedAt: 6,
    captionsByFolder: { '10_zzk': ['zzk, smile'] },
    datasetDirs: { '10_zzk': { n_repeats: 10, img_count: 1 } },
    seed: 7,
    batchSize: 2,
    gradientAccumulation: 3,
    lrScheduler: 'linear',
    lrWarmupSteps: 10,
    shuffleCaptions: false,
    aspectRatioBuckets: false,
    cacheLatents: false,
    baseModelHash: '0123abcd',
    baseModelSha256: 'f'.repeat(64),
    predictionType: 'v_prediction',
    maxTrainSteps: 100,
    numEpochs: 10,
    sessionId: 1234,
    bucketInfo: { buckets: [{ resolution: [512, 512], count: 4 }], mean_img_ar_error: 0 },
    optimizer: 'torch.optim.adamw.AdamW',
    maxGradNorm: 1,
    maxTokenLength: 75,
  };

  it('FACT_METADATA_KEYS names every key a fact changes in buildKohyaMetadata', () => {
    const bare = buildKohyaMetadata(loraTrainingFactsSchema.parse({}), network, date);
    for (const fact of Object.keys(sample) as Array<keyof typeof sample>) {
      const one = buildKohyaMetadata(loraTrainingFactsSchema.parse({ [fact]: sample[fact] }), network, date);
      const changed = Object.keys(one).filter((k) => one[k] !== bare[k]);
      expect(changed.length, fact).toBeGreaterThan(0);
      expect(FACT_METADATA_KEYS[fact], fact).toEqual(expect.arrayContaining(changed));
    }
  });

  it('givenFacts: only the keys present, not the schema defaults', () => {
    expect(givenFacts({ outputName: 'x', trigger: undefined, steps: 3 })).toEqual(['outputName', 'steps']);
    expect(givenFacts({})).toEqual([]);
  });

  it("lays only the given facts over the file's keys: no default is written as the file's", () => {
    const file = {
      ss_output_name: 'mychar_v2',
      ss_epoch: '8',
      ss_num_train_images: '200',
      ss_sd_model_name: 'anything-v5.safetensors',
      ss_tag_frequency: '{"10_mychar girl": {"mychar": 20}}',
      ss_dataset_dirs: '{"10_mychar girl": {"n_repeats": 10, "img_count": 20}}',
      ss_max_train_steps: '1600',
      'modelspec.title': 'mychar_v2',
      other: 'kept',
    };
    const input = { outputName: 'newname', trigger: 'zzk' };
    const built = buildKohyaMetadata(loraTrainingFactsSchema.parse(input), network, date);
    const merged = overlayTrainingFacts(file, built, givenFacts(input));
    expect(merged).toEqual({
      ...file,
      ss_output_name: 'newname',
      'modelspec.title': 'newname',
      'modelspec.trigger_phrase': 'zzk',
    });
    for (const key of ['ss_noise_offset', 'ss_min_snr_gamma', 'ss_mixed_precision', 'modelspec.date'])
      expect(merged[key], key).toBeUndefined();
    // A title given wins over the output name's default title, whatever the order.
    const titled = { title: 'T', outputName: 'n' };
    const withTitle = buildKohyaMetadata(loraTrainingFactsSchema.parse(titled), network, date);
    expect(overlayTrainingFacts(file, withTitle, givenFacts(titled))).toMatchObject({
      ss_output_name: 'n',
      'modelspec.title': 'T',
    });
  });
});

describe('PEFT config', () => {
  it('matches patterns the way PEFT get_pattern_key does (suffix after a dot, first key wins)', () => {
    const patterns = {
      'attn1.to_q': 1,
      to_q: 2,
      'down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_q': 3,
    };
    expect(matchPattern(patterns, 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q')).toBe(
      'attn1.to_q',
    );
    expect(matchPattern(patterns, 'mid_block.attentions.0.transformer_blocks.0.attn2.to_q')).toBe('to_q');
    expect(matchPattern(patterns, 'mid_block.attentions.0.transformer_blocks.0.attn2.xto_q')).toBeUndefined();
    expect(matchPattern({ '(': 1 }, 'x')).toBeUndefined();
  });

  it('rank / alpha per module with patterns and rsLoRA', () => {
    const config = parsePeftConfig(
      { r: 16, lora_alpha: 8, rank_pattern: { to_k: 4 }, alpha_pattern: { to_v: 2 }, use_rslora: true },
      'cfg',
    );
    expect(peftModuleScale(config, 'a.to_q')).toEqual({ rank: 16, loraAlpha: 8, kohyaAlpha: 32 });
    expect(peftModuleScale(config, 'a.to_k')).toEqual({ rank: 4, loraAlpha: 8, kohyaAlpha: 16 });
    expect(peftModuleScale(config, 'a.to_v').loraAlpha).toBe(2);
  });

  it('rejects __proto__ and non-LoRA configs with the file named', () => {
    expect(() =>
      parsePeftConfig(JSON.parse('{"r": 4, "alpha_pattern": {"__proto__": 3}}'), 'adapter_config.json'),
    ).toThrow(/adapter_config.json: key "alpha_pattern.__proto__"/);
    expect(() => parsePeftConfig({ peft_type: 'LOHA' }, 'c.json')).toThrow(/not LORA/);
    expect(() => parsePeftConfig({ r: 0 }, 'c.json')).toThrow(/c.json: r:/);
  });

  it('builds r / lora_alpha from the most common values and patterns for the rest', () => {
    const config = buildPeftConfig(
      [
        { path: 'a', rank: 8, alpha: 4 },
        { path: 'b', rank: 8, alpha: Math.fround(0.1) },
        { path: 'c', rank: 16, alpha: 4 },
      ],
      { useDora: false },
    );
    expect(config).toMatchObject({ r: 8, lora_alpha: 4, rank_pattern: { c: 16 }, alpha_pattern: { b: 0.1 } });
    expect(shortestFloat32(Math.fround(0.1))).toBe(0.1);
  });
});
