// Tests for convert.ts end to end on seeded fixtures: PEFT -> kohya -> PEFT is bit-exact in fp32,
// every module's up @ down * alpha / rank equals PEFT's B @ A * lora_alpha / r (alpha_pattern,
// rank_pattern, rsLoRA), DoRA magnitudes survive, diffusers output round-trips, outputs are never
// overwritten without asking.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToonloraError } from '../errors.js';
import { convertLora } from './convert.js';
import { float32ToFloat16Bits } from './float-convert.js';
import {
  makeLokrTensors,
  makePeftTensors,
  seededRandom,
  writeFixtureFile,
  writePeftFolder,
} from './lora-fixtures.js';
import { writeSafetensors } from './safetensors-write.js';
import { openLora } from './open-lora.js';
import { type ModuleScale, parsePeftConfig, peftModuleScale } from './peft-config.js';
import { openSafetensors } from './safetensors-read.js';
import { sd15AttentionModules } from './sd15-modules.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'toonlora-convert-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** All tensors of a file as Float32Arrays (or raw bytes for non-F32), by name. */
async function readAll(
  path: string,
): Promise<Map<string, { shape: readonly number[]; dtype: string; bytes: Uint8Array }>> {
  const reader = await openSafetensors(path);
  try {
    const out = new Map();
    for (const t of reader.header.tensors)
      out.set(t.name, { shape: t.shape, dtype: t.dtype, bytes: await reader.readTensor(t) });
    return out;
  } finally {
    await reader.close();
  }
}

const asF32 = (bytes: Uint8Array) => new Float32Array(bytes.slice().buffer);

/** (out x r) @ (r x in), float64 accumulation. */
function matmul(up: Float32Array, down: Float32Array, out: number, r: number, inF: number): Float64Array {
  const result = new Float64Array(out * inF);
  for (let o = 0; o < out; o++) {
    for (let k = 0; k < r; k++) {
      const u = up[o * r + k] as number;
      for (let i = 0; i < inF; i++)
        result[o * inF + i] = (result[o * inF + i] as number) + u * (down[k * inF + i] as number);
    }
  }
  return result;
}

function maxRelDiff(a: Float64Array, b: Float64Array): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(a[i] as number));
  }
  return worst / scale;
}

/** Checks every kohya module's delta against PEFT's for the same module. */
async function expectSameDeltas(
  peftFile: string,
  peftConfig: Record<string, unknown>,
  kohyaFile: string,
  modules: string[],
) {
  const peft = await readAll(peftFile);
  const kohya = await readAll(kohyaFile);
  const config = parsePeftConfig(peftConfig, 'adapter_config.json');
  for (const path of modules) {
    const a = peft.get(`base_model.model.${path}.lora_A.weight`);
    const b = peft.get(`base_model.model.${path}.lora_B.weight`);
    const name = `lora_unet_${path.replaceAll('.', '_')}`;
    const down = kohya.get(`${name}.lora_down.weight`);
    const up = kohya.get(`${name}.lora_up.weight`);
    const alphaBytes = kohya.get(`${name}.alpha`);
    if (!a || !b || !down || !up || !alphaBytes) throw new Error(`missing tensors for ${path}`);
    expect(alphaBytes.shape).toEqual([]);
    const [r, inF] = a.shape as [number, number];
    const out = b.shape[0] as number;
    const s: ModuleScale = peftModuleScale(config, path);
    const peftScale = config.use_rslora ? s.loraAlpha / Math.sqrt(s.rank) : s.loraAlpha / s.rank;
    const kohyaRank = down.shape[0] as number;
    const alpha = asF32(alphaBytes.bytes)[0] as number;
    const expected = matmul(asF32(b.bytes), asF32(a.bytes), out, r, inF).map((v) => v * peftScale);
    const actual = matmul(asF32(up.bytes), asF32(down.bytes), out, kohyaRank, inF).map(
      (v) => (v * alpha) / kohyaRank,
    );
    expect(maxRelDiff(expected, actual)).toBeLessThan(1e-6);
  }
}

