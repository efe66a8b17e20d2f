// Tests for diffusers-copy.ts refusing what no copy can fix: an SDXL file is refused as SDXL (not with convert
// --drop-unknown advice), a file that is not a LoRA by its name; neither leaves a copy.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loraFileForDiffusers } from './diffusers-copy.js';
import { attention, copyTestDir } from './diffusers-copy-testing.js';
import { type FixtureTensor, writeFixtureFile } from './lora-fixtures.js';

describe('loraFileForDiffusers', () => {
  it('refuses an SDXL file as SDXL, not with convert --drop-unknown advice (convert refuses it too)', async () => {
    const dir = await copyTestDir();
    const pair = (name: string, width: number): FixtureTensor[] => [
      {
        name: `${name}.lora_down.weight`,
        dtype: 'F32',
        shape: [2, width],
        data: new Float32Array(2 * width),
      },
      { name: `${name}.lora_up.weight`, dtype: 'F32', shape: [width, 2], data: new Float32Array(2 * width) },
      { name: `${name}.alpha`, dtype: 'F32', shape: [], data: new Float32Array([1]) },
    ];
    const te1 = pair('lora_te1_text_model_encoder_layers_0_self_attn_q_proj', 768);
    const te2 = pair('lora_te2_text_model_encoder_layers_0_self_attn_q_proj', 1280);
    for (const [name, tensors, metadata] of [
      // lora_te2_ keys are unknown to toonlora: they got generate's unknown-keys advice
      ['xl-te2.safetensors', [...attention(() => 4), ...te1, ...te2], {}],
      // no unknown key at all: SDXL by its metadata
      ['xl-meta.safetensors', attention(() => 4), { ss_base_model_version: 'sdxl_base_v1-0' }],
    ] as const) {
      const input = join(dir, name);
      await writeFixtureFile(input, [...tensors], metadata);
      const attempt = loraFileForDiffusers(input, join(dir, 'cache'));
      await expect(attempt).rejects.toMatchObject({
        code: 'TL_ERR_LORA_FORMAT',
        message: expect.stringMatching(
          new RegExp(
            `^${input.replaceAll('.', '\\.')}: is an SDXL LoRA \\(.*\\); toonlora generates with SD1\\.5 base models only, which cannot use an SDXL LoRA`,
          ),
        ),
      });
      expect(await attempt.catch((e: Error) => e.message)).not.toContain('--drop-unknown');
    }
    expect(existsSync(join(dir, 'cache'))).toBe(false); // no copy made
  });

  it('refuses a file that is not a LoRA, naming it', async () => {
    const dir = await copyTestDir();
    const png = join(dir, 'picture.safetensors');
    await writeFile(png, Buffer.from('\x89PNG\r\n\x1a\n0000000000000000'));
    await expect(loraFileForDiffusers(png, join(dir, 'cache'))).rejects.toMatchObject({
      code: 'TL_ERR_SAFETENSORS',
      message: expect.stringContaining('picture.safetensors'),
    });
  });
});
