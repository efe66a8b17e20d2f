// Tests for an adapter of the text encoder alone (no UNet module): a PEFT adapter saved from a
// text-encoder PeftModel (root keys `base_model.model.text_model.…`), LoRA and LoKr, through convert and
// inspect. Before: convert --to peft wrote only `text_encoder/`, a folder toonlora itself then refused
// ("folder has no adapter_model.safetensors") and without the kohya metadata; a LoKr adapter's
// decompose_factor was not read from its config for ss_network_args; and --metadata-from wrote an
// ss_unet_lr for a UNet that was never trained.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { inspectLora } from './inspect.js';
import { peftLokrShapes } from './lokr.js';
import {
  type FixtureTensor,
  makeLokrTensors,
  seededRandom,
  writeFixtureFile,
  writePeftFolder,
} from './lora-fixtures.js';
import { openSafetensors } from './safetensors-read.js';

const TE_PROJ = ['q_proj', 'k_proj', 'v_proj', 'out_proj'];
const FACTS = { steps: 100, learningRate: 1e-4, textEncoderLearningRate: 5e-5 };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'toonlora-te-only-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** LoRA tensors of CLIP layer 0's attention projections, named `<prefix><module>.<down>` / `.<up>`. */
function teLoraTensors(
  seed: number,
  key: (proj: string) => string,
  down: string,
  up: string,
): FixtureTensor[] {
  const random = seededRandom(seed);
  const fill = (n: number) => Float32Array.from({ length: n }, () => random() * 0.05);
  return TE_PROJ.flatMap((proj): FixtureTensor[] => [
    { name: `${key(proj)}.${down}`, dtype: 'F32', shape: [4, 768], data: fill(4 * 768) },
    { name: `${key(proj)}.${up}`, dtype: 'F32', shape: [768, 4], data: fill(768 * 4) },
  ]);
}

async function readAll(path: string) {
  const reader = await openSafetensors(path);
  try {
    const tensors = new Map<string, Uint8Array>();
    for (const t of reader.header.tensors) tensors.set(t.name, await reader.readTensor(t));
    return { metadata: reader.header.metadata, tensors };
  } finally {
    await reader.close();
  }
}