describe('PEFT -> kohya -> PEFT', () => {
  // All 8 projections of one 320-channel attention plus a 768 -> 1280 cross-attention key: real shapes, fast matmuls.
  const modules = sd15AttentionModules().filter(
    (m) =>
      m.startsWith('down_blocks.0.attentions.0') ||
      m === 'mid_block.attentions.0.transformer_blocks.0.attn2.to_k',
  );

  it('rank 32 / alpha 16: deltas match and the round trip is bit-exact in fp32', async () => {
    const config = { r: 32, lora_alpha: 16 };
    await writePeftFolder(join(dir, 'r32'), makePeftTensors({ modules, rank: 32, seed: 7 }), config);
    const kohya = join(dir, 'r32.safetensors');
    const result = await convertLora({ input: join(dir, 'r32'), output: kohya });
    expect(result).toMatchObject({ from: 'peft', to: 'kohya', modules: modules.length });
    await expectSameDeltas(join(dir, 'r32', 'adapter_model.safetensors'), config, kohya, modules);
    const alpha = (await readAll(kohya)).get(
      `lora_unet_${(modules[0] as string).replaceAll('.', '_')}.alpha`,
    );
    expect(asF32(alpha?.bytes ?? new Uint8Array(4))[0]).toBe(16);

    await convertLora({ input: kohya, output: join(dir, 'r32-back'), to: 'peft' });
    const original = await readAll(join(dir, 'r32', 'adapter_model.safetensors'));
    const back = await readAll(join(dir, 'r32-back', 'adapter_model.safetensors'));
    expect([...back.keys()].sort()).toEqual([...original.keys()].sort());
    for (const [name, t] of original)
      expect(Buffer.compare(Buffer.from(back.get(name)?.bytes ?? []), Buffer.from(t.bytes))).toBe(0);
    const backConfig = JSON.parse(await readFile(join(dir, 'r32-back', 'adapter_config.json'), 'utf8'));
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
    await writePeftFolder(join(dir, 'pattern'), tensors, config);
    const kohya = join(dir, 'pattern.safetensors');
    await convertLora({ input: join(dir, 'pattern'), output: kohya });
    await expectSameDeltas(join(dir, 'pattern', 'adapter_model.safetensors'), config, kohya, modules);
    await convertLora({ input: kohya, output: join(dir, 'pattern-back'), to: 'peft' });
    const back = JSON.parse(await readFile(join(dir, 'pattern-back', 'adapter_config.json'), 'utf8'));
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
      join(dir, 'rs'),
      makePeftTensors({ modules: modules.slice(0, 3), rank: 16, seed: 3 }),
      config,
    );
    await convertLora({ input: join(dir, 'rs'), output: join(dir, 'rs.safetensors') });
    await expectSameDeltas(
      join(dir, 'rs', 'adapter_model.safetensors'),
      config,
      join(dir, 'rs.safetensors'),
      modules.slice(0, 3),
    );
  });

  it('DoRA: lora_magnitude_vector (out,) <-> dora_scale (out, 1), bytes unchanged', async () => {
    const config = { r: 4, lora_alpha: 4, use_dora: true };
    const tensors = makePeftTensors({ modules: modules.slice(0, 2), rank: 4, seed: 5, dora: true });
    await writePeftFolder(join(dir, 'dora'), tensors, config);
    await convertLora({ input: join(dir, 'dora'), output: join(dir, 'dora.safetensors') });
    const kohya = await readAll(join(dir, 'dora.safetensors'));
    const name = `lora_unet_${(modules[0] as string).replaceAll('.', '_')}`;
    const scale = kohya.get(`${name}.dora_scale`);
    expect(scale?.shape).toEqual([320, 1]);
    const magnitude = tensors.find((t) => t.name === `base_model.model.${modules[0]}.lora_magnitude_vector`);
    expect(asF32(scale?.bytes ?? new Uint8Array())).toEqual(magnitude?.data);
    await convertLora({ input: join(dir, 'dora.safetensors'), output: join(dir, 'dora-back'), to: 'peft' });
    const back = await readAll(join(dir, 'dora-back', 'adapter_model.safetensors'));
    expect(back.get(`base_model.model.${modules[0]}.lora_magnitude_vector`)?.shape).toEqual([320]);
    expect(JSON.parse(await readFile(join(dir, 'dora-back', 'adapter_config.json'), 'utf8')).use_dora).toBe(
      true,
    );
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
    await writePeftFolder(join(dir, 'pdora'), tensors, { r: 4, lora_alpha: 8, use_dora: true });
    const source = await readAll(join(dir, 'pdora', 'adapter_model.safetensors'));

    await convertLora({ input: join(dir, 'pdora'), output: join(dir, 'pdora-peft'), to: 'peft' });
    const peft = await readAll(join(dir, 'pdora-peft', 'adapter_model.safetensors'));
    expect([...peft.keys()].sort()).toEqual([...source.keys()].sort());
    for (const [name, tensor] of source) {
      expect(peft.get(name)?.shape, name).toEqual(tensor.shape);
      expect(peft.get(name)?.bytes, name).toEqual(tensor.bytes);
    }
    expect(JSON.parse(await readFile(join(dir, 'pdora-peft', 'adapter_config.json'), 'utf8')).use_dora).toBe(
      true,
    );

    await convertLora({
      input: join(dir, 'pdora'),
      output: join(dir, 'pdora.d.safetensors'),
      to: 'diffusers',
    });
    const diffusers = await readAll(join(dir, 'pdora.d.safetensors'));
    expect(diffusers.get(`unet.${modules[0]}.lora_magnitude_vector`)?.shape).toEqual([320]);
    expect(diffusers.get(`unet.${conv}.lora_magnitude_vector`)?.shape).toEqual([1, 320, 1, 1]);
    expect(diffusers.get(`unet.${conv}.lora_magnitude_vector`)?.bytes).toEqual(
      source.get(`base_model.model.${conv}.lora_magnitude_vector`)?.bytes,
    );
    // and kohya -> PEFT still turns dora_scale (out, 1, 1, 1) back into (1, out, 1, 1)
    await convertLora({ input: join(dir, 'pdora.d.safetensors'), output: join(dir, 'pdora.k.safetensors') });
    const kohya = await readAll(join(dir, 'pdora.k.safetensors'));
    expect(kohya.get(`lora_unet_${conv.replaceAll('.', '_')}.dora_scale`)?.shape).toEqual([320, 1, 1, 1]);
    await convertLora({
      input: join(dir, 'pdora.k.safetensors'),
      output: join(dir, 'pdora-back'),
      to: 'peft',
    });
    const back = await readAll(join(dir, 'pdora-back', 'adapter_model.safetensors'));
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
    await writePeftFolder(join(dir, 'pdora-bad'), tensors, { r: 4, lora_alpha: 8, use_dora: true });
    await expect(
      convertLora({
        input: join(dir, 'pdora-bad'),
        output: join(dir, 'pdora-bad.d.safetensors'),
        to: 'diffusers',
      }),
    ).rejects.toThrow(
      /module ".*attn1\.to_q": lora_magnitude_vector \[1,320\] is not PEFT's per-output-row shape \(\[320\] or \[1, 320, 1, 1\]\)/,
    );
  });
});

