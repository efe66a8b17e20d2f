// Tests of which queued / running jobs keep a model from being removed (jobUsesModel, pure).
import { describe, expect, it } from 'vitest';
import { jobUsesModel } from './model-remove.js';

const train = (baseModel?: string) => ({
  kind: 'train' as const,
  params: { training: baseModel === undefined ? {} : { baseModel } },
});

describe('jobUsesModel', () => {
  it('a train / generate job uses its base: a registry base by id or repo, a Hub repo at any revision', () => {
    const anything = { origin: 'registry' as const, id: 'anything-v5' };
    expect(jobUsesModel(train('anything-v5'), anything)).toBe(true);
    expect(jobUsesModel(train('stablediffusionapi/anything-v5'), anything)).toBe(true);
    expect(jobUsesModel(train(), anything)).toBe(true); // the default base
    expect(jobUsesModel(train('tiny'), anything)).toBe(false);
    const hub = { origin: 'hub' as const, id: 'someone/toon', revision: 'v1.0' };
    expect(jobUsesModel(train('someone/toon'), hub)).toBe(true);
    expect(
      jobUsesModel({ kind: 'generate', params: { generation: { baseModel: 'someone/toon@main' } } }, hub),
    ).toBe(true);
    expect(jobUsesModel(train('someone/other'), hub)).toBe(false);
  });

  it("a prep job uses every model of prep's stages, not a base", () => {
    const prep = { kind: 'prep' as const, params: {} };
    expect(jobUsesModel(prep, { origin: 'registry', id: 'lama' })).toBe(true);
    expect(jobUsesModel(prep, { origin: 'registry', id: 'anything-v5' })).toBe(false);
    expect(jobUsesModel(prep, { origin: 'hub', id: 'someone/toon' })).toBe(false);
  });
});
