// Tests for convert.ts end to end on seeded fixtures: PEFT -> kohya -> PEFT is bit-exact in fp32,
// every module's up @ down * alpha / rank equals PEFT's B @ A * lora_alpha / r (alpha_pattern,
// rank_pattern, rsLoRA), DoRA magnitudes survive, outputs are never overwritten without asking.
// Formats and precision in convert-formats.test.ts, --metadata-from in convert-metadata-from.test.ts;
// shared helpers in convert-testing.ts.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ToonloraError } from '../errors.js';
import { convertLora } from './convert.js';
import { asF32, expectSameDeltas, readAll } from './convert-testing.js';
import { makePeftTensors, seededRandom, writeFixtureFile, writePeftFolder } from './lora-fixtures.js';
import { openSafetensors } from './safetensors-read.js';
import { sd15AttentionModules } from './sd15-modules.js';
import { tempDirPerFile } from './temp-dir-testing.js';

const tempDir = tempDirPerFile('toonlora-convert-');

describe('PEFT -> kohya -> PEFT', () => {
  // All 8 projections of one 320-channel attention plus a 768 -> 1280 cross-attention key: real shapes, fast matmuls.
  const modules = sd15AttentionModules().filter(
    (m) =>
      m.startsWith('down_blocks.0.attentions.0') ||
      m === 'mid_block.attentions.0.transformer_blocks.0.attn2.to_k',
  );

  it('rank 32 / alpha 16: deltas match and the round trip is bit-exact in fp32', async () => {
    const config = { r: 32, lora_alpha: 16 };
    await writePeftFolder(join(tempDir(), 'r32'), makePeftTensors({ modules, rank: 32, seed: 7 }), config);
    const kohya = join(tempDir(), 'r32.safetensors');
    const result = await convertLora({ input: join(tempDir(), 'r32'), output: kohya });
    expect(result).toMatchObject({ from: 'peft', to: 'kohya', modules: modules.length });
    await expectSameDeltas(join(tempDir(), 'r32', 'adapter_model.safetensors'), config, kohya, modules);
    const alpha = (await readAll(kohya)).get(
      `lora_unet_${(modules[0] as string).replaceAll('.', '_')}.alpha`,
    );
    expect(asF32(alpha?.bytes ?? new Uint8Array(4))[0]).toBe(16);

    await convertLora({ input: kohya, output: join(tempDir(), 'r32-back'), to: 'peft' });
    const original = await readAll(join(tempDir(), 'r32', 'adapter_model.safetensors'));
    const back = await readAll(join(tempDir(), 'r32-back', 'adapter_model.safetensors'));
    expect([...back.keys()].sort()).toEqual([...original.keys()].sort());
    for (const [name, t] of original)
      expect(Buffer.compare(Buffer.from(back.get(name)?.bytes ?? []), Buffer.from(t.bytes))).toBe(0);
    const backConfig = JSON.parse(await readFile(join(tempDir(), 'r32-back', 'adapter_config.json'), 'utf8'));
    expect(backConfig).toMatchObject({
      r: 32,
      lora_alpha: 16,
      alpha_pattern: {},
      rank_pattern: {},
      use_rslora: false,
    });
  });

  it('alpha_pattern and rank_pattern: alpha is never assumed equal to rank', async () => {
    const special = modules[1] as string;
    const config = {
      r: 8,
      lora_alpha: 4,
      alpha_pattern: { [special]: 12 },
      rank_pattern: { [modules[2] as string]: 16 },
    };
    const tensors = makePeftTensors({ modules, rank: 8, ranks: { [modules[2] as string]: 16 }, seed: 11 });
    await writePeftFolder(join(tempDir(), 'pattern'), tensors, config);
    const kohya = join(tempDir(), 'pattern.safetensors');
    await convertLora({ input: join(tempDir(), 'pattern'), output: kohya });
    await expectSameDeltas(join(tempDir(), 'pattern', 'adapter_model.safetensors'), config, kohya, modules);
    await convertLora({ input: kohya, output: join(tempDir(), 'pattern-back'), to: 'peft' });
    const back = JSON.parse(await readFile(join(tempDir(), 'pattern-back', 'adapter_config.json'), 'utf8'));
    expect(back).toMatchObject({
      r: 8,
      lora_alpha: 4,
      alpha_pattern: { [special]: 12 },
      rank_pattern: { [modules[2] as string]: 16 },
    });
  });

  it('rsLoRA: kohya alpha = lora_alpha * sqrt(r) reproduces lora_alpha / sqrt(r)', async () => {
    const config = { r: 16, lora_alpha: 8, use_rslora: true };
    await writePeftFolder(
      join(tempDir(), 'rs'),
      makePeftTensors({ modules: modules.slice(0, 3), rank: 16, seed: 3 }),
      config,
    );
    await convertLora({ input: join(tempDir(), 'rs'), output: join(tempDir(), 'rs.safetensors') });
    await expectSameDeltas(
      join(tempDir(), 'rs', 'adapter_model.safetensors'),
      config,
      join(tempDir(), 'rs.safetensors'),
      modules.slice(0, 3),
    );
  });

  it('DoRA: lora_magnitude_vector (out,) <-> dora_scale (out, 1), bytes unchanged', async () => {
    const config = { r: 4, lora_alpha: 4, use_dora: true };
    const tensors = makePeftTensors({ modules: modules.slice(0, 2), rank: 4, seed: 5, dora: true });
    await writePeftFolder(join(tempDir(), 'dora'), tensors, config);
    await convertLora({ input: join(tempDir(), 'dora'), output: join(tempDir(), 'dora.safetensors') });
    const kohya = await readAll(join(tempDir(), 'dora.safetensors'));
    const name = `lora_unet_${(modules[0] as string).replaceAll('.', '_')}`;
    const scale = kohya.get(`${name}.dora_scale`);
    expect(scale?.shape).toEqual([320, 1]);
    const magnitude = tensors.find((t) => t.name === `base_model.model.${modules[0]}.lora_magnitude_vector`);
    expect(asF32(scale?.bytes ?? new Uint8Array())).toEqual(magnitude?.data);
    await convertLora({
      input: join(tempDir(), 'dora.safetensors'),
      output: join(tempDir(), 'dora-back'),
      to: 'peft',
    });
    const back = await readAll(join(tempDir(), 'dora-back', 'adapter_model.safetensors'));
    expect(back.get(`base_model.model.${modules[0]}.lora_magnitude_vector`)?.shape).toEqual([320]);
    expect(
      JSON.parse(await readFile(join(tempDir(), 'dora-back', 'adapter_config.json'), 'utf8')).use_dora,
    ).toBe(true);
  });
});

