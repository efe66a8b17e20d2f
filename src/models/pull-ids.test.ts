// Tests of what the names given to `models pull` stand for.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolvePullIds } from './pull-ids.js';

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

  it('refuses another Hub id with the hf download command and the cache folder the worker reads', () => {
    const options = { env: { HF_HOME: '/data/hf' }, homeDir: '/home/u' };
    expect(() => resolvePullIds(['lama', 'Lykon/AnyLoRA'], [], options)).toThrow(
      expect.objectContaining({
        code: 'TL_ERR_MODEL_UNKNOWN',
        message: expect.stringContaining(
          "run `hf download Lykon/AnyLoRA --include 'model_index.json' --include 'scheduler/*'",
        ),
      }),
    );
    try {
      resolvePullIds(['Lykon/AnyLoRA'], [], options);
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toMatch(/^"Lykon\/AnyLoRA" is a Hugging Face repo, not a model of toonlora's registry/);
      expect(message).toContain(`--exclude '*.fp16.*'`);
      expect(message).toContain(`(${join('/data/hf', 'hub', 'models--Lykon--AnyLoRA')}/snapshots/<commit>/)`);
      expect(message).toContain('`toonlora train --base Lykon/AnyLoRA`');
    }
  });

  it('refuses an unknown id naming the known ones', () => {
    expect(() => resolvePullIds(['lamma'], [])).toThrow(/unknown id "lamma". Known ids: .*lama/);
  });
});
