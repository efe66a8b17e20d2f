// Tests for inspect.ts and open-lora.ts on seeded fixtures: format, rank / alpha / scale per module,
// per-block counts, metadata tags, loader verdicts, and the errors for bad inputs.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { inspectLora } from './inspect.js';
import { formatInspection } from './inspect-text.js';
import { makePeftTensors, writeFixtureFile, writePeftFolder } from './lora-fixtures.js';
import { sd15AttentionModules } from './sd15-modules.js';
import { writeSafetensors } from './safetensors-write.js';

let dir: string;
const modules = sd15AttentionModules().filter(
  (m) => m.startsWith('down_blocks.0.') || m.startsWith('mid_block.'),
);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'toonlora-inspect-'));
  await writePeftFolder(join(dir, 'peft'), makePeftTensors({ modules, rank: 4, seed: 2 }), {
    r: 4,
    lora_alpha: 2,
    alpha_pattern: { 'mid_block.attentions.0.transformer_blocks.0.attn1.to_q': 8 },
  });
  await convertLora({
    input: join(dir, 'peft'),
    output: join(dir, 'kohya.safetensors'),
    trainingFacts: {
      outputName: 'hero',
      trigger: 'sks',
      baseModel: `someone/toon-sd15@${'c'.repeat(40)}`,
      captionsByFolder: { '10_sks girl': ['sks, smile', 'sks, red hair'] },
    },
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('inspectLora', () => {
  it('reports a converted kohya file fully', async () => {
    const result = await inspectLora(join(dir, 'kohya.safetensors'));
    expect(result.format).toBe('kohya');
    expect(result.modules).toHaveLength(modules.length);
    expect(result.modulesPerBlock).toEqual({ 'down_blocks.0': 16, mid_block: 8 });
    expect(result.ranks).toEqual([4]);
    expect(result.alphas).toEqual([2, 8]);
    const special = result.modules.find(
      (m) => m.path === 'mid_block.attentions.0.transformer_blocks.0.attn1.to_q',
    );
    expect(special).toMatchObject({ alpha: 8, scale: 2, alphaSource: 'tensor', sd15: true });
    expect(result.dtypes).toEqual({ F32: modules.length * 3 });
    expect(result.trigger).toBe('sks');
    expect(result.topTags[0]).toEqual({ tag: 'sks', count: 2 });
    expect(result.metadata.ss_output_name).toBe('hero');
    // Per-module alphas differ (alpha_pattern): A1111 / ComfyUI apply them, diffusers does not.
    expect(result.compatibility.map((v) => [v.loader, v.ok])).toEqual([
      ['a1111', true],
      ['comfyui', true],
      ['diffusers', false],
    ]);
    expect(result.compatibility[2]?.notes.join(' ')).toContain('--to diffusers');
    const text = formatInspection(result);
    expect(text).toContain('format: kohya');
    expect(text).toContain('trigger: sks');
    // the base it was trained on, a Hub base at its commit (ss_sd_model_name): inspect did not say it
    expect(text).toContain(`  base model: someone/toon-sd15@${'c'.repeat(40)}`);
    // decimal units, as the web app's Metadata panel and the Hub show it (before: "151.00 MB" here, "144 MB" there)
    expect(formatInspection({ ...result, sizeBytes: 151_000_000 })).toContain('   size: 151 MB   tensors: ');
  });

  it('reports a PEFT folder with config alphas and lists what WebUIs do not map', async () => {
    const result = await inspectLora(join(dir, 'peft'));
    expect(result.format).toBe('peft');
    expect(result.modules.every((m) => m.alphaSource === 'config')).toBe(true);
    const a1111 = result.compatibility.find((v) => v.loader === 'a1111');
    expect(a1111?.ok).toBe(false);
    expect(a1111?.unmappedKeys).toHaveLength(modules.length * 2);
  });

  it('warns when no alpha is stored', async () => {
    await writeFixtureFile(
      join(dir, 'bare.safetensors'),
      makePeftTensors({ modules: modules.slice(0, 1), rank: 2, seed: 1, prefix: 'unet.' }),
    );
    const result = await inspectLora(join(dir, 'bare.safetensors'));
    expect(result.format).toBe('diffusers');
    expect(result.modules[0]).toMatchObject({ alphaSource: 'assumed-rank', scale: 1 });
    expect(result.warnings.join(' ')).toContain('assuming alpha = rank');
  });

  it('takes the trigger from the kohya dataset folder names when modelspec.trigger_phrase is missing', async () => {
    const tensors = makePeftTensors({ modules: modules.slice(0, 1), rank: 2, seed: 4 });
    const file = join(dir, 'civitai.safetensors');
    await writeFixtureFile(file, tensors, {
      ss_tag_frequency: JSON.stringify({ '10_sks girl': { sks: 5, smile: 2 }, '3_hero': { hero: 1 } }),
    });
    const result = await inspectLora(file);
    expect(result).toMatchObject({ trigger: 'sks girl, hero', triggerSource: 'dataset folders' });
    expect(formatInspection(result)).toContain('trigger: sks girl, hero (from the dataset folder names)');
    await writeFixtureFile(file, tensors, {
      ss_dataset_dirs: JSON.stringify({ '20_mina': { n_repeats: 20, img_count: 12 } }),
    });
    expect(await inspectLora(file)).toMatchObject({ trigger: 'mina' });
    await writeFixtureFile(file, tensors, {
      'modelspec.trigger_phrase': 'zzz',
      ss_tag_frequency: JSON.stringify({ '10_sks girl': { sks: 5 } }),
    });
    expect(await inspectLora(file)).toMatchObject({ trigger: 'zzz', triggerSource: 'modelspec' });
    await writeFixtureFile(file, tensors, { ss_tag_frequency: JSON.stringify({ 'no number': { a: 1 } }) });
    expect((await inspectLora(file)).trigger).toBeUndefined();
  });

  it('warns about tensors that belong to no module, saying what they are', async () => {
    const tensors = makePeftTensors({ modules: modules.slice(0, 1), rank: 2, seed: 6 });
    tensors.push({
      name: `base_model.model.${modules[0]}.lora_B.bias`,
      dtype: 'F32',
      shape: [320],
      data: new Float32Array(320),
    });
    await writeFixtureFile(join(dir, 'bias.safetensors'), tensors);
    const result = await inspectLora(join(dir, 'bias.safetensors'));
    expect(result.unknownKeys).toEqual([`base_model.model.${modules[0]}.lora_B.bias`]);
    expect(result.warnings.join(' ')).toContain(
      '1 tensor(s) belong to no LoRA module (PEFT LoRA biases (lora_bias=True) are not supported)',
    );
  });

  it('names the file for missing, non-LoRA and damaged inputs', async () => {
    await expect(inspectLora(join(dir, 'nope.safetensors'))).rejects.toMatchObject({
      code: 'TL_ERR_INPUT_NOT_FOUND',
    });
    await writeFixtureFile(join(dir, 'model.safetensors'), [
      { name: 'model.diffusion_model.x.weight', dtype: 'F32', shape: [1], data: new Float32Array(1) },
    ]);
    await expect(
      convertLora({ input: join(dir, 'model.safetensors'), output: join(dir, 'model-out.safetensors') }),
    ).rejects.toMatchObject({
      code: 'TL_ERR_LORA_FORMAT',
      message: expect.stringContaining('model.safetensors: no LoRA keys found'),
    });
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(2n ** 48n);
    await writeFile(join(dir, 'huge.safetensors'), huge);
    await expect(inspectLora(join(dir, 'huge.safetensors'))).rejects.toMatchObject({
      code: 'TL_ERR_SAFETENSORS',
      details: { rule: 'header-length-cap' },
    });
  });
});

describe('inspectLora on a safetensors file in no LoRA format', () => {
  it('reports format unknown with dtypes, size, metadata and every key unmapped', async () => {
    const file = join(dir, 'checkpoint.safetensors');
    const names = [
      'model.diffusion_model.out.0.weight',
      'model.diffusion_model.out.2.bias',
      'cond_stage_model.x',
    ];
    await writeSafetensors(
      file,
      names.map((name, i) => ({
        name,
        dtype: i === 1 ? 'F16' : 'F32',
        shape: [2],
        chunks: () => [new Uint8Array(i === 1 ? 4 : 8)],
      })),
      { note: 'not a lora' },
      { overwrite: true },
    );
    const result = await inspectLora(file);
    expect(result).toMatchObject({
      format: 'unknown',
      tensorCount: 3,
      dtypes: { F32: 2, F16: 1 },
      metadata: { note: 'not a lora' },
      modules: [],
      ranks: [],
    });
    expect(result.sizeBytes).toBeGreaterThan(20);
    expect([...result.unknownKeys].sort()).toEqual([...names].sort());
    for (const verdict of result.compatibility) {
      expect(verdict.ok).toBe(false);
      expect(verdict.unmappedKeys).toHaveLength(3);
    }
    expect(result.warnings.join(' ')).toContain('All 3 tensor(s) are unmapped; convert refuses the file');
    const text = formatInspection(result);
    expect(text).toContain('format: unknown');
    expect(text).toContain('modules: 0 (no LoRA module)');
    expect(text).toContain('unmapped keys (in no LoRA module): 3');
    for (const name of names) expect(text).toContain(`key: ${name}`);
    expect(text).not.toContain('unmapped: ');
  });

  it('a file with no tensors (only __metadata__) is a PROBLEM for every loader, with the reason', async () => {
    const file = join(dir, 'no-tensors.safetensors');
    await writeSafetensors(file, [], { ss_output_name: 'hero' }, { overwrite: true });
    const result = await inspectLora(file);
    expect(result).toMatchObject({ format: 'unknown', tensorCount: 0, modules: [] });
    expect(result.compatibility.map((v) => [v.loader, v.ok])).toEqual([
      ['a1111', false],
      ['comfyui', false],
      ['diffusers', false],
    ]);
    for (const verdict of result.compatibility) {
      expect(verdict.mappedKeys).toBe(0);
      expect(verdict.notes.join(' ')).toContain('the file holds no tensors (only metadata)');
    }
    expect(result.warnings.join(' ')).toContain('holds no tensors');
    const text = formatInspection(result);
    expect(text).not.toMatch(/ ok: /);
    expect(text.match(/PROBLEM: 0 keys mapped/g)).toHaveLength(3);
    expect(text).toContain('tensors: 0   dtypes: none');
    expect(text).not.toMatch(/dtypes: *$/m);
    // what inspect's verdicts now agree with: convert refuses the file
    await expect(
      convertLora({ input: file, output: join(dir, 'no-tensors-out.safetensors') }),
    ).rejects.toMatchObject({ code: 'TL_ERR_LORA_FORMAT' });
  });
});

describe('formatInspection module lines', () => {
  it('groups the 128 SD1.5 attention modules by rank / alpha / scale with counts per region', async () => {
    const all = sd15AttentionModules();
    await writePeftFolder(join(dir, 'full'), makePeftTensors({ modules: all, rank: 4, seed: 8 }), {
      r: 4,
      lora_alpha: 2,
      alpha_pattern: { 'mid_block.attentions.0.transformer_blocks.0.attn1.to_q': 8 },
    });
    const text = formatInspection(await inspectLora(join(dir, 'full')));
    const lines = text.split('\n');
    expect(lines).toContain('    rank 4 alpha 2 scale 0.5: 127 modules (down 48, mid 7, up 72)');
    expect(lines).toContain('    rank 4 alpha 8 scale 2: 1 module (mid 1)');
    const start = lines.indexOf('  rank / alpha / scale (alpha / rank):');
    expect(lines[start + 3]).toMatch(/^ {2}per block: down_blocks\.0 16,/);
  });

  it('lists modules one a line when their values differ a lot', async () => {
    const some = modules.slice(0, 8);
    const ranks = Object.fromEntries(some.map((m, i) => [m, i + 1]));
    await writeFixtureFile(
      join(dir, 'ranks.safetensors'),
      makePeftTensors({ modules: some, rank: 1, ranks, seed: 9, prefix: 'unet.' }),
    );
    const text = formatInspection(await inspectLora(join(dir, 'ranks.safetensors')));
    expect(text).toContain('per module (8 different rank / alpha / scale):');
    expect(text).toMatch(/^ +rank +alpha +scale +module$/m);
    const row = text.split('\n').find((l) => l.endsWith(`lora_unet_${some[7]?.replaceAll('.', '_')}`));
    expect(row?.trim().split(/ +/).slice(0, 3)).toEqual(['8', '8', '1']);
    expect(text).not.toContain('rank 8 alpha 8 scale 1:');
  });

  it('names 2-D proj_in / proj_out weights in the diffusers verdict only (the WebUI and ComfyUI reshape them)', async () => {
    const kohya = (shape: (inF: number, out: number) => { down: number[]; up: number[] }) =>
      ['down_blocks.0.attentions.0.proj_in', 'down_blocks.0.attentions.0.proj_out'].flatMap((path) => {
        const name = `lora_unet_${path.replaceAll('.', '_')}`;
        const { down, up } = shape(320, 320);
        const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
        return [
          {
            name: `${name}.lora_down.weight`,
            dtype: 'F32' as const,
            shape: down,
            data: new Float32Array(size(down)),
          },
          {
            name: `${name}.lora_up.weight`,
            dtype: 'F32' as const,
            shape: up,
            data: new Float32Array(size(up)),
          },
          { name: `${name}.alpha`, dtype: 'F32' as const, shape: [], data: new Float32Array([4]) },
        ];
      });
    const flat = join(dir, 'proj-2d.safetensors');
    await writeFixtureFile(
      flat,
      kohya((inF, out) => ({ down: [4, inF], up: [out, 4] })),
    );
    const verdicts = Object.fromEntries((await inspectLora(flat)).compatibility.map((v) => [v.loader, v]));
    expect(verdicts.a1111).toMatchObject({ ok: true, notes: [] });
    expect(verdicts.comfyui).toMatchObject({ ok: true, notes: [] });
    expect(verdicts.diffusers?.ok).toBe(false);
    expect(verdicts.diffusers?.notes).toEqual([
      '2 1x1-convolution module(s) (proj_in / proj_out / conv_shortcut: lora_unet_down_blocks_0_attentions_0_proj_in and 1 more) stored as 2-D weights: load_lora_weights raises a size mismatch on them (the WebUI and ComfyUI reshape them); convert --to diffusers / kohya writes them as 1x1 convolutions (toonlora generate does so itself).',
    ]);
    const conv = join(dir, 'proj-conv.safetensors');
    await writeFixtureFile(
      conv,
      kohya((inF, out) => ({ down: [4, inF, 1, 1], up: [out, 4, 1, 1] })),
    );
    for (const v of (await inspectLora(conv)).compatibility) expect(v).toMatchObject({ ok: true, notes: [] });
  });

  it('says an SDXL file is one in every verdict, even where every key maps (lora_te1_), and gives no --drop-unknown advice', async () => {
    const module = (name: string, width: number) => [
      {
        name: `${name}.lora_down.weight`,
        dtype: 'F32' as const,
        shape: [2, width],
        data: new Float32Array(2 * width),
      },
      {
        name: `${name}.lora_up.weight`,
        dtype: 'F32' as const,
        shape: [width, 2],
        data: new Float32Array(2 * width),
      },
      { name: `${name}.alpha`, dtype: 'F32' as const, shape: [], data: new Float32Array([1]) },
    ];
    const te1 = module('lora_te1_text_model_encoder_layers_0_self_attn_out_proj', 768);
    // SDXL's first text encoder is CLIP-L, as SD1.5's: every loader maps lora_te1_ onto SD1.5's
    const onlyTe1 = join(dir, 'xl-te1.safetensors');
    await writeFixtureFile(onlyTe1, te1, { ss_base_model_version: 'sdxl_base_v1-0' });
    const result = await inspectLora(onlyTe1);
    for (const v of result.compatibility) {
      expect(v.unmappedKeys, v.loader).toEqual([]);
      expect(v.ok, v.loader).toBe(false);
      expect(v.notes.join('\n'), v.loader).toContain(
        "an SDXL LoRA, checked here against SD1.5's module names",
      );
    }
    expect(result.warnings).toEqual([
      `this is an SDXL LoRA (3 lora_te1_ key(s): SDXL's text encoders; ss_base_model_version "sdxl_base_v1-0"): toonlora is SD1.5 only, so convert and generate refuse it (--drop-unknown too), and an SD1.5 model cannot use it in any loader. Use it as it is with an SDXL model in the WebUI or ComfyUI.`,
    ]);
    expect(formatInspection(result)).toContain('a1111     PROBLEM');

    const withTe2 = join(dir, 'xl-te2.safetensors');
    await writeFixtureFile(withTe2, [
      ...te1,
      ...module('lora_te2_text_model_encoder_layers_0_self_attn_q_proj', 1280),
      ...module('lora_unet_input_blocks_4_1_transformer_blocks_1_attn1_to_q', 640),
    ]);
    const text = formatInspection(await inspectLora(withTe2));
    expect(text).toContain('this is an SDXL LoRA (3 lora_te1_ key(s)');
    expect(text).toContain('convert and generate refuse an SDXL LoRA, with or without them.');
    expect(text).not.toContain('--drop-unknown.');
    // diffusers' LDM-names note sends the user to convert / generate, which refuse SDXL: left out
    expect(text).not.toContain('toonlora generate does so itself');
  });

  it('warns that a LoRA is for SD 2.x from its metadata or its 1024-wide cross-attention, not from SD1.5 files', async () => {
    const to_k = 'down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k';
    const tensors = (width: number) =>
      makePeftTensors({ modules: [to_k], rank: 4, seed: 2, prefix: 'unet.' }).map((t) =>
        t.name.endsWith('lora_A.weight')
          ? { ...t, shape: [4, width], data: new Float32Array(4 * width).fill(0.01) }
          : t,
      );
    const sd2 = join(dir, 'sd21.safetensors');
    await writeFixtureFile(sd2, tensors(1024));
    const wide = await inspectLora(sd2);
    expect(wide.warnings).toContain(
      `this LoRA looks made for SD 2.x, not SD1.5 (${to_k} reads 1024-wide text embeddings (SD1.5's are 768)): on an SD1.5 base its weights do not fit (diffusers and toonlora generate stop at a size mismatch). Use it with the base it was trained for.`,
    );
    const tagged = join(dir, 'sd21-metadata.safetensors');
    await writeFixtureFile(tagged, tensors(768), {
      ss_v2: 'True',
      ss_base_model_version: 'sd_2.1_v',
      'modelspec.architecture': 'stable-diffusion-v2-768-v/lora',
    });
    expect((await inspectLora(tagged)).warnings.join('\n')).toContain(
      'this LoRA looks made for SD 2.x, not SD1.5 (ss_v2 = True; ss_base_model_version sd_2.1_v; modelspec.architecture stable-diffusion-v2-768-v/lora)',
    );
    const sd15 = join(dir, 'sd15-to-k.safetensors');
    await writeFixtureFile(sd15, tensors(768), {
      ss_v2: 'False',
      ss_base_model_version: 'sd_v1',
      'modelspec.architecture': 'stable-diffusion-v1/lora',
    });
    expect((await inspectLora(sd15)).warnings.join('\n')).not.toContain('looks made for');
  });
});
