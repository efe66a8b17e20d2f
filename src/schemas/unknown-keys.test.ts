import { describe, expect, it } from 'vitest';
import { toonloraConfigSchema } from './config.js';
import { editDistance, findUnknownKeys, knownPaths, suggestKey } from './unknown-keys.js';

describe('knownPaths', () => {
  it('lists sections and nested fields under their default / prefault wrappers', () => {
    const paths = knownPaths(toonloraConfigSchema);
    expect(paths).toContain('training');
    expect(paths).toContain('training.lora.rank');
    expect(paths).toContain('prep.blip.numBeams');
    expect(paths).toContain('training.epochs');
    expect(paths).not.toContain('training.rank');
  });
});

describe('editDistance', () => {
  it.each([
    ['rank', 'rank', 0],
    ['rnak', 'rank', 1],
    ['trainig', 'training', 1],
    ['abc', '', 3],
    ['kitten', 'sitting', 3],
  ])('%s -> %s is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });
});

describe('findUnknownKeys', () => {
  it('finds nothing in a file of known keys', () => {
    const file = { training: { steps: 10, lora: { rank: 8 } }, prep: { blip: { numBeams: 2 } } };
    expect(findUnknownKeys(file, toonloraConfigSchema)).toEqual([]);
  });
  it.each([
    [{ trainig: { steps: 10 } }, 'trainig', 'training'],
    [{ training: { rnak: 3 } }, 'training.rnak', 'training.lora.rank'],
    [{ training: { rank: 3 } }, 'training.rank', 'training.lora.rank'],
    [{ training: { lora: { alhpa: 4 } } }, 'training.lora.alhpa', 'training.lora.alpha'],
    [{ training: { learning_rate: 0.1 } }, 'training.learning_rate', 'training.learningRate'],
    [{ generation: { step: 20 } }, 'generation.step', 'generation.steps'],
    [{ prep: { blip: { num_beams: 2 } } }, 'prep.blip.num_beams', 'prep.blip.numBeams'],
  ])('%j: %s, likely %s', (file, path, suggestion) => {
    expect(findUnknownKeys(file, toonloraConfigSchema)).toEqual([
      expect.objectContaining({ path, suggestion }),
    ]);
  });
  it('gives no suggestion for a key far from all, and lists the known keys where it sits', () => {
    const [key, ...rest] = findUnknownKeys({ generation: { zzzzzz: 1 } }, toonloraConfigSchema);
    expect(rest).toEqual([]);
    expect(key?.path).toBe('generation.zzzzzz');
    expect(key?.suggestion).toBeUndefined();
    expect(key?.known).toContain('guidanceScale');
  });
  it('does not walk into values that are not objects (the schema reports those)', () => {
    expect(findUnknownKeys({ training: 3, prep: [{ x: 1 }] }, toonloraConfigSchema)).toEqual([]);
  });
});

describe('suggestKey', () => {
  it('prefers the candidate nearest in the tree on a tie', () => {
    expect(suggestKey(['training', 'resolutoin'], ['prep.resolution', 'training.resolution'])).toBe(
      'training.resolution',
    );
  });

  it('names every equally good candidate when none is nearer in the tree (a key in the wrong section)', () => {
    expect(suggestKey(['prep', 'steps'], ['training.steps', 'generation.steps', 'training.seed'])).toBe(
      'training.steps or generation.steps',
    );
    expect(suggestKey(['prep', 'stpes'], ['training.steps', 'generation.steps'])).toBe(
      'training.steps or generation.steps',
    );
  });
});
