// Tests for a PEFT folder with the text encoder's adapter in `text_encoder/` (what the trainer writes
// with trainTextEncoder): convert --to kohya emits lora_te_ modules with the text encoder's own alpha,
// inspect counts them, and kohya -> PEFT writes the text_encoder/ folder back.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { inspectLora } from './inspect.js';
import { type FixtureTensor, makePeftTensors, seededRandom, writeFixtureFile, writePeftFolder } from './lora-fixtures.js';
import { checkDiffusers } from './loader-compat.js';
import { openSafetensors } from './safetensors-read.js';

const UNET_MODULES = [
  'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q',
  'down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k',
];
const TE_PROJ = ['q_proj', 'k_proj', 'v_proj', 'out_proj'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'toonlora-te-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Text-encoder tensors for 2 CLIP layers (768 wide), keys under `prefix` (with or without `text_model.`). */
function teTensors(rank: number, pathPrefix: string, seed: number): FixtureTensor[] {
  const random = seededRandom(seed);
  const fill = (n: number) => Float32Array.from({ length: n }, () => random() * 0.05);
  return [0, 1].flatMap((layer) =>
    TE_PROJ.flatMap((proj): FixtureTensor[] => {
      const key = `base_model.model.${pathPrefix}encoder.layers.${layer}.self_attn.${proj}`;
      return [
        { name: `${key}.lora_A.weight`, dtype: 'F32', shape: [rank, 768], data: fill(rank * 768) },
        { name: `${key}.lora_B.weight`, dtype: 'F32', shape: [768, rank], data: fill(768 * rank) },
      ];
    }),
  );
}

async function writeRun(name: string, pathPrefix: string, teConfig: boolean): Promise<string> {
  const folder = join(dir, name);
  await writePeftFolder(folder, makePeftTensors({ modules: UNET_MODULES, rank: 4, seed: 3 }), {
    r: 4,
    lora_alpha: 2,
  });
  await mkdir(join(folder, 'text_encoder'), { recursive: true });
  await writeFixtureFile(join(folder, 'text_encoder', 'adapter_model.safetensors'), teTensors(4, pathPrefix, 9));
  if (teConfig) {
    await writeFile(
      join(folder, 'text_encoder', 'adapter_config.json'),
      JSON.stringify({ peft_type: 'LORA', r: 4, lora_alpha: 8 }),
    );
  }
  return folder;
}

async function readAll(path: string): Promise<Map<string, { shape: readonly number[]; bytes: Uint8Array }>> {
  const reader = await openSafetensors(path);
  try {
    const out = new Map();
    for (const t of reader.header.tensors) out.set(t.name, { shape: t.shape, bytes: await reader.readTensor(t) });
    return out;
  } finally {
    await reader.close();
  }
}

const scalar = (bytes: Uint8Array | undefined) => new Float32Array((bytes ?? new Uint8Array(4)).slice().buffer)[0];

describe('PEFT folder with a text_encoder/ adapter', () => {
  it('converts to kohya with lora_te_ modules carrying the text encoder alpha', async () => {
    const folder = await writeRun('run', 'text_model.', true);
    const kohya = join(dir, 'run.safetensors');
    const result = await convertLora({ input: folder, output: kohya, to: 'kohya' });
    expect(result.modules).toBe(UNET_MODULES.length + 8);
    const tensors = await readAll(kohya);
    const keys = [...tensors.keys()];
    expect(keys.every((k) => k.startsWith('lora_unet_') || k.startsWith('lora_te_'))).toBe(true);
    const te = keys.filter((k) => k.startsWith('lora_te_'));
    expect(te).toHaveLength(8 * 3);
    const name = 'lora_te_text_model_encoder_layers_1_self_attn_out_proj';
    expect(te).toEqual(
      expect.arrayContaining([`${name}.lora_down.weight`, `${name}.lora_up.weight`, `${name}.alpha`]),
    );
    expect(scalar(tensors.get(`${name}.alpha`)?.bytes)).toBe(8); // text_encoder/adapter_config.json
    const unetName = `lora_unet_${(UNET_MODULES[0] as string).replaceAll('.', '_')}`;
    expect(scalar(tensors.get(`${unetName}.alpha`)?.bytes)).toBe(2); // root adapter_config.json
    // The weights are the source's bytes (fp32 in, fp32 out).
    const source = await readAll(join(folder, 'text_encoder', 'adapter_model.safetensors'));
    expect(tensors.get(`${name}.lora_down.weight`)?.bytes).toEqual(
      source.get('base_model.model.text_model.encoder.layers.1.self_attn.out_proj.lora_A.weight')?.bytes,
    );
    expect(tensors.get(`${name}.lora_up.weight`)?.shape).toEqual([768, 4]);

    const inspected = await inspectLora(kohya);
    expect(inspected.modules.filter((m) => m.component === 'text_encoder')).toHaveLength(8);
    expect(inspected.unknownKeys).toEqual([]);

    const back = join(dir, 'run-back');
    await convertLora({ input: kohya, output: back, to: 'peft' });
    const backTe = await readAll(join(back, 'text_encoder', 'adapter_model.safetensors'));
    expect(backTe.get('base_model.model.text_model.encoder.layers.1.self_attn.out_proj.lora_A.weight')?.bytes).toEqual(
      source.get('base_model.model.text_model.encoder.layers.1.self_attn.out_proj.lora_A.weight')?.bytes,
    );
  });

  it('reads transformers-5 paths (no text_model.) and falls back to the root config', async () => {
    const folder = await writeRun('run5', '', false);
    const inspected = await inspectLora(folder);
    const te = inspected.modules.filter((m) => m.component === 'text_encoder');
    expect(te).toHaveLength(8);
    expect(te.every((m) => m.name.startsWith('lora_te_text_model_encoder_layers_') && m.sd15)).toBe(true);
    expect(te.every((m) => m.alpha === 2 && m.alphaSource === 'config')).toBe(true);
  });

  it('writes diffusers / PEFT configs whose text-encoder targets PEFT finds on transformers 4 and 5', async () => {
    // transformers 5's CLIPTextModel has no `text_model` level and diffusers strips `text_model.` from the
    // tensor keys only: a `text_model.` target matched no module, and load_lora_weights refused the file.
    const folder = await writeRun('run-targets', 'text_model.', false);
    await writeFile(
      join(folder, 'text_encoder', 'adapter_config.json'),
      JSON.stringify({
        peft_type: 'LORA',
        r: 4,
        lora_alpha: 8,
        alpha_pattern: { 'text_model.encoder.layers.1.self_attn.out_proj': 16 },
      }),
    );
    const diffusers = join(dir, 'run-targets.diffusers.safetensors');
    await convertLora({ input: folder, output: diffusers, to: 'diffusers' });
    const reader = await openSafetensors(diffusers);
    const keys = reader.header.tensors.map((t) => t.name);
    const meta = JSON.parse(reader.header.metadata.lora_adapter_metadata ?? '{}');
    await reader.close();
    // Tensor keys keep `text_model.` (diffusers removes it under transformers 5, keeps it under 4).
    expect(keys).toContain('text_encoder.text_model.encoder.layers.1.self_attn.out_proj.lora_A.weight');
    const targets = meta['text_encoder.target_modules'] as string[];
    expect(targets).toHaveLength(8);
    expect(targets).toContain('encoder.layers.0.self_attn.q_proj');
    expect(targets.some((t) => t.includes('text_model'))).toBe(false);
    expect(meta['text_encoder.alpha_pattern']).toEqual({ 'encoder.layers.1.self_attn.out_proj': 16 });
    expect(meta['text_encoder.lora_alpha']).toBe(8);
    expect(meta['unet.target_modules']).toEqual([...UNET_MODULES].sort());
    // The same in a PEFT folder's text_encoder/adapter_config.json.
    const peft = join(dir, 'run-targets-peft');
    await convertLora({ input: diffusers, output: peft, to: 'peft' });
    const config = JSON.parse(await readFile(join(peft, 'text_encoder', 'adapter_config.json'), 'utf8'));
    expect(config.target_modules).toEqual(targets);
    expect(config.alpha_pattern).toEqual({ 'encoder.layers.1.self_attn.out_proj': 16 });
    const peftKeys = [...(await readAll(join(peft, 'text_encoder', 'adapter_model.safetensors'))).keys()];
    expect(peftKeys.every((k) => k.startsWith('base_model.model.text_model.encoder.layers.'))).toBe(true);
  });

  it("reads diffusers' own text-encoder keys (no text_model.) and writes kohya names the WebUI maps", async () => {
    // diffusers 0.42 save_lora_weights under transformers 5 writes `text_encoder.encoder.layers.N...`.
    const random = seededRandom(5);
    const fill = (n: number) => Float32Array.from({ length: n }, () => random() * 0.05);
    const te = TE_PROJ.flatMap((proj): FixtureTensor[] => {
      const key = `text_encoder.encoder.layers.0.self_attn.${proj}`;
      return [
        { name: `${key}.lora_A.weight`, dtype: 'F32', shape: [4, 768], data: fill(4 * 768) },
        { name: `${key}.lora_B.weight`, dtype: 'F32', shape: [768, 4], data: fill(768 * 4) },
      ];
    });
    const unet = makePeftTensors({ modules: UNET_MODULES, rank: 4, seed: 6, prefix: 'unet.' });
    const file = join(dir, 'dsave.safetensors');
    await writeFixtureFile(file, [...te, ...unet]);
    const inspected = await inspectLora(file);
    const teModules = inspected.modules.filter((m) => m.component === 'text_encoder');
    expect(teModules).toHaveLength(4);
    expect(teModules.every((m) => m.name.startsWith('lora_te_text_model_encoder_layers_0_') && m.sd15)).toBe(
      true,
    );
    expect(checkDiffusers([...te, ...unet].map((t) => t.name)).ok).toBe(true);

    const kohya = join(dir, 'dsave.kohya.safetensors');
    await convertLora({ input: file, output: kohya, to: 'kohya' });
    const names = [...(await readAll(kohya)).keys()].filter((k) => k.startsWith('lora_te_'));
    expect(names).toHaveLength(4 * 3);
    expect(names).toContain('lora_te_text_model_encoder_layers_0_self_attn_k_proj.lora_down.weight');
    expect(names.some((k) => k.startsWith('lora_te_encoder_'))).toBe(false);
  });
});
