// Tests for convert's refusals and warnings: unknown tensors (LoCon lora_mid, LyCORIS diff, PEFT biases,
// modules_to_save) refused or dropped with --drop-unknown, SDXL files refused by name even then,
// --overwrite of a PEFT folder never deletes the user's files, typed errors for a missing parent
// folder / a folder as file output / an empty alpha / a rank-0 module / a PEFT folder holding only
// adapter_model.bin, F64 converted by --precision with fp16 overflow counted, NaN / Inf values
// warned about, DoRA metadata without training facts, and --metadata-from for non-kohya outputs.
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { loraFileForDiffusers } from './diffusers-copy.js';
import { float32ToFloat16Bits } from './float-convert.js';
import { makePeftTensors, seededRandom, writePeftFolder } from './lora-fixtures.js';
import { openLora } from './open-lora.js';
import type { Dtype } from './safetensors-format.js';
import { openSafetensors } from './safetensors-read.js';
import { writeSafetensors } from './safetensors-write.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'toonlora-convert-safety-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface RawTensor {
  name: string;
  dtype: Dtype;
  shape: number[];
  bytes: Uint8Array;
}

const f32 = (values: ArrayLike<number>) => new Uint8Array(Float32Array.from(values).buffer);
const random = seededRandom(99);
const randomF32 = (n: number) => f32(Array.from({ length: n }, () => random() * 0.1));

async function writeRaw(path: string, tensors: RawTensor[], metadata: Record<string, string> = {}) {
  await writeSafetensors(
    path,
    tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, chunks: () => [t.bytes] })),
    metadata,
    { overwrite: true },
  );
}

const Q = 'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q';
const CONV = 'lora_unet_down_blocks_0_resnets_0_conv1';

/** A kohya to_q module (rank 4, 320 -> 320) with alpha 2. */
function kohyaQ(extra: Partial<Record<'down' | 'up', Uint8Array>> = {}): RawTensor[] {
  return [
    { name: `${Q}.lora_down.weight`, dtype: 'F32', shape: [4, 320], bytes: extra.down ?? randomF32(1280) },
    { name: `${Q}.lora_up.weight`, dtype: 'F32', shape: [320, 4], bytes: extra.up ?? randomF32(1280) },
    { name: `${Q}.alpha`, dtype: 'F32', shape: [], bytes: f32([2]) },
  ];
}

/** to_q plus a LoCon conv module with a lora_mid and a LyCORIS full-weight difference (diff, diff_b). */
function loconTensors(): RawTensor[] {
  const k = 'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_k';
  return [
    ...kohyaQ(),
    { name: `${CONV}.lora_down.weight`, dtype: 'F32', shape: [4, 320, 1, 1], bytes: randomF32(1280) },
    { name: `${CONV}.lora_mid.weight`, dtype: 'F32', shape: [4, 4, 3, 3], bytes: randomF32(144) },
    { name: `${CONV}.lora_up.weight`, dtype: 'F32', shape: [320, 4, 1, 1], bytes: randomF32(1280) },
    { name: `${CONV}.alpha`, dtype: 'F32', shape: [], bytes: f32([1]) },
    { name: `${k}.diff`, dtype: 'F32', shape: [320, 320], bytes: randomF32(320 * 320) },
    { name: `${k}.diff_b`, dtype: 'F32', shape: [320], bytes: randomF32(320) },
  ];
}

