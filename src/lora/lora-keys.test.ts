// Tests for lora-keys.ts on diffusers' old attention-processor keys (`save_attn_procs`,
// `…attn1.processor.to_q_lora.down.weight`): parsed as the projection modules, read by inspect and
// convert with alpha = rank (as diffusers assumes), and handed to generate as is, or as a copy when the
// keys lack the `unet.` prefix load_lora_weights needs; their text-encoder half
// (`text_encoder.…q_proj.lora_linear_layer.down.weight`) likewise.
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

function processorTensors(prefix: string): FixtureTensor[] {
  const random = seededRandom(8);
  const fill = (n: number) => Float32Array.from({ length: n }, () => random() * 0.1);
  return ['to_q', 'to_out'].flatMap((proj): FixtureTensor[] => [
    {
      name: `${prefix}${ATTN}.processor.${proj}_lora.down.weight`,
      dtype: 'F32',
      shape: [4, 320],
      data: fill(1280),
    },
    {
      name: `${prefix}${ATTN}.processor.${proj}_lora.up.weight`,
      dtype: 'F32',
      shape: [320, 4],
      data: fill(1280),
    },
  ]);
}

describe("diffusers' attention-processor LoRA keys", () => {
  it('parse as the projection modules (to_out_lora is to_out.0)', () => {
    expect(parsePeftStyleKey(`unet.${ATTN}.processor.to_out_lora.up.weight`)).toEqual({
      component: 'unet',
      path: `${ATTN}.to_out.0`,
      part: 'up',
      style: 'diffusers',
    });
    expect(parsePeftStyleKey(`${ATTN}.processor.to_k_lora.down.weight`)).toMatchObject({
      path: `${ATTN}.to_k`,
      part: 'down',
    });
    expect(detectLoraFormat(processorTensors('unet.').map((t) => t.name))).toBe('diffusers');
  });

  it('inspect, convert and generate read them with alpha = rank', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'toonlora-procs-'));
    for (const prefix of ['unet.', '']) {
      const input = join(dir, `procs-${prefix || 'bare'}.safetensors`);
      await writeFixtureFile(input, processorTensors(prefix));
      const inspected = await inspectLora(input);
      expect(inspected.modules.map((m) => [m.path, m.alpha, m.alphaSource, m.sd15])).toEqual([
        [`${ATTN}.to_out.0`, 4, 'assumed-rank', true],
        [`${ATTN}.to_q`, 4, 'assumed-rank', true],
      ]);
      const diffusers = inspected.compatibility.find((v) => v.loader === 'diffusers');
      expect(diffusers?.ok).toBe(prefix === 'unet.');
      const out = join(dir, `procs-${prefix || 'bare'}.kohya.safetensors`);
      const result = await convertLora({ input, output: out, to: 'kohya' });
      expect(result.warnings.join(' ')).toContain('assuming alpha = rank');
      const reader = await openSafetensors(out);
      await reader.close();
      expect(reader.header.tensors.map((t) => t.name)).toContain(
        `lora_unet_${ATTN.replaceAll('.', '_')}_to_out_0.lora_up.weight`,
      );
      const choice = await loraFileForDiffusers(input, join(dir, 'cache'));
      expect(choice.path === input).toBe(prefix === 'unet.');
    }
  });
});

/** The text-encoder half of a diffusers 0.17 - 0.24 file: `…self_attn.q_proj.lora_linear_layer.down.weight`. */
function linearLayerTensors(): FixtureTensor[] {
  const random = seededRandom(5);
  const fill = (n: number) => Float32Array.from({ length: n }, () => random() * 0.1);
  const module = 'text_encoder.text_model.encoder.layers.0.self_attn.q_proj';
  return [
    { name: `${module}.lora_linear_layer.down.weight`, dtype: 'F32', shape: [4, 768], data: fill(3072) },
    { name: `${module}.lora_linear_layer.up.weight`, dtype: 'F32', shape: [768, 4], data: fill(3072) },
  ];
}

describe("diffusers' old text-encoder lora_linear_layer keys", () => {
  it('parse as the text-encoder module, under the text_encoder. prefix only', () => {
    expect(
      parsePeftStyleKey(
        'text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_linear_layer.down.weight',
      ),
    ).toEqual({
      component: 'text_encoder',
      path: 'text_model.encoder.layers.0.self_attn.q_proj',
      part: 'down',
      style: 'diffusers',
    });
    expect(
      parsePeftStyleKey('text_encoder.encoder.layers.3.mlp.fc1.lora_linear_layer.up.weight'),
    ).toMatchObject({
      path: 'text_model.encoder.layers.3.mlp.fc1',
      part: 'up',
    });
    expect(parsePeftStyleKey(`unet.${ATTN}.to_q.lora_linear_layer.down.weight`)).toBeUndefined();
  });

  it('inspect calls the file diffusers-ok and convert writes the module with alpha = rank', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'toonlora-linear-layer-'));
    const input = join(dir, 'old.safetensors');
    await writeFixtureFile(input, [...processorTensors('unet.'), ...linearLayerTensors()]);
    const inspected = await inspectLora(input);
    expect(inspected.unknownKeys).toEqual([]);
    expect(inspected.modules).toHaveLength(3);
    expect(inspected.compatibility.find((v) => v.loader === 'diffusers')).toMatchObject({ ok: true });
    const out = join(dir, 'old.kohya.safetensors');
    await convertLora({ input, output: out, to: 'kohya' });
    const reader = await openSafetensors(out);
    await reader.close();
    const te = 'lora_te_text_model_encoder_layers_0_self_attn_q_proj';
    expect(reader.header.tensors.filter((t) => t.name.startsWith(te)).map((t) => [t.name, t.shape])).toEqual([
      [`${te}.alpha`, []],
      [`${te}.lora_down.weight`, [4, 768]],
      [`${te}.lora_up.weight`, [768, 4]],
    ]);
    expect(await loraFileForDiffusers(input, join(dir, 'cache'))).toEqual({ path: input });
  });
});
