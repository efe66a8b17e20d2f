// Tests of what the names given to `models pull` stand for.
import { describe, expect, it } from 'vitest';
import { readPullNames, resolvePullIds } from './pull-ids.js';

describe('resolvePullIds', () => {
  it('takes `all` as every missing model, with the other names given beside it, each once', () => {
    expect(resolvePullIds(['all', 'lama'], ['isnet-anime', 'u2net'])).toEqual([
      'isnet-anime',
      'u2net',
      'lama',
    ]);
    expect(resolvePullIds(['lama', 'all'], ['lama', 'u2net'])).toEqual(['lama', 'u2net']);
    expect(resolvePullIds(['all'], [])).toEqual([]);
    expect(resolvePullIds(['lama', 'lama'], [])).toEqual(['lama']);
  });

  it("takes a registry model's Hugging Face repo for its id", () => {
    expect(resolvePullIds(['stablediffusionapi/anything-v5', 'anything-v5'], [])).toEqual(['anything-v5']);
    expect(resolvePullIds(['Salesforce/blip-image-captioning-base'], [])).toEqual(['blip-base']);
  });

  it('keeps another Hub id as is (pulled as an SD1.5 base), and refuses one with a `..` part', () => {
    expect(resolvePullIds(['lama', 'Lykon/AnyLoRA', 'Lykon/AnyLoRA'], [])).toEqual(['lama', 'Lykon/AnyLoRA']);
    expect(() => resolvePullIds(['../AnyLoRA'], [])).toThrow(/unknown id "..\/AnyLoRA"/);
  });

  it('refuses an unknown id naming the known ones', () => {
    expect(() => resolvePullIds(['lamma'], [])).toThrow(/unknown id "lamma". Known ids: .*lama/);
    // a name with one slash too many: the Hub id form is accepted too, and said so
    expect(() => resolvePullIds(['a/b/c'], [])).toThrow(
      /unknown id "a\/b\/c". Known ids: .*lama.*; or a Hugging Face Hub id `owner\/name` \(a diffusers SD1\.5 repo/,
    );
  });
});

describe('readPullNames', () => {
  it('reads a pasted Hub address as owner/name at the revision it shows, and refuses two revisions', () => {
    expect(readPullNames(['https://huggingface.co/a/b/tree/v1.0'], undefined)).toEqual({
      ids: ['a/b'],
      revision: 'v1.0',
    });
    expect(readPullNames(['https://huggingface.co/a/b', 'lama'], undefined)).toEqual({
      ids: ['a/b', 'lama'],
      revision: undefined,
    });
    expect(readPullNames(['a/b'], 'dev')).toEqual({ ids: ['a/b'], revision: 'dev' });
    expect(() => readPullNames(['https://huggingface.co/a/b/blob/v2/x.json'], 'v1')).toThrow(
      'the address given shows revision v2, but --revision is v1',
    );
  });
});
