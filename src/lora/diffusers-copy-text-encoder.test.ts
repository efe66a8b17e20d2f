// Tests for diffusers-copy.ts on text-encoder modules diffusers mishandles: a diffusers file whose metadata names
// 'text_model.' targets (an older toonlora's) is re-converted, and a kohya file with text-encoder q/v_proj and no
// out_proj (which diffusers drops or refuses) is converted to PEFT-style keys.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { loraFileForDiffusers } from './diffusers-copy.js';
import {
  alphasByModule,
  copyTestDir,
  DORA_TE,
  DORA_UNET,
  kohyaDoraTensors,
} from './diffusers-copy-testing.js';
import { inspectLora } from './inspect.js';
import { type FixtureTensor, seededRandom, writeFixtureFile } from './lora-fixtures.js';
import { openLora } from './open-lora.js';
import { openSafetensors } from './safetensors-read.js';

describe('loraFileForDiffusers', () => {
  it("re-converts a diffusers file whose metadata names 'text_model.' text-encoder targets (older toonlora)", async () => {
    const dir = await copyTestDir();
    const input = join(dir, 'old.safetensors');
    const tensors = kohyaDoraTensors([320, 1], [768, 1])
      .filter((t) => !t.name.endsWith('.dora_scale') && !t.name.endsWith('.alpha'))
      .map((t) => ({
        ...t,
        name: t.name
          .replace(`lora_te_${DORA_TE.replaceAll('.', '_')}`, `text_encoder.${DORA_TE}`)
          .replace(`lora_unet_${DORA_UNET.replaceAll('.', '_')}`, `unet.${DORA_UNET}`)
          .replace('.lora_down.weight', '.lora_A.weight')
          .replace('.lora_up.weight', '.lora_B.weight'),
      }));
    const metadata = {
      'text_encoder.r': 4,
      'text_encoder.lora_alpha': 2,
      'text_encoder.target_modules': [DORA_TE],
      'unet.r': 4,
      'unet.lora_alpha': 2,
      'unet.target_modules': [DORA_UNET],
    };
    await writeFixtureFile(input, tensors, { format: 'pt', lora_adapter_metadata: JSON.stringify(metadata) });
    const verdict = (await inspectLora(input)).compatibility.find((v) => v.loader === 'diffusers');
    expect(verdict?.ok).toBe(false);
    expect(verdict?.notes.join(' ')).toContain("target_modules with 'text_model.'");
    const choice = await loraFileForDiffusers(input, join(dir, 'cache'));
    expect(choice.note).toMatch(/^old\.safetensors names its text-encoder modules with 'text_model\.'/);
    const reader = await openSafetensors(choice.path);
    const meta = JSON.parse(reader.header.metadata.lora_adapter_metadata ?? '{}');
    await reader.close();
    expect(meta['text_encoder.target_modules']).toEqual(['encoder.layers.0.self_attn.q_proj']);
    expect(await loraFileForDiffusers(choice.path, join(dir, 'cache'))).toEqual({ path: choice.path });
  });

  it('converts a kohya file with text-encoder q_proj / v_proj and no out_proj, which diffusers drops or refuses', async () => {
    const dir = await copyTestDir();
    const random = seededRandom(8);
    const fill = (n: number) => Float32Array.from({ length: n }, () => random());
    const module = (name: string): FixtureTensor[] => [
      { name: `${name}.lora_down.weight`, dtype: 'F32', shape: [4, 768], data: fill(4 * 768) },
      { name: `${name}.lora_up.weight`, dtype: 'F32', shape: [768, 4], data: fill(768 * 4) },
      { name: `${name}.alpha`, dtype: 'F32', shape: [], data: new Float32Array([2]) },
    ];
    const te = (projections: string[]) =>
      [0, 1].flatMap((l) => projections.map((p) => `lora_te_text_model_encoder_layers_${l}_${p}`));
    for (const [name, projections, effect] of [
      ['qv-mlp', ['self_attn_q_proj', 'self_attn_v_proj', 'mlp_fc1'], 'drops 4 of them'],
      ['qv', ['self_attn_q_proj', 'self_attn_v_proj'], 'cannot read its text-encoder keys'],
    ] as const) {
      const input = join(dir, `${name}.safetensors`);
      await writeFixtureFile(input, te([...projections]).flatMap(module));
      const choice = await loraFileForDiffusers(input, join(dir, 'cache'));
      expect(choice.path.startsWith(join(dir, 'cache'))).toBe(true);
      expect(choice.note).toContain(
        `${name}.safetensors has text-encoder q/k/v_proj modules and no out_proj module, so diffusers' load_lora_weights ${effect}`,
      );
      const copy = await openLora(choice.path);
      await copy.reader.close();
      expect(copy.model.format).toBe('diffusers');
      // PEFT-style keys, which diffusers reads whatever projections there are
      expect(copy.reader.header.tensors.map((t) => t.name)).toContain(
        'text_encoder.text_model.encoder.layers.1.self_attn.v_proj.lora_A.weight',
      );
      expect(await alphasByModule(choice.path)).toEqual(await alphasByModule(input));
      expect(await loraFileForDiffusers(choice.path, join(dir, 'cache'))).toEqual({ path: choice.path });
      // converting such a LoRA to kohya says what diffusers will do with the file
      const back = await convertLora({
        input: choice.path,
        output: join(dir, `${name}.back.safetensors`),
        to: 'kohya',
      });
      expect(back.warnings.join('\n')).toMatch(/q\/k\/v_proj module\(s\) .* and no out_proj module/);
    }
    // with an out_proj module diffusers reads the file whole
    const whole = join(dir, 'whole.safetensors');
    await writeFixtureFile(whole, te(['self_attn_q_proj', 'self_attn_out_proj']).flatMap(module));
    expect(await loraFileForDiffusers(whole, join(dir, 'cache'))).toEqual({ path: whole });
    const wholeBack = await convertLora({
      input: whole,
      output: join(dir, 'whole.back.safetensors'),
      to: 'kohya',
    });
    expect(wholeBack.warnings.join('\n')).not.toMatch(/no out_proj module/);
  });
});
