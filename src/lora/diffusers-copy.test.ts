// Tests for diffusers-copy.ts: a kohya file with mixed alphas, and a PEFT LoRA adapter, are replaced by a
// diffusers-format copy that keeps every module's alpha (made once, reused while the input is
// unchanged); a PEFT LoKr adapter by a LyCORIS copy; so is a kohya file whose text-encoder q/v modules
// diffusers drops, and one with 2-D 1x1-conv weights (reshaped); a single-alpha kohya file is used as
// it is, a broken file, an SDXL file or an unconvertible PEFT adapter refused.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { loraFileForDiffusers } from './diffusers-copy.js';
import {
  type FixtureTensor,
  makeLokrTensors,
  makePeftTensors,
  seededRandom,
  writeFixtureFile,
  writePeftFolder,
} from './lora-fixtures.js';
import { inspectLora } from './inspect.js';
import { openAdapter } from './open-adapter.js';
import { openLora } from './open-lora.js';
import { openSafetensors } from './safetensors-read.js';
import { sd15AttentionModules } from './sd15-modules.js';

const modules = sd15AttentionModules().slice(0, 3);

async function peftFolder(dir: string, name: string, alphaPattern: Record<string, number>): Promise<string> {
  const peft = join(dir, `${name}-peft`);
  await writePeftFolder(peft, makePeftTensors({ modules, rank: 4, seed: 3 }), {
    r: 4,
    lora_alpha: 4,
    alpha_pattern: alphaPattern,
    target_modules: ['to_q', 'to_k', 'to_v', 'to_out.0'],
  });
  return peft;
}

async function kohyaFile(dir: string, name: string, alphaPattern: Record<string, number>): Promise<string> {
  const peft = await peftFolder(dir, name, alphaPattern);
  const out = join(dir, `${name}.safetensors`);
  await convertLora({ input: peft, output: out, to: 'kohya' });
  return out;
}

async function alphasByModule(path: string): Promise<Record<string, number>> {
  const { model, reader } = await openLora(path);
  await reader.close();
  return Object.fromEntries(model.modules.map((m) => [m.path, m.alpha]));
}

const DORA_UNET = 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q';
const DORA_TE = 'text_model.encoder.layers.0.self_attn.q_proj';

/** A kohya DoRA file: one UNet and one text-encoder module (rank 4, alpha 2) with the given dora_scale shapes. */
function kohyaDoraTensors(unetScale: number[], teScale: number[]): FixtureTensor[] {
  const random = seededRandom(4);
  const fill = (shape: number[]) =>
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random());
  const module = (name: string, width: number, scale: number[]): FixtureTensor[] => [
    { name: `${name}.lora_down.weight`, dtype: 'F32', shape: [4, width], data: fill([4, width]) },
    { name: `${name}.lora_up.weight`, dtype: 'F32', shape: [width, 4], data: fill([width, 4]) },
    { name: `${name}.alpha`, dtype: 'F32', shape: [], data: new Float32Array([2]) },
    { name: `${name}.dora_scale`, dtype: 'F32', shape: scale, data: fill(scale) },
  ];
  return [
    ...module(`lora_unet_${DORA_UNET.replaceAll('.', '_')}`, 320, unetScale),
    ...module(`lora_te_${DORA_TE.replaceAll('.', '_')}`, 768, teScale),
  ];
}

