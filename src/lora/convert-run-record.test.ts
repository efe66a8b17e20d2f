// Tests for convert of a training run folder without --metadata-from: the run's own record (the kohya
// file train wrote beside the adapter) comes along into every output that carries metadata.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { checkpointRecord } from './convert-facts.js';
import { makeLokrTensors, makePeftTensors, writePeftFolder } from './lora-fixtures.js';
import { openSafetensors } from './safetensors-read.js';
import { sd15AttentionModules } from './sd15-modules.js';
import { tempDirPerFile } from './temp-dir-testing.js';

const tempDir = tempDirPerFile('toonlora-convert-record-');

const metadataOf = async (path: string) => {
  const reader = await openSafetensors(path);
  await reader.close();
  return { ...reader.header.metadata };
};

const runFacts = {
  outputName: 'hero-run',
  steps: 300,
  epochs: 3,
  noiseOffset: 0.05,
  trigger: 'sks hero',
  captionsByFolder: { '10_sks hero': ['sks hero, 1girl', 'sks hero, smile'] },
  datasetDirs: { '10_sks hero': { n_repeats: 10, img_count: 2 } },
};

/** A run folder as train leaves it: the PEFT adapter and `<run>/<run>.safetensors` with every fact. */
async function makeRun(name: string, lokr = false): Promise<string> {
  const run = join(tempDir(), name);
  if (lokr) {
    const q = 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q';
    await writePeftFolder(
      run,
      makeLokrTensors(
        [{ path: q, shapes: { lokr_w1: [16, 16], lokr_w2_a: [20, 4], lokr_w2_b: [4, 20] } }],
        5,
      ),
      { peft_type: 'LOKR', r: 4, alpha: 4, decompose_factor: -1, target_modules: ['to_q'] },
    );
  } else {
    const modules = sd15AttentionModules().slice(0, 2);
    await writePeftFolder(run, makePeftTensors({ modules, rank: 4, seed: 31 }), { r: 4, lora_alpha: 2 });
  }
  await convertLora({
    input: run,
    output: join(run, `${name}.safetensors`),
    trainingFacts: { ...runFacts, outputName: name },
  });
  return run;
}