describe('PEFT DoRA to PEFT / diffusers', () => {
  const modules = sd15AttentionModules().slice(0, 2);
  const conv = 'down_blocks.0.resnets.0.conv1';

  it("keeps PEFT's own magnitude shapes, (out,) and (1, out, 1, 1), instead of refusing them as kohya shapes", async () => {
    const random = seededRandom(8);
    const fill = (n: number) => Float32Array.from({ length: n }, () => 1 + Math.abs(random()));
    const convTensors = [
      {
        name: `base_model.model.${conv}.lora_A.weight`,
        dtype: 'F32' as const,
        shape: [4, 320, 3, 3],
        data: fill(4 * 320 * 9),
      },
      {
        name: `base_model.model.${conv}.lora_B.weight`,
        dtype: 'F32' as const,
        shape: [320, 4, 1, 1],
        data: fill(320 * 4),
      },
      {
        name: `base_model.model.${conv}.lora_magnitude_vector`,
        dtype: 'F32' as const,
        shape: [1, 320, 1, 1],
        data: fill(320),
      },
    ];
    const tensors = [...makePeftTensors({ modules, rank: 4, seed: 6, dora: true }), ...convTensors];
    await writePeftFolder(join(tempDir(), 'pdora'), tensors, { r: 4, lora_alpha: 8, use_dora: true });
    const source = await readAll(join(tempDir(), 'pdora', 'adapter_model.safetensors'));

    await convertLora({ input: join(tempDir(), 'pdora'), output: join(tempDir(), 'pdora-peft'), to: 'peft' });
    const peft = await readAll(join(tempDir(), 'pdora-peft', 'adapter_model.safetensors'));
    expect([...peft.keys()].sort()).toEqual([...source.keys()].sort());
    for (const [name, tensor] of source) {
      expect(peft.get(name)?.shape, name).toEqual(tensor.shape);
      expect(peft.get(name)?.bytes, name).toEqual(tensor.bytes);
    }
    expect(
      JSON.parse(await readFile(join(tempDir(), 'pdora-peft', 'adapter_config.json'), 'utf8')).use_dora,
    ).toBe(true);

    await convertLora({
      input: join(tempDir(), 'pdora'),
      output: join(tempDir(), 'pdora.d.safetensors'),
      to: 'diffusers',
    });
    const diffusers = await readAll(join(tempDir(), 'pdora.d.safetensors'));
    expect(diffusers.get(`unet.${modules[0]}.lora_magnitude_vector`)?.shape).toEqual([320]);
    expect(diffusers.get(`unet.${conv}.lora_magnitude_vector`)?.shape).toEqual([1, 320, 1, 1]);
    expect(diffusers.get(`unet.${conv}.lora_magnitude_vector`)?.bytes).toEqual(
      source.get(`base_model.model.${conv}.lora_magnitude_vector`)?.bytes,
    );
    // and kohya -> PEFT still turns dora_scale (out, 1, 1, 1) back into (1, out, 1, 1)
    await convertLora({
      input: join(tempDir(), 'pdora.d.safetensors'),
      output: join(tempDir(), 'pdora.k.safetensors'),
    });
    const kohya = await readAll(join(tempDir(), 'pdora.k.safetensors'));
    expect(kohya.get(`lora_unet_${conv.replaceAll('.', '_')}.dora_scale`)?.shape).toEqual([320, 1, 1, 1]);
    await convertLora({
      input: join(tempDir(), 'pdora.k.safetensors'),
      output: join(tempDir(), 'pdora-back'),
      to: 'peft',
    });
    const back = await readAll(join(tempDir(), 'pdora-back', 'adapter_model.safetensors'));
    expect(back.get(`base_model.model.${conv}.lora_magnitude_vector`)?.shape).toEqual([1, 320, 1, 1]);
  });

  it('refuses a PEFT magnitude of neither shape, naming the module and the shapes it expects', async () => {
    const tensors = makePeftTensors({ modules: modules.slice(0, 1), rank: 4, seed: 7 });
    tensors.push({
      name: `base_model.model.${modules[0]}.lora_magnitude_vector`,
      dtype: 'F32',
      shape: [1, 320],
      data: new Float32Array(320).fill(1),
    });
    await writePeftFolder(join(tempDir(), 'pdora-bad'), tensors, { r: 4, lora_alpha: 8, use_dora: true });
    await expect(
      convertLora({
        input: join(tempDir(), 'pdora-bad'),
        output: join(tempDir(), 'pdora-bad.d.safetensors'),
        to: 'diffusers',
      }),
    ).rejects.toThrow(
      /module ".*attn1\.to_q": lora_magnitude_vector \[1,320\] is not PEFT's per-output-row shape \(\[320\] or \[1, 320, 1, 1\]\)/,
    );
  });
});

