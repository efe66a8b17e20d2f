// Tests for compvis-names.ts: LDM-named kohya modules (`lora_unet_input_blocks_1_1_proj_in`) read as
// the diffusers modules A1111 maps them onto, in inspect, convert and generate's copy.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { a1111CompvisName, diffusersPathOfLdmName } from './compvis-names.js';
import { convertLora } from './convert.js';
import { loraFileForDiffusers } from './diffusers-copy.js';
import { inspectLora } from './inspect.js';
import { type FixtureTensor, seededRandom, writeFixtureFile } from './lora-fixtures.js';
import { openSafetensors } from './safetensors-read.js';
import { sd15CompvisUnetModules, sd15UnetModules } from './sd15-modules.js';

const random = seededRandom(21);
function module(name: string, inFeatures: number, outFeatures: number): FixtureTensor[] {
  const fill = (n: number) => Float32Array.from({ length: n }, () => random() * 0.1);
  return [
    { name: `${name}.lora_down.weight`, dtype: 'F32', shape: [4, inFeatures], data: fill(4 * inFeatures) },
    { name: `${name}.lora_up.weight`, dtype: 'F32', shape: [outFeatures, 4], data: fill(outFeatures * 4) },
    { name: `${name}.alpha`, dtype: 'F32', shape: [], data: new Float32Array([2]) },
  ];
}

async function names(path: string): Promise<string[]> {
  const reader = await openSafetensors(path);
  await reader.close();
  return reader.header.tensors.map((t) => t.name).sort();
}

describe('LDM-named kohya modules', () => {
  it('every SD1.5 LDM module maps back to its diffusers module', () => {
    const ldm = sd15CompvisUnetModules().map((m) => m.slice('diffusion_model.'.length).replaceAll('.', '_'));
    const mapped = ldm.map((flat) => diffusersPathOfLdmName(flat));
    expect(mapped.every((p) => p !== undefined)).toBe(true);
    expect(new Set(mapped).size).toBe(sd15UnetModules().length);
    for (const [i, path] of mapped.entries())
      expect(a1111CompvisName(`lora_unet_${path?.replaceAll('.', '_')}`)).toBe(`diffusion_model_${ldm[i]}`);
    expect(diffusersPathOfLdmName('input_blocks_1_1_proj_in')).toBe('down_blocks.0.attentions.0.proj_in');
    expect(diffusersPathOfLdmName('output_blocks_3_0_in_layers_2')).toBe('up_blocks.1.resnets.0.conv1');
    expect(diffusersPathOfLdmName('down_blocks_0_attentions_0_proj_in')).toBeUndefined();
  });

  it('convert writes diffusers / kohya names, inspect lists SD1.5 modules, generate uses a copy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'toonlora-ldm-'));
    const input = join(dir, 'ldm.safetensors');
    await writeFixtureFile(input, [
      ...module('lora_unet_input_blocks_1_1_proj_in', 320, 320),
      ...module('lora_unet_middle_block_1_transformer_blocks_0_attn2_to_k', 768, 1280),
    ]);
    const inspected = await inspectLora(input);
    expect(inspected.modules.map((m) => [m.path, m.sd15])).toEqual([
      ['down_blocks.0.attentions.0.proj_in', true],
      ['mid_block.attentions.0.transformer_blocks.0.attn2.to_k', true],
    ]);
    expect(inspected.warnings.join(' ')).not.toContain('not SD1.5 modules');
    const diffusers = inspected.compatibility.find((v) => v.loader === 'diffusers');
    expect(diffusers?.notes.join(' ')).toContain('original LDM UNet');
    await convertLora({ input, output: join(dir, 'd.safetensors'), to: 'diffusers' });
    expect(await names(join(dir, 'd.safetensors'))).toEqual([
      'unet.down_blocks.0.attentions.0.proj_in.lora_A.weight',
      'unet.down_blocks.0.attentions.0.proj_in.lora_B.weight',
      'unet.mid_block.attentions.0.transformer_blocks.0.attn2.to_k.lora_A.weight',
      'unet.mid_block.attentions.0.transformer_blocks.0.attn2.to_k.lora_B.weight',
    ]);
    await convertLora({ input, output: join(dir, 'k.safetensors'), to: 'kohya' });
    expect((await names(join(dir, 'k.safetensors'))).slice(0, 2)).toEqual([
      'lora_unet_down_blocks_0_attentions_0_proj_in.alpha',
      'lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight',
    ]);
    const choice = await loraFileForDiffusers(input, join(dir, 'cache'));
    expect(choice.path).not.toBe(input);
    expect(choice.note).toContain('after the original LDM UNet (e.g. lora_unet_input_blocks_1_1_proj_in)');
  });
});