describe('diffusers format and precision', () => {
  const modules = sd15AttentionModules().slice(0, 4);

  it('writes unet.* lora_A/lora_B with lora_adapter_metadata, and reads it back with alpha', async () => {
    const config = { r: 4, lora_alpha: 2 };
    await writePeftFolder(join(dir, 'dsrc'), makePeftTensors({ modules, rank: 4, seed: 9 }), config);
    const out = join(dir, 'd.safetensors');
    await convertLora({ input: join(dir, 'dsrc'), output: out, to: 'diffusers' });
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
    const kohya = join(dir, 'meta-kohya.safetensors');
    await writePeftFolder(join(dir, 'msrc'), makePeftTensors({ modules, rank: 4, seed: 12 }), {
      r: 4,
      lora_alpha: 2,
    });
    await convertLora({
      input: join(dir, 'msrc'),
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
      const middle = join(dir, `meta.${to}`);
      await convertLora({ input: kohya, output: middle, to });
      const carried = await metadataOf(to === 'peft' ? join(middle, 'adapter_model.safetensors') : middle);
      expect(carried).toMatchObject({
        ss_output_name: 'héros',
        ss_tag_frequency: source.ss_tag_frequency,
        'modelspec.title': 'héros',
        'modelspec.trigger_phrase': 'sks',
      });
      expect(Object.keys(carried).filter((k) => k.startsWith('sshs_'))).toEqual([]);
      const back = join(dir, `meta.${to}.kohya.safetensors`);
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
    const path = join(dir, 'odd.safetensors');
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
    const out = join(dir, 'odd16.safetensors');
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
    const out = join(dir, 'half.safetensors');
    await convertLora({ input: join(dir, 'dsrc'), output: out, precision: 'fp16' });
    const all = await readAll(out);
    const dtypes = new Set([...all].filter(([n]) => !n.endsWith('.alpha')).map(([, t]) => t.dtype));
    expect(dtypes).toEqual(new Set(['F16']));
    expect([...all].filter(([n]) => n.endsWith('.alpha')).every(([, t]) => t.dtype === 'F32')).toBe(true);
  });
});

describe('--metadata-from on a file with its own kohya metadata', () => {
  const modules = sd15AttentionModules().slice(0, 2);
  const fileMetadata = {
    ss_network_module: 'networks.lora',
    ss_network_dim: '4',
    ss_network_alpha: '2.0',
    ss_output_name: 'mychar_v2',
    ss_tag_frequency: '{"10_mychar girl": {"mychar": 20, "1girl": 18}}',
    ss_dataset_dirs: '{"10_mychar girl": {"n_repeats": 10, "img_count": 20}}',
    ss_sd_model_name: 'anything-v5.safetensors',
    ss_learning_rate: '0.0001',
    ss_max_train_steps: '1600',
    ss_epoch: '8',
    ss_num_train_images: '200',
  };
  const metadataOf = async (path: string) => {
    const reader = await openSafetensors(path);
    await reader.close();
    return { ...reader.header.metadata };
  };

  it("keeps the file's keys, lays only the facts given over them, and invents no defaults", async () => {
    await writePeftFolder(join(dir, 'mf-src'), makePeftTensors({ modules, rank: 4, seed: 21 }), {
      r: 4,
      lora_alpha: 2,
    });
    const kohya = join(dir, 'mf-kohya.safetensors');
    await convertLora({ input: join(dir, 'mf-src'), output: kohya });
    // The file as downloaded: its own metadata (written over the converted tensors).
    const downloaded = join(dir, 'mf-downloaded.safetensors');
    const tensors = await readAll(kohya);
    await writeSafetensors(
      downloaded,
      [...tensors].map(([name, t]) => ({
        name,
        dtype: t.dtype as 'F32',
        shape: t.shape,
        chunks: () => [t.bytes],
      })),
      fileMetadata,
      { kohyaHashes: true },
    );
    const peftMiddle = join(dir, 'mf-middle.peft');
    await convertLora({ input: downloaded, output: peftMiddle, to: 'peft' });
    const trainingFacts = { outputName: 'newname', trigger: 'zzk' };
    // kohya -> kohya, and a PEFT folder carrying the kohya metadata -> kohya: the same result.
    for (const input of [downloaded, peftMiddle]) {
      const out = join(dir, `mf-out-${input === downloaded ? 'k' : 'p'}.safetensors`);
      await convertLora({ input, output: out, trainingFacts });
      const written = await metadataOf(out);
      expect(written, input).toMatchObject({
        ...fileMetadata,
        ss_output_name: 'newname',
        'modelspec.title': 'newname',
        'modelspec.trigger_phrase': 'zzk',
      });
      for (const key of [
        'ss_noise_offset',
        'ss_min_snr_gamma',
        'ss_mixed_precision',
        'ss_unet_lr',
        'ss_steps',
        'modelspec.date',
      ])
        expect(written[key], `${input}: ${key}`).toBeUndefined();
    }
  });

  it("a source without kohya metadata (a training run's adapter) gets the facts given and no schema default", async () => {
    await writePeftFolder(join(dir, 'mf-run'), makePeftTensors({ modules, rank: 4, seed: 22 }), {
      r: 4,
      lora_alpha: 2,
    });
    const out = join(dir, 'mf-run.safetensors');
    // a facts file that lacks most keys: no noiseOffset, epochs, snrGamma, numTrainImages, outputName, ...
    await convertLora({
      input: join(dir, 'mf-run'),
      output: out,
      trainingFacts: { steps: 300, trigger: 'sks' },
    });
    const written = await metadataOf(out);
    expect(written).toMatchObject({
      ss_steps: '300',
      'modelspec.trigger_phrase': 'sks',
      // kohya's ss_output_name is its file's name
      ss_output_name: 'mf-run',
      'modelspec.title': 'mf-run',
      ss_network_dim: '4',
      ss_network_alpha: '2.0',
      'modelspec.architecture': 'stable-diffusion-v1/lora',
    });
    for (const key of [
      'ss_noise_offset',
      'ss_epoch',
      'ss_num_train_images',
      'ss_min_snr_gamma',
      'ss_learning_rate',
      'ss_unet_lr',
      'ss_resolution',
      'modelspec.resolution',
      'ss_sd_model_name',
      'ss_clip_skip',
      'modelspec.encoder_layer',
      'ss_mixed_precision',
      'ss_gradient_checkpointing',
    ])
      expect(written[key], key).toBeUndefined();
  });

  it("a run folder's own kohya file (train's record) gives the facts the given file lacks", async () => {
    const run = join(dir, 'rec-run');
    await writePeftFolder(run, makePeftTensors({ modules, rank: 4, seed: 23 }), { r: 4, lora_alpha: 2 });
    // what train wrote: <run>/<run name>.safetensors with every fact of the run
    await convertLora({
      input: run,
      output: join(run, 'rec-run.safetensors'),
      trainingFacts: { outputName: 'rec-run', steps: 300, epochs: 3, noiseOffset: 0.05, trigger: 'sks' },
    });
    const out = join(dir, 'rec-out.safetensors');
    const result = await convertLora({ input: run, output: out, trainingFacts: { trigger: 'zzk' } });
    expect(result.warnings.filter((w) => w.startsWith('--metadata-from'))).toEqual([]);
    const written = await metadataOf(out);
    expect(written).toMatchObject({
      'modelspec.trigger_phrase': 'zzk',
      ss_output_name: 'rec-run',
      ss_steps: '300',
      ss_epoch: '3',
      ss_noise_offset: '0.05',
      ss_network_dim: '4',
    });
    // recorded only when the run recorded it: no default appears
    expect(written.ss_min_snr_gamma).toBeUndefined();
  });

  it('a LoKr run folder with partial facts gets no schema default either', async () => {
    const q = 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q';
    await writePeftFolder(
      join(dir, 'mf-lokr'),
      makeLokrTensors(
        [{ path: q, shapes: { lokr_w1: [16, 16], lokr_w2_a: [20, 4], lokr_w2_b: [4, 20] } }],
        3,
      ),
      { peft_type: 'LOKR', r: 4, alpha: 4, decompose_factor: -1, target_modules: ['to_q'] },
    );
    const out = join(dir, 'mf-lokr.safetensors');
    await convertLora({ input: join(dir, 'mf-lokr'), output: out, trainingFacts: { outputName: 'hero' } });
    const written = await metadataOf(out);
    expect(written).toMatchObject({ ss_output_name: 'hero', ss_network_module: 'lycoris.kohya' });
    for (const key of ['ss_noise_offset', 'ss_epoch', 'ss_steps', 'ss_min_snr_gamma'])
      expect(written[key], key).toBeUndefined();
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
    const input = join(dir, 'proj2d.safetensors');
    await writeFixtureFile(input, tensors);
    const source = await readAll(input);
    const outputs = {
      kohya: join(dir, 'proj2d.k.safetensors'),
      diffusers: join(dir, 'proj2d.d.safetensors'),
      peft: join(dir, 'proj2d.peft'),
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

describe('safety', () => {
  it('never overwrites an existing output without overwrite', async () => {
    const out = join(dir, 'exists.safetensors');
    await writeFile(out, 'user data');
    await writeFixtureFile(
      join(dir, 'src.safetensors'),
      makePeftTensors({ modules: sd15AttentionModules().slice(0, 1), rank: 2, seed: 1 }),
    );
    const attempt = convertLora({ input: join(dir, 'src.safetensors'), output: out });
    await expect(attempt).rejects.toThrow(ToonloraError);
    await expect(attempt).rejects.toMatchObject({ code: 'TL_ERR_OUTPUT_EXISTS' });
    expect(await readFile(out, 'utf8')).toBe('user data');
    await convertLora({ input: join(dir, 'src.safetensors'), output: out, overwrite: true });
    expect((await readAll(out)).size).toBe(3);
  });

  it('rejects a config whose rank disagrees with the tensors, naming the module', async () => {
    await writePeftFolder(
      join(dir, 'badrank'),
      makePeftTensors({ modules: sd15AttentionModules().slice(0, 1), rank: 4, seed: 1 }),
      { r: 8, lora_alpha: 8 },
    );
    await expect(
      convertLora({ input: join(dir, 'badrank'), output: join(dir, 'x.safetensors') }),
    ).rejects.toMatchObject({
      code: 'TL_ERR_LORA_FORMAT',
      message: expect.stringContaining('config gives rank 8'),
    });
  });

  it('writes kohya hashes: sshs_model_hash is the sha256 of the data section', async () => {
    const { createHash } = await import('node:crypto');
    const file = join(dir, 'r32.safetensors');
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
    await writePeftFolder(join(dir, 'legacy'), makePeftTensors({ modules: mid, rank: 64, seed: 13 }), {
      r: 64,
      lora_alpha: 32,
    });
    const file = join(dir, 'legacy.safetensors');
    // Training facts add modelspec.* keys, which kohya leaves out of the hashed file.
    await convertLora({
      input: join(dir, 'legacy'),
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
