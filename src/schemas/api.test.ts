// src/schemas/api.test.ts — facts of the API schemas that other code relies on: the job event types a client
// listens for are the event schema's own, a generate job's sweep weights have loraWeight's bounds, and a train
// job is checked as a config file is (a warmup as long as the run is refused when the job is posted).
import { describe, expect, it } from 'vitest';
import { JOB_EVENT_TYPES, generateJobParamsSchema, jobEventBodySchema, trainJobParamsSchema } from './api.js';
import { generationConfigSchema } from './config.js';

describe('JOB_EVENT_TYPES', () => {
  it('lists every body type jobEventBodySchema accepts, and nothing else', () => {
    expect(JOB_EVENT_TYPES).toEqual(['status', 'progress', 'sample', 'checkpoint', 'log']);
    for (const type of JOB_EVENT_TYPES) {
      const issues = jobEventBodySchema.safeParse({ type }).error?.issues ?? [];
      expect(issues.some((issue) => issue.path[0] === 'type')).toBe(false); // the type itself is known
    }
    expect(jobEventBodySchema.safeParse({ type: 'heartbeat' }).error?.issues[0]?.path).toEqual(['type']);
  });
});

describe('generateJobParamsSchema.weights', () => {
  it("has generation.loraWeight's bounds and messages, without its default", () => {
    const loraWeight = generationConfigSchema.shape.loraWeight;
    for (const weight of [-4, -0.5, 0, 0.8, 4, -4.01, 4.5, 9]) {
      const sweep = generateJobParamsSchema.safeParse({ weights: [weight] });
      const single = loraWeight.safeParse(weight);
      expect(sweep.success, String(weight)).toBe(single.success);
      expect(sweep.error?.issues[0]?.message).toBe(single.error?.issues[0]?.message);
    }
    expect(generateJobParamsSchema.parse({}).weights).toBeUndefined();
    expect(generateJobParamsSchema.safeParse({ weights: [undefined] }).success).toBe(false);
  });
});

describe('trainJobParamsSchema.training', () => {
  it('refuses a warmup that leaves no step at the full rate, as a config file does', () => {
    const refused = trainJobParamsSchema.safeParse({
      datasetId: 'd',
      training: { steps: 10, lrWarmupSteps: 10 },
    });
    expect(refused.error?.issues[0]?.path).toEqual(['training', 'lrWarmupSteps']);
    expect(
      trainJobParamsSchema.safeParse({ datasetId: 'd', training: { steps: 11, lrWarmupSteps: 10 } }).success,
    ).toBe(true);
  });
});
