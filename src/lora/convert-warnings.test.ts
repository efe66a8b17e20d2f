// Tests for convert's warnings and what it refuses by name: F64 converted by --precision with fp16
// overflow counted, DoRA metadata without training facts and --metadata-from for non-kohya outputs,
// SDXL files refused by name even with --drop-unknown, NaN / Inf values warned about.
// Helpers in convert-safety-testing.ts.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import {
  exists,
  f32,
  kohyaQ,
  Q,
  type RawTensor,
  random,
  randomF32,
  writeRaw,
} from './convert-safety-testing.js';
import { float32ToFloat16Bits } from './float-convert.js';
import { openLora } from './open-lora.js';
import { openSafetensors } from './safetensors-read.js';
import { tempDirPerFile } from './temp-dir-testing.js';

const tempDir = tempDirPerFile('toonlora-convert-safety-');

describe('--precision', () => {
  it('converts F64 tensors too (as torch: double -> float -> half)', async () => {
    const down = Float64Array.from({ length: 1280 }, (_, i) => (i - 640) / 3000 + 1e-9);
    const up = Float64Array.from({ length: 1280 }, (_, i) => Math.sin(i) / 7);
    const input = join(tempDir(), 'f64.safetensors');
    await writeRaw(input, [
      { name: `${Q}.lora_down.weight`, dtype: 'F64', shape: [4, 320], bytes: new Uint8Array(down.buffer) },
      { name: `${Q}.lora_up.weight`, dtype: 'F64', shape: [320, 4], bytes: new Uint8Array(up.buffer) },
      { name: `${Q}.alpha`, dtype: 'F64', shape: [], bytes: new Uint8Array(Float64Array.of(2).buffer) },
    ]);
    const out = join(tempDir(), 'f64-16.safetensors');
    await convertLora({ input, output: out, precision: 'fp16' });
    const reader = await openSafetensors(out);
    try {
      const entry = reader.header.tensors.find((t) => t.name === `${Q}.lora_down.weight`);
      expect(entry?.dtype).toBe('F16');
      const got = new Uint16Array((await reader.readTensor(entry as never)).slice().buffer);
      expect(Array.from(got)).toEqual(Array.from(down, (v) => float32ToFloat16Bits(Math.fround(v))));
      expect(reader.header.tensors.find((t) => t.name === `${Q}.alpha`)?.dtype).toBe('F32');
    } finally {
      await reader.close();
    }
  });

  it('counts values beyond the fp16 range and warns; bf16 keeps them', async () => {
    const down = Array.from({ length: 1280 }, (_, i) =>
      i % 100 === 0 ? 70000 * (i % 200 === 0 ? 1 : -1) : 0.01,
    );
    const input = join(tempDir(), 'huge.safetensors');
    await writeRaw(input, kohyaQ({ down: f32(down) }));
    const half = await convertLora({
      input,
      output: join(tempDir(), 'huge16.safetensors'),
      precision: 'fp16',
    });
    expect(half.warnings).toContain(
      '13 value(s) overflowed to ±Inf in fp16; use bf16 or fp32 (--precision) to keep them.',
    );
    const bf = await convertLora({ input, output: join(tempDir(), 'hugebf.safetensors'), precision: 'bf16' });
    expect(bf.warnings.filter((w) => w.includes('overflowed'))).toEqual([]);
  });
});