describe('safety', () => {
  it('never overwrites an existing output without overwrite', async () => {
    const out = join(tempDir(), 'exists.safetensors');
    await writeFile(out, 'user data');
    await writeFixtureFile(
      join(tempDir(), 'src.safetensors'),
      makePeftTensors({ modules: sd15AttentionModules().slice(0, 1), rank: 2, seed: 1 }),
    );
    const attempt = convertLora({ input: join(tempDir(), 'src.safetensors'), output: out });
    await expect(attempt).rejects.toThrow(ToonloraError);
    await expect(attempt).rejects.toMatchObject({ code: 'TL_ERR_OUTPUT_EXISTS' });
    expect(await readFile(out, 'utf8')).toBe('user data');
    await convertLora({ input: join(tempDir(), 'src.safetensors'), output: out, overwrite: true });
    expect((await readAll(out)).size).toBe(3);
  });

  it('rejects a config whose rank disagrees with the tensors, naming the module', async () => {
    await writePeftFolder(
      join(tempDir(), 'badrank'),
      makePeftTensors({ modules: sd15AttentionModules().slice(0, 1), rank: 4, seed: 1 }),
      { r: 8, lora_alpha: 8 },
    );
    await expect(
      convertLora({ input: join(tempDir(), 'badrank'), output: join(tempDir(), 'x.safetensors') }),
    ).rejects.toMatchObject({
      code: 'TL_ERR_LORA_FORMAT',
      message: expect.stringContaining('config gives rank 8'),
    });
  });

  it('writes kohya hashes: sshs_model_hash is the sha256 of the data section', async () => {
    const { createHash } = await import('node:crypto');
    const file = join(tempDir(), 'r32.safetensors');
    const bytes = await readFile(file);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const reader = await openSafetensors(file);
    const meta = reader.header.metadata;
    await reader.close();
    expect(meta.sshs_model_hash).toBe(
      createHash('sha256')
        .update(bytes.subarray(8 + headerLength))
        .digest('hex'),
    );
    expect(meta.sshs_legacy_hash).toMatch(/^[0-9a-f]{8}$/);
  });

  it('sshs_legacy_hash of a > 1.1 MB file matches kohya addnet_hash_legacy, computed here from the bytes', async () => {
    const { createHash } = await import('node:crypto');
    // 3 mid-block modules at rank 64: about 2 MB of data, so the 0x100000..0x110000 window is full.
    const mid = sd15AttentionModules()
      .filter((m) => m.startsWith('mid_block.'))
      .slice(0, 3);
    await writePeftFolder(join(tempDir(), 'legacy'), makePeftTensors({ modules: mid, rank: 64, seed: 13 }), {
      r: 64,
      lora_alpha: 32,
    });
    const file = join(tempDir(), 'legacy.safetensors');
    // Training facts add modelspec.* keys, which kohya leaves out of the hashed file.
    await convertLora({
      input: join(tempDir(), 'legacy'),
      output: file,
      trainingFacts: { outputName: 'legacy', trigger: 'sks', steps: 10 },
    });
    const bytes = await readFile(file);
    expect(bytes.byteLength).toBeGreaterThan(0x110000);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const { __metadata__: metadata, ...tensors } = JSON.parse(bytes.subarray(8, 8 + headerLength).toString());
    expect(Object.keys(metadata).some((k) => k.startsWith('modelspec.'))).toBe(true);
    // sd-scripts precalculate_safetensors_hashes: the file saved with only the ss_* metadata keys
    // (safetensors layout: u64 length, compact JSON header padded with spaces to a multiple of 8,
    // then the same data in this file's tensor order); addnet_hash_legacy = first 8 hex of the
    // sha256 of bytes 0x100000..0x110000 of that. (Python safetensors 0.8 writes its header in
    // this same compact form; checked once.)
    const ssOnly = Object.fromEntries(Object.entries(metadata).filter(([k]) => k.startsWith('ss_')));
    const json = JSON.stringify({ __metadata__: ssOnly, ...tensors });
    const padded = Buffer.from(json.padEnd(Math.ceil(Buffer.byteLength(json) / 8) * 8, ' '));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(padded.byteLength));
    const saved = Buffer.concat([length, padded, bytes.subarray(8 + headerLength)]);
    const legacy = (b: Buffer) =>
      createHash('sha256').update(b.subarray(0x100000, 0x110000)).digest('hex').slice(0, 8);
    expect(metadata.sshs_legacy_hash).toBe(legacy(saved));
    // The window really moves with the header: hashing this file's own bytes gives another value.
    expect(legacy(bytes)).not.toBe(legacy(saved));
  });
});
