// Tests for a LoKr file's kohya metadata: written from training facts (LyCORIS network module and args), LoKr args
// only when asked (LoRA and DoRA unchanged), and a kohya LoKr file's ss_* / modelspec.* carried through PEFT and
// back, --metadata-from laying only its facts over them. Helpers and fixtures in lokr-testing.ts.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { buildKohyaMetadata, loraTrainingFactsSchema, networkModuleMetadata } from './kohya-metadata.js';
import { K2, kohyaAlphas, Q, readMetadata, writePeftLokr } from './lokr-testing.js';
import { type LokrFixtureModule, makeLokrTensors, writeFixtureFile } from './lora-fixtures.js';
import { tempDirPerFile } from './temp-dir-testing.js';

const tempDir = tempDirPerFile('toonlora-lokr-');

describe('PEFT LoKr folder -> kohya', () => {
  it('writes LoKr metadata from training facts (LyCORIS network module and args)', async () => {
    const peft = join(tempDir(), 'peft-meta');
    await writePeftLokr(peft, false);
    const out = join(tempDir(), 'meta.safetensors');
    await convertLora({ input: peft, output: out, trainingFacts: { outputName: 'hero', trigger: 'sks' } });
    const meta = await readMetadata(out);
    expect(meta).toMatchObject({
      ss_network_module: 'lycoris.kohya',
      ss_network_args: '{"algo":"lokr","factor":"-1"}',
      ss_network_dim: '4',
      ss_network_alpha: '4.0',
      ss_network_train_unet_only: 'True',
      'modelspec.trigger_phrase': 'sks',
    });
    expect(meta.sshs_model_hash).toMatch(/^[0-9a-f]{64}$/);
    // Without facts: network metadata only, LoKr module too.
    const bare = join(tempDir(), 'meta-bare.safetensors');
    await convertLora({ input: peft, output: bare });
    expect(await readMetadata(bare)).toMatchObject({
      ss_network_module: 'lycoris.kohya',
      ss_network_args: '{"algo":"lokr","factor":"-1"}',
      ss_network_dim: '4',
    });
  });

  it('metadata: LoKr args only when asked; LoRA and DoRA unchanged', () => {
    expect(networkModuleMetadata(false)).toEqual({ ss_network_module: 'networks.lora' });
    expect(networkModuleMetadata(true)).toEqual({
      ss_network_module: 'lycoris.kohya',
      ss_network_args: '{"algo":"lora","dora_wd":"True","wd_on_output":"True"}',
    });
    expect(networkModuleMetadata(false, { factor: 8 })).toEqual({
      ss_network_module: 'lycoris.kohya',
      ss_network_args: '{"algo":"lokr","factor":"8"}',
    });
    const facts = loraTrainingFactsSchema.parse({ outputName: 'x' });
    const now = '2026-01-02T03:04:05.000Z';
    const lora = buildKohyaMetadata(facts, { rank: 32, alpha: 16, dora: false }, now);
    expect(buildKohyaMetadata(facts, { rank: 32, alpha: 16, dora: false, algorithm: 'lora' }, now)).toEqual(
      lora,
    );
    const lokr = buildKohyaMetadata(
      facts,
      { rank: 32, alpha: 16, dora: false, algorithm: 'lokr', lokrFactor: -1 },
      now,
    );
    expect(lokr).toEqual({
      ...lora,
      ss_network_module: 'lycoris.kohya',
      ss_network_args: '{"algo":"lokr","factor":"-1"}',
    });
  });
});

describe('kohya LoKr -> PEFT -> kohya', () => {
  it("carries a kohya LoKr file's ss_* / modelspec.* through PEFT and back, as for LoRA; --metadata-from lays only its facts over them", async () => {
    const modules: LokrFixtureModule[] = [
      { path: Q, shapes: { lokr_w1: [4, 4], lokr_w2_a: [80, 2], lokr_w2_b: [2, 80] } },
      { path: K2, shapes: { lokr_w1: [4, 4], lokr_w2_a: [80, 2], lokr_w2_b: [2, 192] } },
    ];
    const alphas = kohyaAlphas(modules, 1);
    const fileMetadata = {
      ss_network_module: 'lycoris.kohya',
      ss_network_args: '{"algo": "lokr", "factor": "-1", "preset": "full"}',
      ss_network_dim: '2',
      ss_network_alpha: '1',
      ss_output_name: 'mychar_v2',
      ss_tag_frequency: '{"10_mychar girl": {"mychar": 20}}',
      ss_dataset_dirs: '{"10_mychar girl": {"n_repeats": 10, "img_count": 20}}',
      ss_max_train_steps: '1600',
      ss_epoch: '8',
      'modelspec.title': 'mychar_v2',
    };
    const file = join(tempDir(), 'lokr-meta.safetensors');
    await writeFixtureFile(file, [...makeLokrTensors(modules, 5, 'kohya'), ...alphas], fileMetadata);
    const peft = join(tempDir(), 'lokr-meta-peft');
    await convertLora({ input: file, output: peft, to: 'peft' });
    expect(await readMetadata(join(peft, 'adapter_model.safetensors'))).toMatchObject({
      format: 'pt',
      ...fileMetadata,
    });
    const back = join(tempDir(), 'lokr-meta-back.safetensors');
    await convertLora({ input: peft, output: back });
    expect(await readMetadata(back)).toMatchObject(fileMetadata);
    // --metadata-from on the file (and on its PEFT copy): only the facts given change.
    for (const input of [file, peft]) {
      const out = join(tempDir(), `lokr-meta-facts-${input === file ? 'k' : 'p'}.safetensors`);
      await convertLora({ input, output: out, trainingFacts: { outputName: 'newname', trigger: 'zzk' } });
      const meta = await readMetadata(out);
      expect(meta, input).toMatchObject({
        ...fileMetadata,
        ss_output_name: 'newname',
        'modelspec.title': 'newname',
        'modelspec.trigger_phrase': 'zzk',
      });
      for (const key of ['ss_noise_offset', 'ss_mixed_precision', 'ss_num_train_images', 'ss_sd_model_name'])
        expect(meta[key], `${input}: ${key}`).toBeUndefined();
    }
  });
});
