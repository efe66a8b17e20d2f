// Tests for files outside toonlora's LoRA grammar that loaders still read: LyCORIS LoHa (hada_*) and
// full (diff) files are reported by inspect and refused by convert / generate saying what they are;
// an `.alpha` with no weights beside it is ignored with a warning; --drop-unknown drops LoHa / diff
// modules with their alpha.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { loraFileForDiffusers } from './diffusers-copy.js';
import { inspectLora } from './inspect.js';
import { type FixtureTensor, seededRandom, writeFixtureFile } from './lora-fixtures.js';
import { openSafetensors } from './safetensors-read.js';

const Q = 'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q';
const K = 'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_k';
const V = 'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_v';

let dir: string;
const random = seededRandom(11);
const tensor = (name: string, shape: number[]): FixtureTensor => ({
  name,
  dtype: 'F32',
  shape,
  data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 0.1),
});
const alpha = (module: string, value = 4): FixtureTensor => ({
  name: `${module}.alpha`,
  dtype: 'F32',
  shape: [],
  data: new Float32Array([value]),
});
const lora = (module: string) => [
  tensor(`${module}.lora_down.weight`, [4, 320]),
  tensor(`${module}.lora_up.weight`, [320, 4]),
  alpha(module),
];
const loha = (module: string, withAlpha = true) => [
  tensor(`${module}.hada_w1_a`, [320, 4]),
  tensor(`${module}.hada_w1_b`, [4, 320]),
  tensor(`${module}.hada_w2_a`, [320, 4]),
  tensor(`${module}.hada_w2_b`, [4, 320]),
  ...(withAlpha ? [alpha(module)] : []),
];

async function names(path: string): Promise<string[]> {
  const reader = await openSafetensors(path);
  await reader.close();
  return reader.header.tensors.map((t) => t.name).sort();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'toonlora-lycoris-'));
  await writeFixtureFile(join(dir, 'loha.safetensors'), [...loha(Q), ...loha(K)]);
  await writeFixtureFile(join(dir, 'loha-noalpha.safetensors'), [...loha(Q, false), ...loha(K, false)]);
  await writeFixtureFile(join(dir, 'full.safetensors'), [tensor(`${Q}.diff`, [320, 320])]);
  await writeFixtureFile(join(dir, 'loha-mixed.safetensors'), [...loha(Q), ...lora(V)]);
  await writeFixtureFile(join(dir, 'full-mixed.safetensors'), [tensor(`${Q}.diff`, [320, 320]), ...lora(V)]);
  await writeFixtureFile(join(dir, 'orphan.safetensors'), [...lora(V), alpha(K)]);
});

describe('LyCORIS LoHa and full files', () => {
  it('inspect reports a LoHa file: format, algorithm, module count, loaders', async () => {
    for (const file of ['loha.safetensors', 'loha-noalpha.safetensors']) {
      const result = await inspectLora(join(dir, file));
      expect(result).toMatchObject({ format: 'kohya', algorithm: 'loha', unreadModules: 2, modules: [] });
      const verdict = Object.fromEntries(result.compatibility.map((v) => [v.loader, v.ok]));
      expect(verdict).toEqual({ a1111: true, comfyui: true, diffusers: false });
      expect(result.warnings.join(' ')).toContain(
        'a LyCORIS LoHa file (hada_w1_a …, 2 module(s)): toonlora reads LoRA, DoRA and LoKr; the WebUI and ComfyUI load LoHa',
      );
    }
    const full = await inspectLora(join(dir, 'full.safetensors'));
    expect(full).toMatchObject({ format: 'kohya', algorithm: 'full', unreadModules: 1 });
  });

  it('convert (even with --drop-unknown) and generate refuse a LoHa / full file saying what it is', async () => {
    for (const [file, what] of [
      [
        'loha.safetensors',
        'is a LyCORIS LoHa file (hada_w1_a …, 2 module(s)): toonlora reads LoRA, DoRA and LoKr',
      ],
      ['loha-noalpha.safetensors', 'is a LyCORIS LoHa file'],
      ['full.safetensors', 'is a LyCORIS full-weight file (diff …, 1 module(s))'],
    ] as const) {
      for (const dropUnknown of [false, true]) {
        await expect(
          convertLora({
            input: join(dir, file),
            output: join(dir, `${file}.out`),
            to: 'diffusers',
            dropUnknown,
          }),
        ).rejects.toMatchObject({
          code: 'TL_ERR_LORA_FORMAT',
          message: expect.stringContaining(`${file}: ${what}`),
        });
      }
      await expect(loraFileForDiffusers(join(dir, file), join(dir, 'cache'))).rejects.toMatchObject({
        message: expect.stringContaining(what),
      });
    }
  });

  it('--drop-unknown drops LoHa / diff modules with their alpha and converts the LoRA modules', async () => {
    for (const file of ['loha-mixed.safetensors', 'full-mixed.safetensors']) {
      await expect(
        convertLora({ input: join(dir, file), output: join(dir, `${file}.kohya`), to: 'kohya' }),
      ).rejects.toMatchObject({ message: expect.stringContaining('--drop-unknown') });
      const out = join(dir, `${file}.dropped`);
      const result = await convertLora({
        input: join(dir, file),
        output: out,
        to: 'kohya',
        dropUnknown: true,
      });
      expect(result.modules).toBe(1);
      expect(await names(out)).toEqual([`${V}.alpha`, `${V}.lora_down.weight`, `${V}.lora_up.weight`]);
    }
  });
});

describe('an .alpha with no weights beside it', () => {
  it('is ignored with a warning by inspect, convert and generate', async () => {
    const input = join(dir, 'orphan.safetensors');
    const inspected = await inspectLora(input);
    expect(inspected.modules.map((m) => m.name)).toEqual([V]);
    expect(inspected.unknownKeys).toEqual([]);
    expect(inspected.warnings.join(' ')).toContain(
      `1 .alpha tensor(s) have no LoRA weights beside them (e.g. "${K}.alpha"): ignored`,
    );
    // diffusers raises on the leftover alpha ("have not been correctly renamed"); A1111 refuses the module
    const ok = Object.fromEntries(inspected.compatibility.map((v) => [v.loader, v.ok]));
    expect(ok).toEqual({ a1111: false, comfyui: true, diffusers: false });
    const out = join(dir, 'orphan.kohya.safetensors');
    const result = await convertLora({ input, output: out, to: 'kohya' });
    expect(result.warnings.join(' ')).toContain('.alpha tensor(s) have no LoRA weights');
    expect(await names(out)).toEqual([`${V}.alpha`, `${V}.lora_down.weight`, `${V}.lora_up.weight`]);
    const choice = await loraFileForDiffusers(input, join(dir, 'cache'));
    expect(choice.path).not.toBe(input);
    expect(choice.note).toContain('with no weights beside them');
    expect(await names(choice.path)).toEqual([
      'unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_v.lora_A.weight',
      'unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_v.lora_B.weight',
    ]);
  });
});
