// Tests of which files of a Hub repo an SD1.5 pull fetches, and which repos it refuses (pure).
import { describe, expect, it } from 'vitest';
import { SD15_HF_DOWNLOAD_RULE, sd15Refusal, selectSd15Files } from './sd15-layout.js';
import { SD15_SETTINGS } from './sd15-testing.js';
import { selectSnapshotFiles } from './snapshot-files.js';

describe('selectSd15Files', () => {
  it('takes .bin weights where a folder has no .safetensors, and shards with their index', () => {
    const selection = selectSd15Files([
      ...SD15_SETTINGS,
      'text_encoder/pytorch_model.bin',
      'unet/diffusion_pytorch_model-00001-of-00002.safetensors',
      'unet/diffusion_pytorch_model-00002-of-00002.safetensors',
      'unet/diffusion_pytorch_model.safetensors.index.json',
      'unet/diffusion_pytorch_model.non_ema.bin',
      'vae/diffusion_pytorch_model.bin',
      'vae/diffusion_pytorch_model.safetensors',
      'vae/sub/other.safetensors',
    ]);
    expect(selection.missing).toEqual([]);
    expect(selection.files.slice(SD15_SETTINGS.length + 1)).toEqual([
      'text_encoder/pytorch_model.bin',
      'unet/diffusion_pytorch_model-00001-of-00002.safetensors',
      'unet/diffusion_pytorch_model-00002-of-00002.safetensors',
      'vae/diffusion_pytorch_model.safetensors',
    ]);
    expect(selection.files).toContain('unet/diffusion_pytorch_model.safetensors.index.json');
  });

  it('names what an incomplete layout lacks, and weights that exist only as fp16 variants', () => {
    const selection = selectSd15Files([
      ...SD15_SETTINGS.filter((path) => path !== 'tokenizer/merges.txt'),
      'text_encoder/model.fp16.safetensors',
      'unet/diffusion_pytorch_model.safetensors',
      'vae/diffusion_pytorch_model.safetensors',
    ]);
    expect(selection.missing).toEqual([
      'tokenizer/vocab.json and merges.txt (or tokenizer.json)',
      'text_encoder/ weights',
    ]);
    expect(selection.variantOnly).toEqual(['text_encoder']);
  });

  it('names a shard that a sharded weight lacks: by its -of-N name, and by the index weight_map on disk', () => {
    const base = [
      ...SD15_SETTINGS,
      'text_encoder/model.safetensors',
      'vae/diffusion_pytorch_model.safetensors',
      'unet/diffusion_pytorch_model.safetensors.index.json',
    ];
    const oneOfTwo = selectSd15Files([...base, 'unet/diffusion_pytorch_model-00001-of-00002.safetensors']);
    expect(oneOfTwo.missing).toEqual([
      'unet/diffusion_pytorch_model-00002-of-00002.safetensors (a weight shard)',
    ]);
    const both = [
      ...base,
      'unet/diffusion_pytorch_model-00001-of-00002.safetensors',
      'unet/diffusion_pytorch_model-00002-of-00002.safetensors',
    ];
    expect(selectSd15Files(both).missing).toEqual([]);
    const index = {
      weight_map: {
        a: 'diffusion_pytorch_model-00001-of-00002.safetensors',
        b: 'diffusion_pytorch_model-00002-of-00002.safetensors',
        c: 'diffusion_pytorch_model-extra.safetensors',
      },
    };
    const read = (path: string) =>
      path === 'unet/diffusion_pytorch_model.safetensors.index.json' ? index : undefined;
    expect(selectSd15Files(both, read).missing).toEqual([
      'unet/diffusion_pytorch_model-extra.safetensors (a weight shard)',
    ]);
  });

  it('checks a listing claiming a huge shard count by its last shard, without spelling out every name', () => {
    const paths = [
      ...SD15_SETTINGS,
      'text_encoder/model.safetensors',
      'vae/diffusion_pytorch_model.safetensors',
      'unet/diffusion_pytorch_model-00000001-of-99999999.safetensors',
    ];
    expect(selectSd15Files(paths).missing).toEqual([
      'unet/diffusion_pytorch_model-99999999-of-99999999.safetensors (a weight shard)',
    ]);
  });

  it("takes a tokenizer saved as one tokenizer.json (transformers 5's save_pretrained)", () => {
    const paths = [
      ...SD15_SETTINGS.filter((path) => !path.startsWith('tokenizer/')),
      'tokenizer/tokenizer.json',
      'tokenizer/tokenizer_config.json',
      'text_encoder/model.safetensors',
      'unet/diffusion_pytorch_model.safetensors',
      'vae/diffusion_pytorch_model.safetensors',
    ];
    expect(selectSd15Files(paths).missing).toEqual([]);
    expect(selectSd15Files(paths).files).toContain('tokenizer/tokenizer.json');
  });
});

