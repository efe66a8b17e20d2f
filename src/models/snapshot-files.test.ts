// Tests of the snapshot file selection (allow / ignore globs, safetensors over bin).
import { describe, expect, it } from 'vitest';
import { getModelEntry, type SnapshotRule } from './registry.js';
import { globToRegExp, selectSnapshotFiles } from './snapshot-files.js';

describe('globToRegExp', () => {
  it('matches like fnmatch (* crosses folders)', () => {
    expect(globToRegExp('*.json').test('unet/config.json')).toBe(true);
    expect(globToRegExp('unet/*').test('unet/config.json')).toBe(true);
    expect(globToRegExp('*.fp16.*').test('vae/diffusion_pytorch_model.fp16.safetensors')).toBe(true);
    expect(globToRegExp('model_index.json').test('model_indexXjson')).toBe(false);
  });
});

describe('selectSnapshotFiles', () => {
  it('takes a diffusers layout without root checkpoints, fp16 copies or superseded .bin files', () => {
    const source = getModelEntry('anything-v5').source;
    if (source.kind !== 'huggingface' || !source.snapshot) throw new Error('anything-v5 is a snapshot model');
    const repo = [
      '.gitattributes',
      'README.md',
      'anything-v5-PrtRE.safetensors',
      'model_index.json',
      'scheduler/scheduler_config.json',
      'text_encoder/config.json',
      'text_encoder/pytorch_model.bin',
      'tokenizer/merges.txt',
      'tokenizer/vocab.json',
      'unet/config.json',
      'unet/diffusion_pytorch_model.bin',
      'unet/diffusion_pytorch_model.safetensors',
      'unet/diffusion_pytorch_model.fp16.safetensors',
      'vae/config.json',
      'vae/diffusion_pytorch_model.bin',
      'vae/diffusion_pytorch_model.onnx',
    ];
    expect(selectSnapshotFiles(repo, source.snapshot)).toEqual([
      'model_index.json',
      'scheduler/scheduler_config.json',
      'text_encoder/config.json',
      'text_encoder/pytorch_model.bin',
      'tokenizer/merges.txt',
      'tokenizer/vocab.json',
      'unet/config.json',
      'unet/diffusion_pytorch_model.safetensors',
      'vae/config.json',
      'vae/diffusion_pytorch_model.bin',
    ]);
  });

  it('keeps .bin files when preferSafetensors is off', () => {
    const rule: SnapshotRule = { allow: ['*'], ignore: [], preferSafetensors: false };
    expect(selectSnapshotFiles(['b.bin', 'a.safetensors'], rule)).toEqual(['a.safetensors', 'b.bin']);
  });
});