describe('loraFileForDiffusers', () => {
  it('converts a mixed-alpha kohya file once, keeping every alpha, and reuses the copy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-diffusers-copy-'));
    const cache = join(dir, 'cache');
    const input = await kohyaFile(dir, 'mixed', { [modules[1] as string]: 1 });
    const first = await loraFileForDiffusers(input, cache);
    expect(first.path.startsWith(cache)).toBe(true);
    expect(first.note).toMatch(
      /mixed\.safetensors has 1 module\(s\) whose alpha diffusers would not apply \(e\.g\. lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_k: alpha 1, diffusers would use 4/,
    );
    const copy = await openLora(first.path);
    await copy.reader.close();
    expect(copy.model.format).not.toBe('kohya');
    expect(await alphasByModule(first.path)).toEqual(await alphasByModule(input));
    expect(Object.values(await alphasByModule(first.path)).sort()).toEqual([1, 4, 4]);

    // The copy names the user's file, for the worker's error if diffusers refuses the copy (generate.py).
    expect(copy.reader.header.metadata['toonlora.copy_of']).toBe(input);

    const again = await loraFileForDiffusers(input, cache);
    expect(again.path).toBe(first.path);
    expect(await readdir(cache)).toHaveLength(1);

    // a changed input (new mtime) gets a new copy, which replaces the stale one
    await utimes(input, new Date(), new Date(Date.now() + 5000));
    const changed = await loraFileForDiffusers(input, cache);
    expect(changed.path).not.toBe(first.path);
    expect(await readdir(cache)).toEqual([basename(changed.path)]);

    // a copy whose original is gone (a deleted run) goes when the next copy is made; other files stay
    const other = await kohyaFile(dir, 'other', { [modules[1] as string]: 1 });
    await writeFile(join(cache, 'notes.txt'), 'mine');
    await rm(input);
    const otherCopy = await loraFileForDiffusers(other, cache);
    expect((await readdir(cache)).sort()).toEqual([basename(otherCopy.path), 'notes.txt'].sort());
  });

  it('does not reuse a copy an older toonlora made under the old cache name', async () => {
    // Copies made before COPY_VERSION 2 hold text-encoder targets transformers 5 does not match.
    const dir = await mkdtemp(join(tmpdir(), 'tl-diffusers-copy-'));
    const cache = join(dir, 'cache');
    const input = await kohyaFile(dir, 'old', { [modules[1] as string]: 1 });
    const info = await stat(input);
    const oldKey = createHash('sha256')
      .update(`${input}\0${info.size}\0${info.mtimeMs}\0none`)
      .digest('hex')
      .slice(0, 16);
    await mkdir(cache);
    await writeFile(join(cache, `old.${oldKey}.diffusers.safetensors`), 'stale');
    const choice = await loraFileForDiffusers(input, cache);
    expect(choice.path).not.toBe(join(cache, `old.${oldKey}.diffusers.safetensors`));
    expect(await readdir(cache)).toHaveLength(2);
  });

  it('uses a kohya file with one alpha as it is', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-diffusers-copy-'));
    const input = await kohyaFile(dir, 'even', {});
    expect(await loraFileForDiffusers(input, join(dir, 'cache'))).toEqual({ path: input });
  });

  it("converts a PEFT LoRA adapter, folder or weights file, to diffusers with its config's alphas", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-diffusers-copy-'));
    const cache = join(dir, 'cache');
    const peft = await peftFolder(dir, 'run', { [modules[0] as string]: 2 });
    const expected = Object.fromEntries(modules.map((m, i) => [m, i === 0 ? 2 : 4]));
    for (const input of [peft, join(peft, 'adapter_model.safetensors')]) {
      const choice = await loraFileForDiffusers(input, cache);
      expect(choice.path.startsWith(cache)).toBe(true);
      expect(choice.note).toMatch(/is a PEFT adapter, which diffusers' load_lora_weights does not read/);
      const copy = await openLora(choice.path);
      await copy.reader.close();
      expect(copy.model.format).toBe('diffusers');
      expect(await alphasByModule(choice.path)).toEqual(expected);
    }
    // a new adapter_config.json (same weights) is a new version of the adapter
    const configPath = join(peft, 'adapter_config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    await writeFile(configPath, JSON.stringify({ ...config, alpha_pattern: {} }));
    await utimes(configPath, new Date(), new Date(Date.now() + 5000));
    const rewritten = await loraFileForDiffusers(peft, cache);
    expect(Object.values(await alphasByModule(rewritten.path))).toEqual([4, 4, 4]);
  });

  it('converts a PEFT LoKr adapter to a LyCORIS file, and uses a LyCORIS file as it is', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-diffusers-copy-'));
    const cache = join(dir, 'cache');
    const path = 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q';
    const shapes = { lokr_w1: [16, 16], lokr_w2_a: [20, 4], lokr_w2_b: [4, 20] };
    const peft = join(dir, 'lokr-peft');
    await writePeftFolder(peft, makeLokrTensors([{ path, shapes }], 5), {
      peft_type: 'LOKR',
      r: 4,
      alpha: 4,
      decompose_factor: -1,
      target_modules: ['to_q'],
    });
    const choice = await loraFileForDiffusers(peft, cache);
    expect(choice.note).toMatch(
      /is a PEFT LoKr adapter, and toonlora generate loads LoKr from LyCORIS files/,
    );
    const copy = await openAdapter(choice.path);
    await copy.reader.close();
    expect(copy).toMatchObject({ algorithm: 'lokr', model: { format: 'kohya' } });
    expect(await loraFileForDiffusers(choice.path, cache)).toEqual({ path: choice.path });
  });

  it('refuses a PEFT adapter it cannot convert instead of handing it over', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-diffusers-copy-'));
    const peft = join(dir, 'odd-peft');
    const extra = {
      name: 'base_model.model.down_blocks.0.resnets.0.conv1.lora_mid.weight',
      dtype: 'F32' as const,
      shape: [4, 4],
      data: new Float32Array(16),
    };
    await writePeftFolder(peft, [...makePeftTensors({ modules, rank: 4, seed: 3 }), extra], {
      r: 4,
      lora_alpha: 4,
      target_modules: ['to_q', 'to_k', 'to_v', 'to_out.0'],
    });
    await expect(loraFileForDiffusers(peft, join(dir, 'cache'))).rejects.toMatchObject({
      code: 'TL_ERR_LORA_FORMAT',
    });
  });

  it("converts a kohya DoRA file, whose dora_scale load_lora_weights drops, to a diffusers copy with PEFT's magnitude", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-diffusers-copy-'));
    const input = join(dir, 'dora.safetensors');
    await writeFixtureFile(input, kohyaDoraTensors([320, 1], [768, 1]));
    const choice = await loraFileForDiffusers(input, join(dir, 'cache'));
    expect(choice.path.startsWith(join(dir, 'cache'))).toBe(true);
    expect(choice.note).toMatch(
      /dora\.safetensors is a DoRA LoRA \(dora_scale\), whose magnitude diffusers' load_lora_weights drops/,
    );
    expect(choice.note).toContain("every module's alpha and DoRA magnitude kept");
    const reader = await openSafetensors(choice.path);
    const shapes = Object.fromEntries(reader.header.tensors.map((t) => [t.name, t.shape]));
    const meta = JSON.parse(reader.header.metadata.lora_adapter_metadata ?? '{}');
    await reader.close();
    expect(shapes[`unet.${DORA_UNET}.lora_magnitude_vector`]).toEqual([320]);
    // transformers 5 loads a text-encoder magnitude only with `.weight` (see convert-plan.ts)
    expect(shapes[`text_encoder.${DORA_TE}.lora_magnitude_vector.weight`]).toEqual([768]);
    expect(meta['unet.use_dora']).toBe(true);
    expect(meta['text_encoder.use_dora']).toBe(true);
  });

  it('refuses a kohya DoRA file whose dora_scale is per input column, naming the file and the module', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-diffusers-copy-'));
    const input = join(dir, 'dora-cols.safetensors');
    await writeFixtureFile(input, kohyaDoraTensors([1, 320], [768, 1]));
    await expect(loraFileForDiffusers(input, join(dir, 'cache'))).rejects.toMatchObject({
      code: 'TL_ERR_LORA_FORMAT',
      message: expect.stringMatching(
        /^dora-cols\.safetensors: module "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q": its DoRA dora_scale \[1,320\] is per input column .*DoRA is not applied by diffusers .*Use the WebUI \/ ComfyUI, or train without --dora\.$/,
      ),
    });
  });

  it("re-converts a diffusers file whose metadata names 'text_model.' text-encoder targets (older toonlora)", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-diffusers-copy-'));
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
    const dir = await mkdtemp(join(tmpdir(), 'tl-diffusers-copy-'));
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

  /** A kohya module with the given down / up shapes (LoCon conv: 4-D), alpha, and a lora_mid when asked. */
  function kohyaModule(
    path: string,
    down: number[],
    up: number[],
    alpha: number,
    mid?: number[],
  ): FixtureTensor[] {
    const random = seededRandom(9);
    const name = `lora_unet_${path.replaceAll('.', '_')}`;
    const tensor = (suffix: string, shape: number[]): FixtureTensor => ({
      name: `${name}.${suffix}`,
      dtype: 'F32',
      shape,
      data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 0.05),
    });
    return [
      tensor('lora_down.weight', down),
      tensor('lora_up.weight', up),
      ...(mid ? [tensor('lora_mid.weight', mid)] : []),
      { name: `${name}.alpha`, dtype: 'F32', shape: [], data: new Float32Array([alpha]) },
    ];
  }
  const attention = (alpha: (path: string) => number) =>
    modules.flatMap((path) => kohyaModule(path, [4, 320], [320, 4], alpha(path)));
  const convs = (mid: boolean) =>
    ['down_blocks.0.resnets.0.conv1', 'down_blocks.0.resnets.0.conv2'].flatMap((path) =>
      mid
        ? kohyaModule(path, [2, 320, 1, 1], [320, 2, 1, 1], 1, [2, 2, 3, 3])
        : kohyaModule(path, [2, 320, 3, 3], [320, 2, 1, 1], 1),
    );

  it('uses a LoCon file whose 3x3 convs have their own conv_alpha as it is (diffusers applies it)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-diffusers-copy-'));
    const input = join(dir, 'locon.safetensors');
    await writeFixtureFile(input, [...attention(() => 4), ...convs(false)]);
    expect(await loraFileForDiffusers(input, join(dir, 'cache'))).toEqual({ path: input });
    const diffusers = (await inspectLora(input)).compatibility.find((v) => v.loader === 'diffusers');
    expect(diffusers).toMatchObject({ ok: true, notes: [] });
    // an attention module off the most common alpha still gets the copy (diffusers gives it the common one)
    const mixed = join(dir, 'mixed-attention.safetensors');
    await writeFixtureFile(mixed, [...attention((p) => (p === modules[0] ? 8 : 4)), ...convs(false)]);
    expect((await loraFileForDiffusers(mixed, join(dir, 'cache'))).note).toMatch(
      /has 1 module\(s\) whose alpha diffusers would not apply/,
    );
  });

  it('refuses a LoCon file with lora_mid by name, whether or not it needs a copy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-diffusers-copy-'));
    for (const [name, alpha] of [
      ['mid.safetensors', () => 4],
      ['mid-mixed.safetensors', (p: string) => (p === modules[0] ? 8 : 4)],
    ] as const) {
      const input = join(dir, name);
      await writeFixtureFile(input, [...attention(alpha), ...convs(true)]);
      await expect(loraFileForDiffusers(input, join(dir, 'cache'))).rejects.toMatchObject({
        code: 'TL_ERR_LORA_FORMAT',
        message: expect.stringMatching(
          new RegExp(
            `${name}: 2 tensor\\(s\\) toonlora cannot apply: .*lora_mid\\.weight" \\(LoCon/LyCORIS mid weights \\(lora_mid\\) are not supported\\).*--drop-unknown`,
          ),
        ),
      });
    }
    expect(existsSync(join(dir, 'cache'))).toBe(false); // no copy made
  });

  it('converts a file with 2-D proj_in / proj_out / conv_shortcut weights to a copy holding them as 1x1 convs', async () => {
    // Some trainers store SD1.5's 1x1-conv LoRA as [r, in] / [out, r]; diffusers raises a size mismatch on them.
    const dir = await mkdtemp(join(tmpdir(), 'tl-diffusers-copy-'));
    const flat = [
      ['down_blocks.0.attentions.0.proj_in', 320, 320],
      ['down_blocks.0.attentions.0.proj_out', 320, 320],
      ['down_blocks.1.resnets.0.conv_shortcut', 320, 640],
    ] as const;
    const input = join(dir, 'projlinear.safetensors');
    await writeFixtureFile(input, [
      ...attention(() => 4),
      ...flat.flatMap(([path, inF, out]) => kohyaModule(path, [4, inF], [out, 4], 4)),
    ]);
    const choice = await loraFileForDiffusers(input, join(dir, 'cache'));
    expect(choice.path.startsWith(join(dir, 'cache'))).toBe(true);
    expect(choice.note).toContain(
      "projlinear.safetensors stores 3 1x1-convolution module(s) (proj_in / proj_out / conv_shortcut, e.g. lora_unet_down_blocks_0_attentions_0_proj_in) as 2-D weights, on which diffusers' load_lora_weights raises a size mismatch",
    );
    const original = await openSafetensors(input);
    const copy = await openSafetensors(choice.path);
    try {
      const shapes = Object.fromEntries(copy.header.tensors.map((t) => [t.name, t.shape]));
      for (const [path, inF, out] of flat) {
        expect(shapes[`unet.${path}.lora_A.weight`], path).toEqual([4, inF, 1, 1]);
        expect(shapes[`unet.${path}.lora_B.weight`], path).toEqual([out, 4, 1, 1]);
        // same values, new shape
        const name = `lora_unet_${path.replaceAll('.', '_')}`;
        const bytes = async (reader: typeof copy, key: string) => {
          const entry = reader.header.tensors.find((t) => t.name === key);
          if (!entry) throw new Error(`no ${key}`);
          return Buffer.from(await reader.readTensor(entry));
        };
        expect(await bytes(copy, `unet.${path}.lora_A.weight`)).toEqual(
          await bytes(original, `${name}.lora_down.weight`),
        );
      }
      // attention modules are Linear: left 2-D
      expect(shapes[`unet.${modules[0]}.lora_A.weight`]).toEqual([4, 320]);
    } finally {
      await copy.close();
      await original.close();
    }
    expect(await alphasByModule(choice.path)).toEqual(await alphasByModule(input));
    // the copy itself is handed over as it is
    expect(await loraFileForDiffusers(choice.path, join(dir, 'cache'))).toEqual({ path: choice.path });
    // with 1x1-conv shaped weights, the same file needs no copy
    const conv = join(dir, 'projconv.safetensors');
    await writeFixtureFile(conv, [
      ...attention(() => 4),
      ...flat.flatMap(([path, inF, out]) => kohyaModule(path, [4, inF, 1, 1], [out, 4, 1, 1], 4)),
    ]);
    expect(await loraFileForDiffusers(conv, join(dir, 'cache'))).toEqual({ path: conv });
  });

  it('refuses an SDXL file as SDXL, not with convert --drop-unknown advice (convert refuses it too)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tl-diffusers-copy-'));
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
    const dir = await mkdtemp(join(tmpdir(), 'tl-diffusers-copy-'));
    const png = join(dir, 'picture.safetensors');
    await writeFile(png, Buffer.from('\x89PNG\r\n\x1a\n0000000000000000'));
    await expect(loraFileForDiffusers(png, join(dir, 'cache'))).rejects.toMatchObject({
      code: 'TL_ERR_SAFETENSORS',
      message: expect.stringContaining('picture.safetensors'),
    });
  });
});
