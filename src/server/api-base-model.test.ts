// src/server/api-base-model.test.ts — the API takes registry bases, tiny and Hub ids, never server paths; the
// Train form's list offers the complete Hub-id bases.
import { describe, expect, it } from 'vitest';
import { apiBaseModelChoices, checkApiBaseModel, isApiBaseModel } from './api-base-model.js';

describe('isApiBaseModel', () => {
  it('accepts tiny, the registry base and Hugging Face owner/name ids', () => {
    expect(isApiBaseModel('tiny')).toBe(true);
    expect(isApiBaseModel('anything-v5')).toBe(true);
    expect(isApiBaseModel('stablediffusionapi/anything-v5')).toBe(true);
    expect(isApiBaseModel('runwayml/stable-diffusion-v1.5')).toBe(true);
  });

  it('refuses absolute, relative and single-file paths', () => {
    for (const path of [
      '/etc',
      '/home/u/models/x.safetensors',
      './models/sd15',
      '../secret/model',
      'owner/../../etc',
      '.hidden/model',
      'owner/.git',
      'a/b/c',
      'owner/model.safetensors',
      'owner/model.CKPT',
      'C:\\models\\x',
      '~/models/x',
      'sd15-folder',
      'lama', // a registry model, but not a base: the worker could never load it as one
      'u2net',
    ]) {
      expect(isApiBaseModel(path), path).toBe(false);
    }
  });
});

describe('checkApiBaseModel', () => {
  it('names the field, the value and what is accepted', () => {
    expect(() => checkApiBaseModel('params.generation.baseModel', '/etc')).toThrow(
      /^params\.generation\.baseModel: "\/etc" is not a base model the API accepts\. Give a Hugging Face id/,
    );
  });
});

describe('apiBaseModelChoices', () => {
  const registry = [
    { name: 'anything-v5', aliases: ['anything-v5', 'x/anything-v5'], present: false, description: 'A' },
    { name: 'tiny', aliases: ['tiny'], present: true, description: 'noise' },
  ];
  it('offers the complete Hub-id bases after the registry, before tiny, and not a half-pulled one', () => {
    const choices = apiBaseModelChoices(registry, [
      { id: 'someone/half', present: false },
      { id: 'someone/toon-sd15', present: true },
    ]);
    expect(choices.map((c) => c.name)).toEqual(['anything-v5', 'someone/toon-sd15', 'tiny']);
    expect(choices[1]).toMatchObject({ aliases: ['someone/toon-sd15'], present: true });
    expect(apiBaseModelChoices(registry, [])).toEqual(registry);
  });
});