describe("convert of a run folder keeps the run's record without --metadata-from", () => {
  it('kohya output: the trigger, tags and steps of the record, as with an empty facts file', async () => {
    const run = await makeRun('rec-a');
    const record = await metadataOf(join(run, 'rec-a.safetensors'));
    const out = join(tempDir(), 'a-out.safetensors');
    const result = await convertLora({ input: run, output: out, to: 'kohya' });
    expect(result.warnings).toEqual([]);
    const written = await metadataOf(out);
    expect(written).toMatchObject({
      'modelspec.trigger_phrase': 'sks hero',
      ss_output_name: 'rec-a',
      ss_steps: '300',
      ss_epoch: '3',
      ss_noise_offset: '0.05',
      ss_tag_frequency: record.ss_tag_frequency,
      ss_dataset_dirs: record.ss_dataset_dirs,
      ss_network_dim: '4',
    });
    // the same keys an empty --metadata-from file gives
    const empty = join(tempDir(), 'a-empty.safetensors');
    await convertLora({ input: run, output: empty, trainingFacts: {} });
    expect(Object.keys(written).sort()).toEqual(Object.keys(await metadataOf(empty)).sort());
  });

  it("the adapter file's path (adapter_model.safetensors) finds the record too", async () => {
    const run = await makeRun('rec-b');
    const out = join(tempDir(), 'b-out.safetensors');
    await convertLora({ input: join(run, 'adapter_model.safetensors'), output: out });
    expect((await metadataOf(out))['modelspec.trigger_phrase']).toBe('sks hero');
  });

  it("a checkpoint folder of the run (or its adapter file) carries the run's record at its own step and epoch", async () => {
    const run = await makeRun('rec-ckpt');
    const checkpoint = join(run, 'checkpoints', 'step-000150');
    const modules = sd15AttentionModules().slice(0, 2);
    await writePeftFolder(checkpoint, makePeftTensors({ modules, rank: 4, seed: 33 }), {
      r: 4,
      lora_alpha: 2,
    });
    const out = join(tempDir(), 'ckpt-out.safetensors');
    const result = await convertLora({ input: `${checkpoint}/`, output: out });
    expect(result.warnings).toEqual([]);
    // before: 11 network keys, no trigger
    expect(await metadataOf(out)).toMatchObject({
      'modelspec.trigger_phrase': 'sks hero',
      ss_output_name: 'rec-ckpt',
      ss_steps: '150',
      ss_epoch: '2', // 300 steps over 3 epochs: step 150 is in the second
    });
    const file = join(tempDir(), 'ckpt-file.safetensors');
    await convertLora({ input: join(checkpoint, 'adapter_model.safetensors'), output: file });
    expect(await metadataOf(file)).toMatchObject({ 'modelspec.trigger_phrase': 'sks hero', ss_steps: '150' });
  });

  it('checkpointRecord leaves the epoch out when the record does not tell the steps per epoch', () => {
    const record = { ss_steps: '10', ss_epoch: '3', ss_training_finished_at: '1.5', ss_output_name: 'r' };
    expect(checkpointRecord(record, 4)).toEqual({ ss_steps: '4', ss_output_name: 'r' });
    expect(checkpointRecord({ ...record, ss_steps: '12' }, 4)).toMatchObject({
      ss_steps: '4',
      ss_epoch: '1',
    });
  });

  it('diffusers and PEFT output carry the record, and it comes back on a convert to kohya', async () => {
    const run = await makeRun('rec-c');
    const diffusers = join(tempDir(), 'c-diffusers.safetensors');
    await convertLora({ input: run, output: diffusers, to: 'diffusers' });
    expect(await metadataOf(diffusers)).toMatchObject({
      'modelspec.trigger_phrase': 'sks hero',
      ss_steps: '300',
    });
    const peft = join(tempDir(), 'c-peft');
    await convertLora({ input: run, output: peft, to: 'peft' });
    expect(await metadataOf(join(peft, 'adapter_model.safetensors'))).toMatchObject({
      'modelspec.trigger_phrase': 'sks hero',
      ss_epoch: '3',
    });
    const back = join(tempDir(), 'c-back.safetensors');
    await convertLora({ input: diffusers, output: back });
    expect(await metadataOf(back)).toMatchObject({ 'modelspec.trigger_phrase': 'sks hero', ss_steps: '300' });
  });

  it('a LoKr run folder: kohya and PEFT output keep the record', async () => {
    const run = await makeRun('rec-d', true);
    const out = join(tempDir(), 'd-out.safetensors');
    await convertLora({ input: run, output: out });
    expect(await metadataOf(out)).toMatchObject({
      'modelspec.trigger_phrase': 'sks hero',
      ss_steps: '300',
      ss_network_module: 'lycoris.kohya',
    });
    const peft = join(tempDir(), 'd-peft');
    await convertLora({ input: run, output: peft, to: 'peft' });
    expect(await metadataOf(join(peft, 'adapter_model.safetensors'))).toMatchObject({
      'modelspec.trigger_phrase': 'sks hero',
    });
  });

  it('a folder without a record gets only the network keys, as before', async () => {
    const run = join(tempDir(), 'rec-none');
    const modules = sd15AttentionModules().slice(0, 2);
    await writePeftFolder(run, makePeftTensors({ modules, rank: 4, seed: 32 }), { r: 4, lora_alpha: 2 });
    const out = join(tempDir(), 'none-out.safetensors');
    await convertLora({ input: run, output: out });
    const written = await metadataOf(out);
    expect(written['modelspec.trigger_phrase']).toBeUndefined();
    expect(written.ss_network_dim).toBe('4');
  });
});
