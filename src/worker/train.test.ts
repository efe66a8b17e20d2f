// src/worker/train.test.ts — the train request carries exactly one of steps / epochs (the worker turns
// epochs into steps from the dataset), and the CLI refuses --steps with --epochs and warns about inert flags.
import { describe, expect, it } from 'vitest';
import { inertFlagWarnings, trainingOverrides } from '../cli/commands/train.js';
import { trainingConfigSchema } from '../schemas/config.js';
import { trainRequestSchema } from './protocol.js';
import { buildTrainRequest } from './train.js';

describe('buildTrainRequest', () => {
  it('sends epochs with steps null when epochs is set, and steps with epochs null otherwise', () => {
    const byEpochs = buildTrainRequest({
      datasetDir: '/d',
      runDir: '/r',
      config: trainingConfigSchema.parse({ epochs: 3 }),
    });
    expect(byEpochs.config).toMatchObject({ steps: null, epochs: 3, sampleSeeds: [42, 43] });
    expect(trainRequestSchema.safeParse(byEpochs).success).toBe(true);
    const bySteps = buildTrainRequest({
      datasetDir: '/d',
      runDir: '/r',
      config: trainingConfigSchema.parse({ steps: 20 }),
    });
    expect(bySteps.config).toMatchObject({ steps: 20, epochs: null });
    expect(trainRequestSchema.safeParse(bySteps).success).toBe(true);
  });

  it('the protocol rejects a request with both or neither', () => {
    const request = buildTrainRequest({
      datasetDir: '/d',
      runDir: '/r',
      config: trainingConfigSchema.parse({}),
    });
    expect(
      trainRequestSchema.safeParse({ ...request, config: { ...request.config, epochs: 2 } }).success,
    ).toBe(false);
    expect(
      trainRequestSchema.safeParse({ ...request, config: { ...request.config, steps: null } }).success,
    ).toBe(false);
  });
});

describe('toonlora train flags', () => {
  it('--steps and --epochs together are a usage error naming both', () => {
    expect(() =>
      trainingOverrides({ steps: '100', epochs: '2', resume: false, dryRun: false, json: false }),
    ).toThrow(
      expect.objectContaining({
        code: 'TL_ERR_USAGE',
        message: expect.stringContaining('--steps 100 and --epochs 2'),
      }),
    );
    expect(trainingOverrides({ epochs: '2', resume: false, dryRun: false, json: false })).toMatchObject({
      training: { epochs: 2, steps: undefined },
    });
  });

  it('warns about --te-lr without text-encoder training and --lokr-factor without --lokr', () => {
    const base = { resume: false, dryRun: false, json: false };
    const plain = trainingConfigSchema.parse({});
    expect(inertFlagWarnings({ ...base, teLr: '1e-5', lokrFactor: '8' }, plain)).toEqual([
      expect.stringMatching(/^--te-lr has no effect: .*Add --train-text-encoder\.$/),
      expect.stringMatching(/^--lokr-factor has no effect: .*Add --lokr\.$/),
    ]);
    const both = trainingConfigSchema.parse({ trainTextEncoder: true, lora: { algorithm: 'lokr' } });
    expect(inertFlagWarnings({ ...base, teLr: '1e-5', lokrFactor: '8' }, both)).toEqual([]);
    expect(inertFlagWarnings(base, plain)).toEqual([]);
  });

  it('--keep-checkpoints sets keepCheckpoints; the schema refuses a negative count', () => {
    const overrides = trainingOverrides({ keepCheckpoints: '3', resume: false, dryRun: false, json: false });
    expect(overrides).toMatchObject({ training: { keepCheckpoints: 3 } });
    expect(trainingConfigSchema.parse({}).keepCheckpoints).toBe(0); // every checkpoint stays unless asked
    expect(trainingConfigSchema.safeParse({ keepCheckpoints: -1 }).success).toBe(false);
  });

  it('--no-buckets turns aspect-ratio buckets off; without it the config file decides (default on)', () => {
    const off = trainingOverrides({ buckets: false, resume: false, dryRun: false, json: false });
    expect(off).toMatchObject({ training: { aspectRatioBuckets: false } });
    const unset = trainingOverrides({ buckets: true, resume: false, dryRun: false, json: false });
    expect((unset.training as Record<string, unknown>).aspectRatioBuckets).toBeUndefined();
    expect(trainingConfigSchema.parse({}).aspectRatioBuckets).toBe(true);
  });

  it('--lokr and --lokr-factor choose the LoKr adapter; the schema refuses DoRA with it and a factor of 0', () => {
    const overrides = trainingOverrides({
      lokr: true,
      lokrFactor: '8',
      resume: false,
      dryRun: false,
      json: false,
    });
    expect(overrides).toMatchObject({ training: { lora: { algorithm: 'lokr', lokrFactor: 8 } } });
    const config = trainingConfigSchema.parse(overrides.training);
    expect(config.lora).toMatchObject({ algorithm: 'lokr', lokrFactor: 8, rank: 32 });
    expect(trainingConfigSchema.parse({}).lora).toMatchObject({ algorithm: 'lora', lokrFactor: -1 });
    const dora = trainingConfigSchema.safeParse({ lora: { algorithm: 'lokr', dora: true } });
    expect(dora.success).toBe(false);
    expect(dora.error?.issues[0]).toMatchObject({
      path: ['lora', 'dora'],
      message: expect.stringContaining('LoRA only'),
    });
    expect(trainingConfigSchema.safeParse({ lora: { algorithm: 'lokr', lokrFactor: 0 } }).success).toBe(
      false,
    );
    // the worker's request keeps the check (the resolved schema extends the LoRA one)
    const request = buildTrainRequest({ datasetDir: '/d', runDir: '/r', config });
    expect(trainRequestSchema.safeParse(request).success).toBe(true);
    const bad = { ...request, config: { ...request.config, lora: { ...request.config.lora, dora: true } } };
    expect(trainRequestSchema.safeParse(bad).success).toBe(false);
  });
});
