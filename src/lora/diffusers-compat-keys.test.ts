// Tests for lora-keys.ts on diffusers 0.21 - 0.24 UNet keys (LoRACompatibleLinear / LoRACompatibleConv,
// `unet.<module>.to_q.lora.down.weight`): parsed as the module itself, as diffusers 0.42 does
// (utils/state_dict_utils.py UNET_TO_DIFFUSERS `.lora.down` -> `.lora_A`, applied by loaders/peft.py
// `load_lora_adapter` when the first key has no `lora_A`), read by inspect and convert with alpha = rank.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { loraFileForDiffusers } from './diffusers-copy.js';
import { inspectLora } from './inspect.js';
import { type FixtureTensor, seededRandom, writeFixtureFile } from './lora-fixtures.js';
import { detectLoraFormat, parsePeftStyleKey } from './lora-keys.js';
import { openSafetensors } from './safetensors-read.js';

const ATTN = 'down_blocks.0.attentions.0.transformer_blocks.0.attn1';

/** A diffusers 0.21 - 0.24 `save_lora_weights` file: UNet `.lora.down` / `.lora.up`, text encoder `lora_linear_layer`. */
function compatTensors(): FixtureTensor[] {
  const random = seededRandom(13);
  const fill = (n: number) => Float32Array.from({ length: n }, () => random() * 0.1);
  const te = 'text_encoder.text_model.encoder.layers.0.self_attn.q_proj';
  return [
    ...['to_q', 'to_out.0'].flatMap((proj): FixtureTensor[] => [
      { name: `unet.${ATTN}.${proj}.lora.down.weight`, dtype: 'F32', shape: [4, 320], data: fill(1280) },
      { name: `unet.${ATTN}.${proj}.lora.up.weight`, dtype: 'F32', shape: [320, 4], data: fill(1280) },
    ]),
    { name: `${te}.lora_linear_layer.down.weight`, dtype: 'F32', shape: [4, 768], data: fill(3072) },
    { name: `${te}.lora_linear_layer.up.weight`, dtype: 'F32', shape: [768, 4], data: fill(3072) },
  ];
}

describe('diffusers 0.21 - 0.24 UNet `.lora.down.weight` keys', () => {
  it('parse as the UNet module itself, under the unet. prefix only', () => {
    expect(parsePeftStyleKey(`unet.${ATTN}.to_out.0.lora.up.weight`)).toEqual({
      component: 'unet',
      path: `${ATTN}.to_out.0`,
      part: 'up',
      style: 'diffusers',
    });
    expect(parsePeftStyleKey(`unet.${ATTN}.to_q.lora.down.weight`)).toMatchObject({
      path: `${ATTN}.to_q`,
      part: 'down',
    });
    // without the prefix diffusers' load_lora_weights finds no module (it filters on `unet.`)
    expect(parsePeftStyleKey(`${ATTN}.to_q.lora.down.weight`)).toBeUndefined();
    expect(detectLoraFormat(compatTensors().map((t) => t.name))).toBe('diffusers');
  });

  it('inspect reads them (diffusers ok, alpha = rank) and convert writes the same weights', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'toonlora-compat-keys-'));
    const input = join(dir, 'old.safetensors');
    const tensors = compatTensors();
    await writeFixtureFile(input, tensors);
    const inspected = await inspectLora(input);
    expect(inspected.format).toBe('diffusers');
    expect(inspected.unknownKeys).toEqual([]);
    expect(inspected.modules.map((m) => [m.path, m.rank, m.alpha, m.alphaSource, m.sd15])).toEqual([
      ['text_model.encoder.layers.0.self_attn.q_proj', 4, 4, 'assumed-rank', true],
      [`${ATTN}.to_out.0`, 4, 4, 'assumed-rank', true],
      [`${ATTN}.to_q`, 4, 4, 'assumed-rank', true],
    ]);
    expect(inspected.compatibility.find((v) => v.loader === 'diffusers')).toMatchObject({ ok: true });
    const out = join(dir, 'old.kohya.safetensors');
    await convertLora({ input, output: out, to: 'kohya' });
    const reader = await openSafetensors(out);
    const q = `lora_unet_${ATTN.replaceAll('.', '_')}_to_q`;
    const entry = reader.tensor(`${q}.lora_down.weight`);
    if (!entry) throw new Error(`${q}.lora_down.weight: not written`);
    const down = await reader.readTensor(entry);
    await reader.close();
    const original = tensors.find((t) => t.name === `unet.${ATTN}.to_q.lora.down.weight`)?.data;
    expect(new Float32Array(down.slice().buffer)).toEqual(original);
    expect(reader.header.tensors.map((t) => t.name)).toContain(
      `lora_unet_${ATTN.replaceAll('.', '_')}_to_out_0.lora_up.weight`,
    );
    // diffusers 0.42 loads the file itself: no converted copy
    expect(await loraFileForDiffusers(input, join(dir, 'cache'))).toEqual({ path: input });
  });
});