describe('metadata', () => {
  const dora = (shape: number[]): RawTensor => ({
    name: `${Q}.dora_scale`,
    dtype: 'F32',
    shape,
    bytes: f32(Array.from({ length: 320 }, () => 1)),
  });

  it('a DoRA file converted without --metadata-from gets lycoris.kohya and ss_network_args', async () => {
    const input = join(tempDir(), 'dora-in.safetensors');
    await writeRaw(input, [...kohyaQ(), dora([320, 1])]);
    const out = join(tempDir(), 'dora-out.safetensors');
    await convertLora({ input, output: out });
    const reader = await openSafetensors(out);
    await reader.close();
    expect(reader.header.metadata.ss_network_module).toBe('lycoris.kohya');
    expect(JSON.parse(reader.header.metadata.ss_network_args ?? '{}')).toMatchObject({ dora_wd: 'True' });
  });

  it('the DoRA warning names the axis the dora_scale shape gives', async () => {
    const rows = join(tempDir(), 'dora-rows.safetensors');
    const cols = join(tempDir(), 'dora-cols.safetensors');
    await writeRaw(rows, [...kohyaQ(), dora([320, 1])]);
    await writeRaw(cols, [...kohyaQ(), dora([1, 320])]);
    const doraWarning = async (path: string) => {
      const opened = await openLora(path);
      await opened.reader.close();
      return opened.model.warnings.filter((w) => w.startsWith('DoRA')).join('\n');
    };
    expect(await doraWarning(rows)).toContain('per output row');
    const colWarning = await doraWarning(cols);
    expect(colWarning).toContain('per input column ([1, in]');
    expect(colWarning).not.toContain('per output row');
  });

  it('--metadata-from with --to peft / diffusers warns that it was not written', async () => {
    const input = join(tempDir(), 'q.safetensors');
    await writeRaw(input, kohyaQ());
    const trainingFacts = { outputName: 'hero', steps: 10 };
    const peft = await convertLora({
      input,
      output: join(tempDir(), 'meta-peft'),
      to: 'peft',
      trainingFacts,
    });
    expect(peft.warnings.some((w) => w.startsWith('--metadata-from') && w.includes('--to peft'))).toBe(true);
    const diffusers = await convertLora({
      input,
      output: join(tempDir(), 'meta-d.safetensors'),
      to: 'diffusers',
      trainingFacts,
    });
    expect(diffusers.warnings.some((w) => w.includes('--to diffusers it was ignored'))).toBe(true);
    const kohya = await convertLora({ input, output: join(tempDir(), 'meta-k.safetensors'), trainingFacts });
    expect(kohya.warnings.some((w) => w.startsWith('--metadata-from'))).toBe(false);
  });
});

