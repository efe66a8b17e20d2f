// Tests of the model registry: entries, lookups and the unknown-id error.
import { describe, expect, it } from 'vitest';
import { ToonloraError } from '../errors.js';
import { BLIP_BASE_MODEL } from '../worker/blip.js';
import {
  getModelEntry,
  getModelFile,
  huggingFaceRepoOf,
  listModelIds,
  MODEL_REGISTRY,
  modelSizeBytes,
} from './registry.js';

describe('MODEL_REGISTRY', () => {
  it('has every model the stages code against', () => {
    expect(listModelIds()).toEqual([
      'paddleocr-det-v4',
      'lama',
      'isnet-anime',
      'u2net',
      'wd-vit-tagger-v3',
      'anime-person-detector',
      'blip-base',
      'anything-v5',
    ]);
  });

  it('gives each file one URL for release-URL models and a checksum wherever sizes are exact', () => {
    for (const entry of MODEL_REGISTRY.values()) {
      if (entry.source.kind === 'url') expect(entry.source.urls).toHaveLength(entry.source.files.length);
      for (const file of entry.source.files) {
        if (file.sizeExact) expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
      }
    }
  });

  it('sizes snapshot models by their whole download', () => {
    expect(modelSizeBytes(getModelEntry('anything-v5'))).toBeGreaterThan(2_000_000_000);
    expect(modelSizeBytes(getModelEntry('paddleocr-det-v4'))).toBe(4_745_517);
  });
});

describe('getModelEntry', () => {
  it('throws TL_ERR_MODEL_UNKNOWN listing the known ids', () => {
    const error = (() => {
      try {
        getModelEntry('isnet');
      } catch (e) {
        return e;
      }
    })() as ToonloraError;
    expect(error).toBeInstanceOf(ToonloraError);
    expect(error.code).toBe('TL_ERR_MODEL_UNKNOWN');
    expect(error.message).toBe(`model: unknown id "isnet". Known ids: ${listModelIds().join(', ')}.`);
  });

  it('finds files by path and names the files on a miss', () => {
    const entry = getModelEntry('wd-vit-tagger-v3');
    expect(getModelFile(entry).path).toBe('model.onnx');
    expect(getModelFile(entry, 'selected_tags.csv').path).toBe('selected_tags.csv');
    expect(() => getModelFile(entry, 'tags.csv')).toThrow(
      'wd-vit-tagger-v3: no file "tags.csv" in the registry. Its files: model.onnx, selected_tags.csv.',
    );
  });
});

describe('huggingFaceRepoOf', () => {
  it("gives an entry's Hub id, the one BLIP captions are run with by default", () => {
    expect(huggingFaceRepoOf('blip-base')).toBe('Salesforce/blip-image-captioning-base');
    expect(BLIP_BASE_MODEL).toBe(huggingFaceRepoOf('blip-base'));
  });

  it('refuses an entry that does not come from the Hub, naming it', () => {
    expect(() => huggingFaceRepoOf('paddleocr-det-v4')).toThrow(
      /^paddleocr-det-v4: comes from \w+, not from the Hugging Face Hub\.$/,
    );
  });
});
