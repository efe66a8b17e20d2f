import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  checkedTrainingConfigSchema,
  prepConfigSchema,
  checkWarmupLeavesSteps,
  toonloraConfigSchema,
  trainingConfigSchema,
} from './config.js';

describe('checkWarmupLeavesSteps (the worker refuses the same run in config.check_warmup)', () => {
  it('puts the issue on lrWarmupSteps when the warmup takes every step', () => {
    const result = checkedTrainingConfigSchema.safeParse({ steps: 10, lrWarmupSteps: 10 });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toMatchObject([
      {
        path: ['lrWarmupSteps'],
        message:
          '10 warmup steps leave none of the 10 training steps at the full rate; lower it below 10, or raise --steps',
      },
    ]);
    expect(checkedTrainingConfigSchema.parse({ steps: 10, lrWarmupSteps: 9 }).lrWarmupSteps).toBe(9);
    // the plain schema stays refinement-free, so protocol.ts / kohya-metadata.ts can .extend / .pick it
    expect(trainingConfigSchema.safeParse({ steps: 10, lrWarmupSteps: 10 }).success).toBe(true);
  });

  it("says nothing when steps or the warmup is itself invalid: only that field's own issue shows", () => {
    for (const [training, path] of [
      [{ steps: 0 }, 'steps'],
      [{ steps: -3, lrWarmupSteps: 0 }, 'steps'],
      [{ steps: 2.5, lrWarmupSteps: 4 }, 'steps'],
      [{ steps: 10, lrWarmupSteps: 10.5 }, 'lrWarmupSteps'],
    ] as const) {
      const result = toonloraConfigSchema.safeParse({ training });
      expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual([`training.${path}`]);
    }
  });

  it('leaves a run measured in epochs to the worker, which knows its steps once it has read the dataset', () => {
    expect(checkedTrainingConfigSchema.safeParse({ epochs: 2, lrWarmupSteps: 5000 }).success).toBe(true);
    // the resolved shape the worker receives: steps null under epochs
    const resolved = z
      .object({ steps: z.number().nullable(), epochs: z.number().nullable(), lrWarmupSteps: z.number() })
      .superRefine(checkWarmupLeavesSteps);
    expect(resolved.safeParse({ steps: null, epochs: 2, lrWarmupSteps: 10 }).success).toBe(true);
    expect(resolved.safeParse({ steps: 10, epochs: null, lrWarmupSteps: 10 }).success).toBe(false);
  });
});

describe('the class word ends the dataset folder name `<repeats>_<trigger> <class>`', () => {
  it('refuses one ending in a dot (Windows drops it from the folder name); the trigger, inside the name, may', () => {
    for (const classWord of ['.', 'girl.', 'girl..', 'girl. ']) {
      expect(prepConfigSchema.safeParse({ classWord }).error?.issues).toMatchObject([
        {
          path: ['classWord'],
          message: expect.stringMatching(/^must not end in a dot: it ends the dataset folder/),
        },
      ]);
    }
    expect(prepConfigSchema.parse({ classWord: 'st. girl' }).classWord).toBe('st. girl');
    expect(prepConfigSchema.parse({ classWord: ' girl ' }).classWord).toBe('girl'); // spaces: trimmed
    expect(prepConfigSchema.parse({ trigger: 'sks.', classWord: 'girl' }).trigger).toBe('sks.');
  });
});