describe('SDXL files', () => {
  const TE1 = 'lora_te1_text_model_encoder_layers_0_self_attn_q_proj';
  const TE2 = 'lora_te2_text_model_encoder_layers_0_self_attn_q_proj';
  const pair = (name: string, inF: number, out: number): RawTensor[] => [
    { name: `${name}.lora_down.weight`, dtype: 'F32', shape: [4, inF], bytes: randomF32(4 * inF) },
    { name: `${name}.lora_up.weight`, dtype: 'F32', shape: [out, 4], bytes: randomF32(4 * out) },
    { name: `${name}.alpha`, dtype: 'F32', shape: [], bytes: f32([1]) },
  ];

  it('refuses an SDXL file by name even with --drop-unknown, writing nothing (no lora_te1_ -> lora_te_ hybrid)', async () => {
    const input = join(tempDir(), 'sdxl.safetensors');
    await writeRaw(
      input,
      [
        ...kohyaQ(),
        ...pair(TE1, 768, 768),
        ...pair(TE2, 1280, 1280),
        ...pair('lora_unet_input_blocks_4_1_transformer_blocks_1_attn1_to_q', 640, 640),
      ],
      {
        ss_base_model_version: 'sdxl_base_v1-0',
        'modelspec.architecture': 'stable-diffusion-xl-v1-base/lora',
      },
    );
    for (const dropUnknown of [false, true]) {
      const out = join(tempDir(), `sdxl-${dropUnknown}.safetensors`);
      const attempt = convertLora({ input, output: out, dropUnknown });
      await expect(attempt).rejects.toMatchObject({ code: 'TL_ERR_LORA_FORMAT' });
      const message = await attempt.catch((e: Error) => e.message);
      expect(message).toContain('sdxl.safetensors: is an SDXL LoRA (3 lora_te1_ key(s)');
      expect(message).toContain('3 lora_te2_ key(s)');
      expect(message).toContain('ss_base_model_version "sdxl_base_v1-0"');
      expect(message).toContain('modelspec.architecture "stable-diffusion-xl-v1-base/lora"');
      expect(message).toContain('transformer_blocks_1_attn1_to_q');
      expect(message).toContain(
        'toonlora is SD1.5 only, so it cannot convert it, not even with --drop-unknown',
      );
      expect(await exists(out)).toBe(false);
    }
  });

  it('any one signal is enough: lora_te1_ keys, SDXL metadata, a transformer block past 0', async () => {
    const cases: Array<[string, RawTensor[], Record<string, string>]> = [
      ['te1', [...kohyaQ(), ...pair(TE1, 768, 768)], {}],
      ['meta', kohyaQ(), { ss_base_model_version: 'sdxl_base_v1-0' }],
      [
        'block',
        [
          ...kohyaQ(),
          ...pair('lora_unet_down_blocks_1_attentions_0_transformer_blocks_3_attn1_to_q', 640, 640),
        ],
        {},
      ],
    ];
    for (const [name, tensors, metadata] of cases) {
      const input = join(tempDir(), `sdxl-${name}.safetensors`);
      await writeRaw(input, tensors, metadata);
      await expect(
        convertLora({ input, output: join(tempDir(), `sdxl-${name}-out.safetensors`), dropUnknown: true }),
        name,
      ).rejects.toMatchObject({
        code: 'TL_ERR_LORA_FORMAT',
        message: expect.stringContaining('is an SDXL LoRA'),
      });
    }
    // An SD1.5 file with SD1.5 metadata converts as before.
    const sd15 = join(tempDir(), 'sd15-meta.safetensors');
    await writeRaw(sd15, kohyaQ(), {
      ss_base_model_version: 'sd_v1',
      'modelspec.architecture': 'stable-diffusion-v1/lora',
    });
    await expect(
      convertLora({ input: sd15, output: join(tempDir(), 'sd15-out.safetensors') }),
    ).resolves.toMatchObject({
      modules: 1,
    });
  });
});

describe('NaN / Inf values', () => {
  it('warns naming the count and a tensor, for every output format and with --precision', async () => {
    const input = join(tempDir(), 'nan.safetensors');
    const up = Float32Array.from({ length: 1280 }, () => random() * 0.1);
    up[7] = Number.NaN;
    const down = Float32Array.from({ length: 1280 }, () => random() * 0.1);
    down[1279] = Number.POSITIVE_INFINITY;
    await writeRaw(input, kohyaQ({ up: new Uint8Array(up.buffer), down: new Uint8Array(down.buffer) }));
    const expected = `2 tensor(s) hold NaN or Inf values (e.g. "${Q}.`;
    for (const [to, precision] of [
      ['kohya', undefined],
      ['diffusers', 'fp16'],
      ['peft', 'bf16'],
    ] as const) {
      const result = await convertLora({
        input,
        output: join(tempDir(), `nan-${to}${to === 'peft' ? '' : '.safetensors'}`),
        to,
        ...(precision ? { precision } : {}),
      });
      const warning = result.warnings.find((w) => w.includes('NaN'));
      expect(warning, to).toContain(expected);
      expect(warning, to).toContain('images generated with this LoRA will be black / broken');
      // Values that are NaN / Inf in the source are not counted as fp16 overflow.
      expect(
        result.warnings.some((w) => w.includes('overflowed')),
        to,
      ).toBe(false);
    }
    const clean = join(tempDir(), 'clean.safetensors');
    await writeRaw(clean, kohyaQ());
    const result = await convertLora({ input: clean, output: join(tempDir(), 'clean-out.safetensors') });
    expect(result.warnings.some((w) => w.includes('NaN'))).toBe(false);
  });
});
