// Tests for convert --metadata-from on a file that has its own kohya metadata: the file's keys kept,
// only the facts given replace or add keys. Helpers in convert-testing.ts.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { readAll } from './convert-testing.js';
import { makeLokrTensors, makePeftTensors, writePeftFolder } from './lora-fixtures.js';
import { openSafetensors } from './safetensors-read.js';
import { writeSafetensors } from './safetensors-write.js';
import { sd15AttentionModules } from './sd15-modules.js';
import { tempDirPerFile } from './temp-dir-testing.js';

const tempDir = tempDirPerFile('toonlora-convert-');

describe('--metadata-from on a file with its own kohya metadata', () => {
  const modules = sd15AttentionModules().slice(0, 2);
  const fileMetadata = {
    ss_network_module: 'networks.lora',
    ss_network_dim: '4',
    ss_network_alpha: '2.0',
    ss_output_name: 'mychar_v2',
    ss_tag_frequency: '{"10_mychar girl": {"mychar": 20, "1girl": 18}}',
    ss_dataset_dirs: '{"10_mychar girl": {"n_repeats": 10, "img_count": 20}}',
    ss_sd_model_name: 'anything-v5.safetensors',
    ss_learning_rate: '0.0001',
    ss_max_train_steps: '1600',
    ss_epoch: '8',
    ss_num_train_images: '200',
  };
  const metadataOf = async (path: string) => {
    const reader = await openSafetensors(path);
    await reader.close();
    return { ...reader.header.metadata };
  };

  it("keeps the file's keys, lays only the facts given over them, and invents no defaults", async () => {
    await writePeftFolder(join(tempDir(), 'mf-src'), makePeftTensors({ modules, rank: 4, seed: 21 }), {
      r: 4,
      lora_alpha: 2,
    });
    const kohya = join(tempDir(), 'mf-kohya.safetensors');
    await convertLora({ input: join(tempDir(), 'mf-src'), output: kohya });
    // The file as downloaded: its own metadata (written over the converted tensors).
    const downloaded = join(tempDir(), 'mf-downloaded.safetensors');
    const tensors = await readAll(kohya);
    await writeSafetensors(
      downloaded,
      [...tensors].map(([name, t]) => ({
        name,
        dtype: t.dtype as 'F32',
        shape: t.shape,
        chunks: () => [t.bytes],
      })),
      fileMetadata,
      { kohyaHashes: true },
    );
    const peftMiddle = join(tempDir(), 'mf-middle.peft');
    await convertLora({ input: downloaded, output: peftMiddle, to: 'peft' });
    const trainingFacts = { outputName: 'newname', trigger: 'zzk' };
    // kohya -> kohya, and a PEFT folder carrying the kohya metadata -> kohya: the same result.
    for (const input of [downloaded, peftMiddle]) {
      const out = join(tempDir(), `mf-out-${input === downloaded ? 'k' : 'p'}.safetensors`);
      await convertLora({ input, output: out, trainingFacts });
      const written = await metadataOf(out);
      expect(written, input).toMatchObject({
        ...fileMetadata,
        ss_output_name: 'newname',
        'modelspec.title': 'newname',
        'modelspec.trigger_phrase': 'zzk',
      });
      for (const key of [
        'ss_noise_offset',
        'ss_min_snr_gamma',
        'ss_mixed_precision',
        'ss_unet_lr',
        'ss_steps',
        'modelspec.date',
      ])
        expect(written[key], `${input}: ${key}`).toBeUndefined();
    }
  });

  it("a source without kohya metadata (a training run's adapter) gets the facts given and no schema default", async () => {
    await writePeftFolder(join(tempDir(), 'mf-run'), makePeftTensors({ modules, rank: 4, seed: 22 }), {
      r: 4,
      lora_alpha: 2,
    });
    const out = join(tempDir(), 'mf-run.safetensors');
    // a facts file that lacks most keys: no noiseOffset, epochs, snrGamma, numTrainImages, outputName, ...
    await convertLora({
      input: join(tempDir(), 'mf-run'),
      output: out,
      trainingFacts: { steps: 300, trigger: 'sks' },
    });
    const written = await metadataOf(out);
    expect(written).toMatchObject({
      ss_steps: '300',
      'modelspec.trigger_phrase': 'sks',
      // kohya's ss_output_name is its file's name
      ss_output_name: 'mf-run',
      'modelspec.title': 'mf-run',
      ss_network_dim: '4',
      ss_network_alpha: '2.0',
      'modelspec.architecture': 'stable-diffusion-v1/lora',
    });
    for (const key of [
      'ss_noise_offset',
      'ss_epoch',
      'ss_num_train_images',
      'ss_min_snr_gamma',
      'ss_learning_rate',
      'ss_unet_lr',
      'ss_resolution',
      'modelspec.resolution',
      'ss_sd_model_name',
      'ss_clip_skip',
      'modelspec.encoder_layer',
      'ss_mixed_precision',
      'ss_gradient_checkpointing',
    ])
      expect(written[key], key).toBeUndefined();
  });

  it("a run folder's own kohya file (train's record) gives the facts the given file lacks", async () => {
    const run = join(tempDir(), 'rec-run');
    await writePeftFolder(run, makePeftTensors({ modules, rank: 4, seed: 23 }), { r: 4, lora_alpha: 2 });
    // what train wrote: <run>/<run name>.safetensors with every fact of the run
    await convertLora({
      input: run,
      output: join(run, 'rec-run.safetensors'),
      trainingFacts: { outputName: 'rec-run', steps: 300, epochs: 3, noiseOffset: 0.05, trigger: 'sks' },
    });
    const out = join(tempDir(), 'rec-out.safetensors');
    const result = await convertLora({ input: run, output: out, trainingFacts: { trigger: 'zzk' } });
    expect(result.warnings.filter((w) => w.startsWith('--metadata-from'))).toEqual([]);
    const written = await metadataOf(out);
    expect(written).toMatchObject({
      'modelspec.trigger_phrase': 'zzk',
      ss_output_name: 'rec-run',
      ss_steps: '300',
      ss_epoch: '3',
      ss_noise_offset: '0.05',
      ss_network_dim: '4',
    });
    // recorded only when the run recorded it: no default appears
    expect(written.ss_min_snr_gamma).toBeUndefined();
  });

  it('a LoKr run folder with partial facts gets no schema default either', async () => {
    const q = 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q';
    await writePeftFolder(
      join(tempDir(), 'mf-lokr'),
      makeLokrTensors(
        [{ path: q, shapes: { lokr_w1: [16, 16], lokr_w2_a: [20, 4], lokr_w2_b: [4, 20] } }],
        3,
      ),
      { peft_type: 'LOKR', r: 4, alpha: 4, decompose_factor: -1, target_modules: ['to_q'] },
    );
    const out = join(tempDir(), 'mf-lokr.safetensors');
    await convertLora({
      input: join(tempDir(), 'mf-lokr'),
      output: out,
      trainingFacts: { outputName: 'hero' },
    });
    const written = await metadataOf(out);
    expect(written).toMatchObject({ ss_output_name: 'hero', ss_network_module: 'lycoris.kohya' });
    for (const key of ['ss_noise_offset', 'ss_epoch', 'ss_steps', 'ss_min_snr_gamma'])
      expect(written[key], key).toBeUndefined();
  });
});
