// Tests for train's flag warnings: --base tiny at a real run's size says what tiny is for and how the demo runs it.
import { describe, expect, it } from 'vitest';
import { trainingConfigSchema } from '../../schemas/config.js';
import { inertFlagWarnings, tinyBaseWarning } from './train-flags.js';

const flags = { resume: false, dryRun: false, json: false };

describe('train --base tiny', () => {
  it('at the default 512 px warns that it is a quick check and that the demo trains it at 64 px', () => {
    // before: train --base tiny ran 1500 steps at 512 px (eta 3h35m on a CPU) without a word
    const config = trainingConfigSchema.parse({ baseModel: 'tiny' });
    expect(inertFlagWarnings({ ...flags, base: 'tiny' }, config)).toEqual([
      '--base tiny (random weights) only checks that training runs: its LoRA is of no use for images. This run ' +
        'trains it at 512 px for 1500 steps, as long as a real run (hours on a CPU); toonlora demo trains it at 64 px. ' +
        'For a quick check set resolution = 64 under [training] in a --config file and give --steps 60.',
    ]);
  });

  it('at 64 px, or with a real base, says nothing', () => {
    expect(
      tinyBaseWarning(trainingConfigSchema.parse({ baseModel: 'tiny', resolution: 64 })),
    ).toBeUndefined();
    expect(tinyBaseWarning(trainingConfigSchema.parse({}))).toBeUndefined();
  });

  it('names an --epochs run by its epochs', () => {
    const config = trainingConfigSchema.parse({ baseModel: 'tiny', epochs: 3 });
    expect(tinyBaseWarning(config)).toContain('at 512 px for 3 epochs');
  });
});