describe('text-encoder-only LoRA', () => {
  it('PEFT -> kohya with training facts: the network facts of its modules, and no ss_unet_lr', async () => {
    const folder = join(dir, 'lora-peft');
    const tensors = teLoraTensors(
      1,
      (p) => `base_model.model.text_model.encoder.layers.0.self_attn.${p}`,
      'lora_A.weight',
      'lora_B.weight',
    );
    await writePeftFolder(folder, tensors, { r: 4, lora_alpha: 8, target_modules: TE_PROJ });
    const kohya = join(dir, 'lora.safetensors');
    const result = await convertLora({ input: folder, output: kohya, to: 'kohya', trainingFacts: FACTS });
    expect(result.modules).toBe(4);
    const { metadata } = await readAll(kohya);
    expect(metadata).toMatchObject({
      ss_network_module: 'networks.lora',
      ss_network_dim: '4',
      ss_network_alpha: '8.0',
      ss_network_train_unet_only: 'False',
      ss_text_encoder_lr: '5e-05',
      ss_learning_rate: '0.0001',
    });
    expect(metadata.ss_unet_lr).toBeUndefined();
    const inspected = await inspectLora(kohya);
    expect(inspected.modules.every((m) => m.component === 'text_encoder')).toBe(true);
    expect(inspected.compatibility.map((v) => [v.loader, v.ok])).toEqual([
      ['a1111', true],
      ['comfyui', true],
      ['diffusers', true],
    ]);
  });

  it('kohya -> PEFT writes a root adapter (with the kohya metadata) that reads back to the same file', async () => {
    const kohya = join(dir, 'te.safetensors');
    const tensors = teLoraTensors(
      2,
      (p) => `lora_te_text_model_encoder_layers_0_self_attn_${p}`,
      'lora_down.weight',
      'lora_up.weight',
    );
    const alphas = TE_PROJ.map(
      (p): FixtureTensor => ({
        name: `lora_te_text_model_encoder_layers_0_self_attn_${p}.alpha`,
        dtype: 'F32',
        shape: [],
        data: new Float32Array([2]),
      }),
    );
    await writeFixtureFile(kohya, [...tensors, ...alphas], {
      ss_output_name: 'mychar',
      ss_network_module: 'networks.lora',
      ss_network_dim: '4',
      ss_network_alpha: '2.0',
    });
    const peft = join(dir, 'te-peft');
    const result = await convertLora({ input: kohya, output: peft, to: 'peft' });
    expect(result.files.map((f) => f.path)).toEqual([
      join(peft, 'adapter_model.safetensors'),
      join(peft, 'adapter_config.json'),
    ]);
    expect((await readdir(peft)).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    const root = await readAll(join(peft, 'adapter_model.safetensors'));
    expect(root.metadata.ss_output_name).toBe('mychar');
    expect([...root.tensors.keys()].every((k) => k.startsWith('base_model.model.text_model.encoder.'))).toBe(
      true,
    );
    const config = JSON.parse(await readFile(join(peft, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({ r: 4, lora_alpha: 2 });

    const inspected = await inspectLora(peft);
    expect(inspected.modules).toHaveLength(4);
    expect(inspected.modules.every((m) => m.component === 'text_encoder' && m.alpha === 2)).toBe(true);

    const back = join(dir, 'te-back.safetensors');
    await convertLora({ input: peft, output: back, to: 'kohya' });
    const original = await readAll(kohya);
    const returned = await readAll(back);
    expect([...returned.tensors.keys()].sort()).toEqual([...original.tensors.keys()].sort());
    for (const [name, bytes] of original.tensors) expect(returned.tensors.get(name)).toEqual(bytes);
    expect(returned.metadata.ss_output_name).toBe('mychar');
  });
});

describe('a folder holding only text_encoder/ (what convert --to peft wrote before)', () => {
  it('opens as that adapter: inspect lists its modules and convert --to kohya writes them', async () => {
    const folder = join(dir, 'old-te-only');
    const tensors = teLoraTensors(
      3,
      (p) => `base_model.model.text_model.encoder.layers.0.self_attn.${p}`,
      'lora_A.weight',
      'lora_B.weight',
    );
    await writePeftFolder(join(folder, 'text_encoder'), tensors, {
      r: 4,
      lora_alpha: 4,
      target_modules: TE_PROJ,
    });
    const inspected = await inspectLora(folder);
    expect(inspected.modules).toHaveLength(4);
    expect(inspected.modules.every((m) => m.component === 'text_encoder' && m.alpha === 4)).toBe(true);
    const kohya = join(dir, 'old-te-only.safetensors');
    const result = await convertLora({ input: folder, output: kohya, to: 'kohya' });
    expect(result.modules).toBe(4);
    const { tensors: written } = await readAll(kohya);
    expect([...written.keys()].filter((k) => k.startsWith('lora_te_')).length).toBe(12);
  });
});

describe('text-encoder-only LoKr', () => {
  // decompose_factor 24 splits 768 as -1 does (24 x 32): only the config tells them apart.
  const shapes = peftLokrShapes(768, 768, 4, 24, false) as Record<string, number[]>;
  const modules = ['q_proj', 'v_proj'].map((p) => ({
    path: `text_model.encoder.layers.0.self_attn.${p}`,
    shapes,
  }));

  async function writeLokrFolder(name: string): Promise<string> {
    const folder = join(dir, name);
    await mkdir(folder, { recursive: true });
    await writeFixtureFile(join(folder, 'adapter_model.safetensors'), makeLokrTensors(modules, 3), {
      format: 'pt',
    });
    await writeFile(
      join(folder, 'adapter_config.json'),
      JSON.stringify({
        peft_type: 'LOKR',
        r: 4,
        alpha: 8,
        target_modules: ['q_proj', 'v_proj'],
        decompose_factor: 24,
      }),
    );
    return folder;
  }

  it("PEFT -> kohya records the config's factor, r and alpha, and no ss_unet_lr", async () => {
    const folder = await writeLokrFolder('lokr-peft');
    const kohya = join(dir, 'lokr.safetensors');
    await convertLora({ input: folder, output: kohya, to: 'kohya', trainingFacts: FACTS });
    const { metadata } = await readAll(kohya);
    expect(metadata).toMatchObject({
      ss_network_module: 'lycoris.kohya',
      ss_network_args: JSON.stringify({ algo: 'lokr', factor: '24' }),
      ss_network_dim: '4',
      ss_network_alpha: '8.0',
      ss_network_train_unet_only: 'False',
      ss_text_encoder_lr: '5e-05',
    });
    expect(metadata.ss_unet_lr).toBeUndefined();
    const inspected = await inspectLora(kohya);
    expect(inspected.modules).toHaveLength(2);
    expect(inspected.modules.every((m) => m.component === 'text_encoder')).toBe(true);
  });

  it('PEFT -> PEFT keeps a root adapter and its decompose_factor, and reads back', async () => {
    const folder = await writeLokrFolder('lokr-peft2');
    const out = join(dir, 'lokr-peft-out');
    await convertLora({ input: folder, output: out, to: 'peft' });
    expect((await readdir(out)).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    const config = JSON.parse(await readFile(join(out, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({ peft_type: 'LOKR', r: 4, alpha: 8, decompose_factor: 24 });
    const inspected = await inspectLora(out);
    expect(inspected.modules).toHaveLength(2);
    expect(inspected.modules.every((m) => m.component === 'text_encoder')).toBe(true);
  });
});