/** runwayml/stable-diffusion-v1-5's files on the Hub (weights in every format and variant, single-file copies). */
const RUNWAYML_LISTING = [
  '.gitattributes',
  'README.md',
  'feature_extractor/preprocessor_config.json',
  'model_index.json',
  'safety_checker/config.json',
  'safety_checker/model.fp16.safetensors',
  'safety_checker/model.safetensors',
  'safety_checker/pytorch_model.bin',
  'scheduler/scheduler_config.json',
  'text_encoder/config.json',
  'text_encoder/flax_model.msgpack',
  'text_encoder/model.fp16.safetensors',
  'text_encoder/model.safetensors',
  'text_encoder/pytorch_model.bin',
  'text_encoder/pytorch_model.fp16.bin',
  'tokenizer/merges.txt',
  'tokenizer/special_tokens_map.json',
  'tokenizer/tokenizer_config.json',
  'tokenizer/vocab.json',
  'unet/config.json',
  'unet/diffusion_flax_model.msgpack',
  'unet/diffusion_pytorch_model.bf16.safetensors',
  'unet/diffusion_pytorch_model.bin',
  'unet/diffusion_pytorch_model.ema.safetensors',
  'unet/diffusion_pytorch_model.fp16.bin',
  'unet/diffusion_pytorch_model.fp16.safetensors',
  'unet/diffusion_pytorch_model.fp32.safetensors',
  'unet/diffusion_pytorch_model.non-ema.safetensors',
  'unet/diffusion_pytorch_model.non_ema.bin',
  'unet/diffusion_pytorch_model.non_ema.safetensors',
  'unet/diffusion_pytorch_model.safetensors',
  'v1-5-pruned-emaonly.ckpt',
  'v1-5-pruned-emaonly.safetensors',
  'v1-5-pruned.ckpt',
  'v1-inference.yaml',
  'vae/config.json',
  'vae/diffusion_flax_model.msgpack',
  'vae/diffusion_pytorch_model.bin',
  'vae/diffusion_pytorch_model.fp16.bin',
  'vae/diffusion_pytorch_model.fp16.safetensors',
  'vae/diffusion_pytorch_model.safetensors',
];

describe('SD15_HF_DOWNLOAD_RULE', () => {
  it("selects, as `hf download`'s include / exclude globs alone, the files a pull fetches", () => {
    const byHf = selectSnapshotFiles(RUNWAYML_LISTING, {
      ...SD15_HF_DOWNLOAD_RULE,
      preferSafetensors: false,
    });
    expect(byHf).toEqual([...selectSd15Files(RUNWAYML_LISTING).files].sort());
    expect(byHf).toContain('unet/diffusion_pytorch_model.safetensors');
  });
});

describe('sd15Refusal', () => {
  const sd15Index = { _class_name: 'StableDiffusionPipeline' };

  it('accepts an SD1.5 pipeline and UNet', () => {
    expect(sd15Refusal(sd15Index, { cross_attention_dim: 768, in_channels: 4 })).toBeUndefined();
  });

  it('refuses SDXL, SD2 (text features of 1024), an inpainting UNet and an unreadable index, saying which', () => {
    expect(sd15Refusal({ _class_name: 'StableDiffusionXLPipeline' }, {})).toBe(
      'its model_index.json names a StableDiffusionXLPipeline, not a StableDiffusionPipeline (SD1.5)',
    );
    expect(sd15Refusal(sd15Index, { cross_attention_dim: 1024 })).toMatch(
      /text features of 1024, not SD1\.5's 768/,
    );
    expect(sd15Refusal(sd15Index, { cross_attention_dim: 768, in_channels: 9 })).toMatch(/9 input channels/);
    expect(sd15Refusal(undefined, {})).toBe(
      'its model_index.json names no pipeline class, not a StableDiffusionPipeline (SD1.5)',
    );
  });
});
