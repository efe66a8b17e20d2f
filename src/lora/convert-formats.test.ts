// Tests for convert's diffusers output and --precision (diffusers output round-trips), and for SD1.5's
// 1x1 convolutions stored as 2-D LoRA weights. Helpers in convert-testing.ts.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { asF32, readAll } from './convert-testing.js';
import { float32ToFloat16Bits } from './float-convert.js';
import { makePeftTensors, seededRandom, writeFixtureFile, writePeftFolder } from './lora-fixtures.js';
import { openLora } from './open-lora.js';
import { openSafetensors } from './safetensors-read.js';
import { writeSafetensors } from './safetensors-write.js';
import { sd15AttentionModules } from './sd15-modules.js';
import { tempDirPerFile } from './temp-dir-testing.js';

const tempDir = tempDirPerFile('toonlora-convert-');

describe('diffusers format and precision', () => {
  const modules = sd15AttentionModules().slice(0, 4);

  it('writes unet.* lora_A/lora_B with lora_adapter_metadata, and reads it back with alpha', async () => {
    const config = { r: 4, lora_alpha: 2 };
    await writePeftFolder(join(tempDir(), 'dsrc'), makePeftTensors({ modules, rank: 4, seed: 9 }), config);
    const out = join(tempDir(), 'd.safetensors');
    await convertLora({ input: join(tempDir(), 'dsrc'), output: out, to: 'diffusers' });
    const reader = await openSafetensors(out);
    const names = reader.header.tensors.map((t) => t.name);
    const meta = JSON.parse(reader.header.metadata.lora_adapter_metadata ?? '{}');
    await reader.close();
    expect(names).toContain(`unet.${modules[0]}.lora_A.weight`);
    expect(meta['unet.lora_alpha']).toBe(2);
    const opened = await openLora(out);
    await opened.reader.close();
    expect(opened.model.format).toBe('diffusers');
    expect(opened.model.modules.map((m) => m.alpha)).toEqual([2, 2, 2, 2]);
  });

  it("carries a kohya file's ss_* / modelspec.* metadata through diffusers and PEFT and back, hashes recomputed", async () => {
    const kohya = join(tempDir(), 'meta-kohya.safetensors');
    await writePeftFolder(join(tempDir(), 'msrc'), makePeftTensors({ modules, rank: 4, seed: 12 }), {
      r: 4,
      lora_alpha: 2,
    });
    await convertLora({
      input: join(tempDir(), 'msrc'),
      output: kohya,
      trainingFacts: {
        outputName: 'héros',
        trigger: 'sks',
        captionsByFolder: { '10_sks girl': ['sks, smile'] },
      },
    });
    const metadataOf = async (path: string) => {
      const reader = await openSafetensors(path);
      await reader.close();
      return reader.header.metadata;
    };
    const source = await metadataOf(kohya);
    for (const to of ['diffusers', 'peft'] as const) {
      const middle = join(tempDir(), `meta.${to}`);
      await convertLora({ input: kohya, output: middle, to });
      const carried = await metadataOf(to === 'peft' ? join(middle, 'adapter_model.safetensors') : middle);
      expect(carried).toMatchObject({
        ss_output_name: 'héros',
        ss_tag_frequency: source.ss_tag_frequency,
        'modelspec.title': 'héros',
        'modelspec.trigger_phrase': 'sks',
      });
      expect(Object.keys(carried).filter((k) => k.startsWith('sshs_'))).toEqual([]);
      const back = join(tempDir(), `meta.${to}.kohya.safetensors`);
      await convertLora({ input: middle, output: back, to: 'kohya' });
      const result = await metadataOf(back);
      const { sshs_model_hash: _a, sshs_legacy_hash: _b, ...rest } = source;
      expect(result).toMatchObject(rest);
      expect(result.sshs_model_hash).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('converts precision exactly when read slabs split elements (odd offsets, tensors over several slabs)', async () => {
    // A 2-byte F16 alpha first puts every F32 tensor at an offset of 2 mod 4, so the read
    // slabs (STREAM_CHUNK_BYTES) cut F32 elements in half; conversion must stitch them.
    const random = seededRandom(21);
    const r = 1200;
    const down = Float32Array.from({ length: r * 1024 }, () => random());
    const up = Float32Array.from({ length: 320 * r }, () => random());
    const name = 'lora_unet_down_blocks_0_attentions_0_proj_in';
    const path = join(tempDir(), 'odd.safetensors');
    const bytesOf = (a: Float32Array) => new Uint8Array(a.buffer);
    await writeSafetensors(
      path,
      [
        {
          name: `${name}.alpha`,
          dtype: 'F16',
          shape: [],
          chunks: () => [new Uint8Array(new Uint16Array([0x4c00]).buffer)],
        },
        { name: `${name}.lora_down.weight`, dtype: 'F32', shape: [r, 1024], chunks: () => [bytesOf(down)] },
        { name: `${name}.lora_up.weight`, dtype: 'F32', shape: [320, r], chunks: () => [bytesOf(up)] },
      ],
      {},
    );
    const out = join(tempDir(), 'odd16.safetensors');
    await convertLora({ input: path, output: out, precision: 'fp16' });
    const all = await readAll(out);
    const got = new Uint16Array(
      (all.get(`${name}.lora_down.weight`)?.bytes ?? new Uint8Array()).slice().buffer,
    );
    expect(got.length).toBe(down.length);
    for (let i = 0; i < down.length; i += 997) expect(got[i]).toBe(float32ToFloat16Bits(down[i] as number));
    expect(got[down.length - 1]).toBe(float32ToFloat16Bits(down[down.length - 1] as number));
    expect(asF32(all.get(`${name}.alpha`)?.bytes ?? new Uint8Array(4))[0]).toBe(16);
  });

  it('--precision fp16 halves the tensors but keeps alpha float32', async () => {
    const out = join(tempDir(), 'half.safetensors');
    await convertLora({ input: join(tempDir(), 'dsrc'), output: out, precision: 'fp16' });
    const all = await readAll(out);
    const dtypes = new Set([...all].filter(([n]) => !n.endsWith('.alpha')).map(([, t]) => t.dtype));
    expect(dtypes).toEqual(new Set(['F16']));
    expect([...all].filter(([n]) => n.endsWith('.alpha')).every(([, t]) => t.dtype === 'F32')).toBe(true);
  });
});

describe("2-D LoRA weights of SD1.5's 1x1 convolutions", () => {
  it('proj_in / proj_out / conv_shortcut [r, in] / [out, r] are written [r, in, 1, 1] / [out, r, 1, 1], bytes unchanged', async () => {
    const random = seededRandom(31);
    const fill = (n: number) => Float32Array.from({ length: n }, () => random() * 0.1);
    const modules: Array<[string, number, number, number]> = [
      ['down_blocks.0.attentions.0.proj_in', 4, 320, 320],
      ['down_blocks.0.attentions.0.proj_out', 4, 320, 320],
      ['down_blocks.1.resnets.0.conv_shortcut', 4, 320, 640],
      ['down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q', 4, 320, 320],
    ];
    const tensors = modules.flatMap(([path, r, inF, out]) => {
      const name = `lora_unet_${path.replaceAll('.', '_')}`;
      return [
        { name: `${name}.lora_down.weight`, dtype: 'F32' as const, shape: [r, inF], data: fill(r * inF) },
        { name: `${name}.lora_up.weight`, dtype: 'F32' as const, shape: [out, r], data: fill(out * r) },
        { name: `${name}.alpha`, dtype: 'F32' as const, shape: [], data: new Float32Array([2]) },
      ];
    });
    const input = join(tempDir(), 'proj2d.safetensors');
    await writeFixtureFile(input, tensors);
    const source = await readAll(input);
    const outputs = {
      kohya: join(tempDir(), 'proj2d.k.safetensors'),
      diffusers: join(tempDir(), 'proj2d.d.safetensors'),
      peft: join(tempDir(), 'proj2d.peft'),
    };
    for (const [to, out] of Object.entries(outputs) as Array<[keyof typeof outputs, string]>)
      await convertLora({ input, output: out, to });
    const kohya = await readAll(outputs.kohya);
    const diffusers = await readAll(outputs.diffusers);
    const peft = await readAll(join(outputs.peft, 'adapter_model.safetensors'));
    for (const [path, r, inF, out] of modules) {
      const kname = `lora_unet_${path.replaceAll('.', '_')}`;
      const conv = !path.includes('attn1');
      const downShape = conv ? [r, inF, 1, 1] : [r, inF];
      const upShape = conv ? [out, r, 1, 1] : [out, r];
      const written = [
        [kohya.get(`${kname}.lora_down.weight`), kohya.get(`${kname}.lora_up.weight`)],
        [diffusers.get(`unet.${path}.lora_A.weight`), diffusers.get(`unet.${path}.lora_B.weight`)],
        [
          peft.get(`base_model.model.${path}.lora_A.weight`),
          peft.get(`base_model.model.${path}.lora_B.weight`),
        ],
      ];
      for (const [down, up] of written) {
        expect(down?.shape, path).toEqual(downShape);
        expect(up?.shape, path).toEqual(upShape);
        expect(
          Buffer.from(down?.bytes ?? []).equals(
            Buffer.from(source.get(`${kname}.lora_down.weight`)?.bytes ?? []),
          ),
        ).toBe(true);
        expect(
          Buffer.from(up?.bytes ?? []).equals(
            Buffer.from(source.get(`${kname}.lora_up.weight`)?.bytes ?? []),
          ),
        ).toBe(true);
      }
    }
  });
});