async function tensorNames(path: string): Promise<string[]> {
  const reader = await openSafetensors(path);
  await reader.close();
  return reader.header.tensors.map((t) => t.name).sort();
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe('tensors convert does not understand', () => {
  it('refuses a LoCon / LyCORIS diff file naming the keys and what they are, writing nothing', async () => {
    const input = join(dir, 'locon.safetensors');
    await writeRaw(input, loconTensors());
    const out = join(dir, 'locon-out.safetensors');
    const attempt = convertLora({ input, output: out });
    await expect(attempt).rejects.toMatchObject({ code: 'TL_ERR_LORA_FORMAT' });
    const message = await attempt.catch((e: Error) => e.message);
    expect(message).toContain(
      `"${CONV}.lora_mid.weight" (LoCon/LyCORIS mid weights (lora_mid) are not supported)`,
    );
    expect(message).toContain('LyCORIS full-weight differences (diff)');
    expect(message).toContain('3 tensor(s)');
    expect(message).toContain('--drop-unknown');
    expect(await exists(out)).toBe(false);
  });

  it('--drop-unknown drops them and never writes a module without its lora_mid', async () => {
    const input = join(dir, 'locon.safetensors');
    const out = join(dir, 'locon-dropped.safetensors');
    const result = await convertLora({ input, output: out, dropUnknown: true });
    expect(result.modules).toBe(1);
    expect(await tensorNames(out)).toEqual([`${Q}.alpha`, `${Q}.lora_down.weight`, `${Q}.lora_up.weight`]);
    const warning = result.warnings.find((w) => w.startsWith('--drop-unknown'));
    expect(warning).toContain('dropped 3 unknown key(s) and 1 module(s)');
    // ... and names what it dropped
    expect(warning).toContain(`"${CONV}.lora_mid.weight"`);
    expect(warning).toContain('_attn1_to_k.diff_b"');
  });

  it('--drop-unknown warns only about the modules it writes (no .alpha count of dropped ones)', async () => {
    const input = join(dir, 'locon-no-alpha.safetensors');
    const withoutAlpha = (tensors: RawTensor[], name: string) => tensors.filter((t) => t.name !== name);
    await writeRaw(input, withoutAlpha(loconTensors(), `${CONV}.alpha`));
    const out = join(dir, 'locon-no-alpha-out.safetensors');
    const result = await convertLora({ input, output: out, dropUnknown: true });
    expect(result.modules).toBe(1);
    expect(result.warnings.join(' ')).not.toContain('have no .alpha tensor');
    const bothBare = join(dir, 'locon-bare.safetensors');
    await writeRaw(bothBare, withoutAlpha(withoutAlpha(loconTensors(), `${CONV}.alpha`), `${Q}.alpha`));
    const bare = await convertLora({
      input: bothBare,
      output: join(dir, 'bare-out.safetensors'),
      dropUnknown: true,
    });
    expect(bare.warnings).toContain(
      '1 module(s) have no .alpha tensor: loaders then use scale 1.0 (alpha = rank).',
    );
  });

  it('refuses PEFT lora_B biases and modules_to_save', async () => {
    const tensors = makePeftTensors({
      modules: ['down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q'],
      rank: 4,
      seed: 2,
    });
    tensors.push(
      {
        name: 'base_model.model.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_B.bias',
        dtype: 'F32',
        shape: [320],
        data: new Float32Array(320),
      },
      {
        name: 'base_model.model.conv_in.modules_to_save.default.weight',
        dtype: 'F32',
        shape: [4],
        data: new Float32Array(4),
      },
    );
    await writePeftFolder(join(dir, 'peft-extra'), tensors, { r: 4, lora_alpha: 4 });
    const attempt = convertLora({ input: join(dir, 'peft-extra'), output: join(dir, 'pe.safetensors') });
    await expect(attempt).rejects.toMatchObject({ code: 'TL_ERR_LORA_FORMAT' });
    const message = await attempt.catch((e: Error) => e.message);
    expect(message).toContain('PEFT LoRA biases (lora_bias=True) are not supported');
    expect(message).toContain('PEFT modules_to_save (fully trained modules) are not supported');
    const dropped = await convertLora({
      input: join(dir, 'peft-extra'),
      output: join(dir, 'pe.safetensors'),
      dropUnknown: true,
    });
    expect(dropped.warnings.some((w) => w.includes('dropped 2 unknown key(s)'))).toBe(true);
    expect(await tensorNames(join(dir, 'pe.safetensors'))).toHaveLength(3);
  });
});

describe('modules_to_save as PEFT saves it, in convert and generate', () => {
  // PEFT writes a modules_to_save module's own weights as `base_model.model.conv_in.weight` (no
  // `modules_to_save.` level): named as such, and only convert's error offers --drop-unknown.
  async function mtsFolder(): Promise<string> {
    const folder = join(dir, 'peft-mts');
    const tensors = makePeftTensors({
      modules: ['down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q'],
      rank: 4,
      seed: 2,
    });
    tensors.push({
      name: 'base_model.model.conv_in.weight',
      dtype: 'F32',
      shape: [4],
      data: new Float32Array(4),
    });
    await writePeftFolder(folder, tensors, { r: 4, lora_alpha: 4, modules_to_save: ['conv_in'] });
    return folder;
  }

  it('convert names the folder as given, says modules_to_save and offers --drop-unknown', async () => {
    const folder = await mtsFolder();
    const attempt = convertLora({ input: folder, output: join(dir, 'mts.safetensors') });
    const message = await attempt.catch((e: Error) => e.message);
    expect(message).toMatch(
      new RegExp(`^${folder.replaceAll('.', '\\.')}: 1 tensor\\(s\\) convert does not understand`),
    );
    expect(message).toContain(
      '"base_model.model.conv_in.weight" (a whole module weight: PEFT modules_to_save',
    );
    expect(message).toContain('Pass --drop-unknown');
  });

  it('generate names the folder and the convert command that drops them, not a flag generate lacks', async () => {
    const folder = await mtsFolder();
    const attempt = loraFileForDiffusers(folder, join(dir, 'mts-cache'));
    await expect(attempt).rejects.toMatchObject({ code: 'TL_ERR_LORA_FORMAT' });
    const message = await attempt.then(
      () => '',
      (e: Error) => e.message,
    );
    expect(
      message.startsWith(`${folder}: 1 tensor(s) toonlora cannot apply: "base_model.model.conv_in.weight"`),
    ).toBe(true);
    expect(message).toContain('modules_to_save');
    expect(message).toContain(
      `\`toonlora convert ${folder} --to diffusers --drop-unknown -o <copy>.safetensors\``,
    );
    expect(message).not.toContain('Pass --drop-unknown');
  });
});

describe('--overwrite of a PEFT output folder', () => {
  it("never deletes the user's own files, and replaces a folder of adapter files only", async () => {
    const input = join(dir, 'q.safetensors');
    await writeRaw(input, kohyaQ());
    const out = join(dir, 'adapter-out');
    await convertLora({ input, output: out, to: 'peft' });
    await mkdir(join(out, 'text_encoder'));
    await writeFile(join(out, 'text_encoder', 'adapter_config.json'), '{}');
    // Only adapter files (text_encoder/ included): replaced.
    await convertLora({ input, output: out, to: 'peft', overwrite: true });
    expect((await readdir(out)).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);

    await writeFile(join(out, 'notes.txt'), 'my notes');
    const attempt = convertLora({ input, output: out, to: 'peft', overwrite: true });
    await expect(attempt).rejects.toMatchObject({
      code: 'TL_ERR_OUTPUT_EXISTS',
      message: expect.stringContaining('notes.txt'),
    });
    expect(await readFile(join(out, 'notes.txt'), 'utf8')).toBe('my notes');

    await rm(join(out, 'notes.txt'));
    await mkdir(join(out, 'text_encoder'));
    await writeFile(join(out, 'text_encoder', 'mine.png'), 'x');
    await expect(convertLora({ input, output: out, to: 'peft', overwrite: true })).rejects.toMatchObject({
      code: 'TL_ERR_OUTPUT_EXISTS',
      message: expect.stringContaining('text_encoder/mine.png'),
    });
    expect(await readFile(join(out, 'text_encoder', 'mine.png'), 'utf8')).toBe('x');
    expect(await exists(join(out, 'adapter_model.safetensors'))).toBe(true);
  });
});

describe('typed errors instead of crashes', () => {
  it('a missing parent folder is TL_ERR_USAGE naming it', async () => {
    const input = join(dir, 'q.safetensors');
    await writeRaw(input, kohyaQ());
    const missing = join(dir, 'no-such-folder');
    for (const to of ['kohya', 'peft'] as const) {
      await expect(convertLora({ input, output: join(missing, 'x.safetensors'), to })).rejects.toMatchObject({
        code: 'TL_ERR_USAGE',
        message: expect.stringContaining(missing),
      });
    }
    expect(await exists(missing)).toBe(false);
  });

  it('an existing folder as a file output is TL_ERR_USAGE, even with --overwrite, and stays untouched', async () => {
    const input = join(dir, 'q.safetensors');
    const folder = join(dir, 'a-folder');
    await mkdir(folder);
    await writeFile(join(folder, 'keep.txt'), 'keep');
    // The first answer already says what is wrong (not "Pass --overwrite", which then fails too).
    for (const overwrite of [false, true]) {
      const attempt = convertLora({ input, output: folder, to: 'diffusers', overwrite });
      await expect(attempt).rejects.toMatchObject({
        code: 'TL_ERR_USAGE',
        message: expect.stringContaining('is a folder, but this format is written as one .safetensors file'),
      });
      expect(await attempt.catch((e: Error) => e.message)).not.toContain('--overwrite');
    }
    expect(await readdir(folder)).toEqual(['keep.txt']);
  });

  it('a rank-0 module is named as such, not as a rank mismatch', async () => {
    const input = join(dir, 'rank0.safetensors');
    const tensors = kohyaQ();
    tensors[0] = { name: `${Q}.lora_down.weight`, dtype: 'F32', shape: [0, 320], bytes: new Uint8Array(0) };
    tensors[1] = { name: `${Q}.lora_up.weight`, dtype: 'F32', shape: [320, 0], bytes: new Uint8Array(0) };
    await writeRaw(input, tensors);
    const attempt = convertLora({ input, output: join(dir, 'rank0-out.safetensors') });
    await expect(attempt).rejects.toMatchObject({
      code: 'TL_ERR_LORA_FORMAT',
      message: expect.stringContaining('has rank 0 (shapes [0,320] / [320,0]): an empty LoRA module'),
    });
    expect(await attempt.catch((e: Error) => e.message)).not.toContain('expects');
  });

  it('a PEFT folder with only adapter_model.bin says the pickle is not read and how to re-save it', async () => {
    const folder = join(dir, 'bin-only');
    await mkdir(folder);
    await writeFile(join(folder, 'adapter_model.bin'), 'PK\x03\x04');
    await writeFile(join(folder, 'adapter_config.json'), '{"peft_type": "LORA"}');
    const attempt = convertLora({ input: folder, output: join(dir, 'bin-out.safetensors') });
    await expect(attempt).rejects.toMatchObject({ code: 'TL_ERR_INPUT_NOT_FOUND' });
    const message = await attempt.catch((e: Error) => e.message);
    expect(message).toContain('has adapter_model.bin but no adapter_model.safetensors');
    expect(message).toContain('does not read the .bin (a PyTorch pickle');
    expect(message).toContain('save_pretrained(out, safe_serialization=True)');
    // An empty folder keeps the plain message.
    await mkdir(join(dir, 'empty-adapter'));
    await expect(
      convertLora({ input: join(dir, 'empty-adapter'), output: join(dir, 'e.safetensors') }),
    ).rejects.toMatchObject({ message: expect.stringContaining('folder has no adapter_model.safetensors.') });
  });

  it('an alpha holding no element is TL_ERR_LORA_FORMAT naming the tensor', async () => {
    const input = join(dir, 'alpha0.safetensors');
    const tensors = kohyaQ();
    tensors[2] = { name: `${Q}.alpha`, dtype: 'F32', shape: [0], bytes: new Uint8Array(0) };
    await writeRaw(input, tensors);
    const expected = {
      code: 'TL_ERR_LORA_FORMAT',
      message: expect.stringContaining(`"${Q}.alpha" has shape [0]`),
    };
    await expect(openLora(input)).rejects.toMatchObject(expected);
    await expect(convertLora({ input, output: join(dir, 'a0.safetensors') })).rejects.toMatchObject(expected);
    tensors[2] = { name: `${Q}.alpha`, dtype: 'F32', shape: [2], bytes: f32([1, 2]) };
    await writeRaw(input, tensors);
    await expect(openLora(input)).rejects.toMatchObject({ code: 'TL_ERR_LORA_FORMAT' });
  });
});

describe('--precision', () => {
  it('converts F64 tensors too (as torch: double -> float -> half)', async () => {
    const down = Float64Array.from({ length: 1280 }, (_, i) => (i - 640) / 3000 + 1e-9);
    const up = Float64Array.from({ length: 1280 }, (_, i) => Math.sin(i) / 7);
    const input = join(dir, 'f64.safetensors');
    await writeRaw(input, [
      { name: `${Q}.lora_down.weight`, dtype: 'F64', shape: [4, 320], bytes: new Uint8Array(down.buffer) },
      { name: `${Q}.lora_up.weight`, dtype: 'F64', shape: [320, 4], bytes: new Uint8Array(up.buffer) },
      { name: `${Q}.alpha`, dtype: 'F64', shape: [], bytes: new Uint8Array(Float64Array.of(2).buffer) },
    ]);
    const out = join(dir, 'f64-16.safetensors');
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
    const input = join(dir, 'huge.safetensors');
    await writeRaw(input, kohyaQ({ down: f32(down) }));
    const half = await convertLora({ input, output: join(dir, 'huge16.safetensors'), precision: 'fp16' });
    expect(half.warnings).toContain(
      '13 value(s) overflowed to ±Inf in fp16; use bf16 or fp32 (--precision) to keep them.',
    );
    const bf = await convertLora({ input, output: join(dir, 'hugebf.safetensors'), precision: 'bf16' });
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
    const input = join(dir, 'dora-in.safetensors');
    await writeRaw(input, [...kohyaQ(), dora([320, 1])]);
    const out = join(dir, 'dora-out.safetensors');
    await convertLora({ input, output: out });
    const reader = await openSafetensors(out);
    await reader.close();
    expect(reader.header.metadata.ss_network_module).toBe('lycoris.kohya');
    expect(JSON.parse(reader.header.metadata.ss_network_args ?? '{}')).toMatchObject({ dora_wd: 'True' });
  });

  it('the DoRA warning names the axis the dora_scale shape gives', async () => {
    const rows = join(dir, 'dora-rows.safetensors');
    const cols = join(dir, 'dora-cols.safetensors');
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
    const input = join(dir, 'q.safetensors');
    const trainingFacts = { outputName: 'hero', steps: 10 };
    const peft = await convertLora({ input, output: join(dir, 'meta-peft'), to: 'peft', trainingFacts });
    expect(peft.warnings.some((w) => w.startsWith('--metadata-from') && w.includes('--to peft'))).toBe(true);
    const diffusers = await convertLora({
      input,
      output: join(dir, 'meta-d.safetensors'),
      to: 'diffusers',
      trainingFacts,
    });
    expect(diffusers.warnings.some((w) => w.includes('--to diffusers it was ignored'))).toBe(true);
    const kohya = await convertLora({ input, output: join(dir, 'meta-k.safetensors'), trainingFacts });
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
    const input = join(dir, 'sdxl.safetensors');
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
      const out = join(dir, `sdxl-${dropUnknown}.safetensors`);
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
      const input = join(dir, `sdxl-${name}.safetensors`);
      await writeRaw(input, tensors, metadata);
      await expect(
        convertLora({ input, output: join(dir, `sdxl-${name}-out.safetensors`), dropUnknown: true }),
        name,
      ).rejects.toMatchObject({
        code: 'TL_ERR_LORA_FORMAT',
        message: expect.stringContaining('is an SDXL LoRA'),
      });
    }
    // An SD1.5 file with SD1.5 metadata converts as before.
    const sd15 = join(dir, 'sd15-meta.safetensors');
    await writeRaw(sd15, kohyaQ(), {
      ss_base_model_version: 'sd_v1',
      'modelspec.architecture': 'stable-diffusion-v1/lora',
    });
    await expect(
      convertLora({ input: sd15, output: join(dir, 'sd15-out.safetensors') }),
    ).resolves.toMatchObject({
      modules: 1,
    });
  });
});

describe('NaN / Inf values', () => {
  it('warns naming the count and a tensor, for every output format and with --precision', async () => {
    const input = join(dir, 'nan.safetensors');
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
        output: join(dir, `nan-${to}${to === 'peft' ? '' : '.safetensors'}`),
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
    const clean = join(dir, 'clean.safetensors');
    await writeRaw(clean, kohyaQ());
    const result = await convertLora({ input: clean, output: join(dir, 'clean-out.safetensors') });
    expect(result.warnings.some((w) => w.includes('NaN'))).toBe(false);
  });
});
