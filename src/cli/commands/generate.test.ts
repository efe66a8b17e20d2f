// src/cli/commands/generate.test.ts — `generate`'s flags: `--seed 1,2` is refused with the form that works, a seed
// given twice and a LoRA at weight 0 are noted (they run, but do less than they seem to).
import { describe, expect, it } from 'vitest';
import { generationConfigSchema } from '../../schemas/config.js';
import { seedsFlag, settingNotes } from './generate.js';

describe('seedsFlag', () => {
  it('refuses a comma-separated list, naming the space-separated form', () => {
    expect(() => seedsFlag(['1,2'])).toThrow(
      expect.objectContaining({
        code: 'TL_ERR_USAGE',
        message: '--seed: "1,2" is not a number. Give several seeds separated by spaces: --seed 1 2.',
      }),
    );
    expect(() => seedsFlag(['3', '4, 5,'])).toThrow('--seed 4 5.');
    expect(() => seedsFlag(['abc'])).toThrow('--seed: "abc" is not a number. Give a number after --seed.');
    expect(seedsFlag(['1', '2'])).toEqual([1, 2]);
    expect(seedsFlag(undefined)).toBeUndefined();
  });
});

describe('settingNotes', () => {
  const config = (settings: Record<string, unknown>) =>
    generationConfigSchema.parse({ prompt: 'sks', ...settings });

  it('notes a seed given more than once', () => {
    expect(settingNotes(config({ seeds: [7, 7, 8] }), undefined)).toEqual([
      'seed 7 is given more than once: each repeat renders the same image again (seed-7-2.png); give each seed once.',
    ]);
    expect(settingNotes(config({ seeds: [7, 8] }), undefined)).toEqual([]);
  });

  it('notes a LoRA at weight 0, not the base model alone', () => {
    expect(settingNotes(config({ loraWeight: 0 }), 'run/sks.safetensors')).toEqual([
      "the LoRA weight is 0: the LoRA has no effect, so these are the base model's images. Give --weight 0.8 (the default) to apply it.",
    ]);
    expect(settingNotes(config({ loraWeight: 0 }), undefined)).toEqual([]);
    expect(settingNotes(config({ loraWeight: -1 }), 'run/sks.safetensors')).toEqual([]);
  });
});
