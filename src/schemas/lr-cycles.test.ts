// src/schemas/lr-cycles.test.ts — training.lrSchedulerNumCycles (kohya's --lr_scheduler_num_cycles): cosine_with_restarts
// takes it (before, no setting existed and that schedule was one cosine, the same as `cosine`); any other scheduler
// refuses a value other than 1 in words, in a config file and an API job alike.
import { describe, expect, it } from 'vitest';
import { trainJobParamsSchema } from './api-jobs.js';
import { checkedTrainingConfigSchema, trainingConfigSchema } from './config.js';

describe('lrSchedulerNumCycles', () => {
  it('defaults to 1 and is taken with cosine_with_restarts', () => {
    expect(trainingConfigSchema.parse({}).lrSchedulerNumCycles).toBe(1);
    const config = checkedTrainingConfigSchema.parse({
      lrScheduler: 'cosine_with_restarts',
      lrSchedulerNumCycles: 4,
    });
    expect(config.lrSchedulerNumCycles).toBe(4);
  });

  it('is refused with another scheduler, naming the field and the fix', () => {
    const result = checkedTrainingConfigSchema.safeParse({ lrScheduler: 'cosine', lrSchedulerNumCycles: 3 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['lrSchedulerNumCycles']);
    expect(result.error?.issues[0]?.message).toBe(
      '3 cycles work with lrScheduler cosine_with_restarts only, not cosine; set lrScheduler to cosine_with_restarts, or remove lrSchedulerNumCycles',
    );
    expect(
      checkedTrainingConfigSchema.safeParse({ lrScheduler: 'linear', lrSchedulerNumCycles: 1 }).success,
    ).toBe(true);
    const job = trainJobParamsSchema.shape.training.safeParse({
      lrScheduler: 'linear',
      lrSchedulerNumCycles: 2,
    });
    expect(job.success).toBe(false);
  });
});
