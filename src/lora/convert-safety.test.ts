// Tests for convert's refusals: unknown tensors (LoCon lora_mid, LyCORIS diff, PEFT biases,
// modules_to_save) refused or dropped with --drop-unknown, --overwrite of a PEFT folder never deletes
// the user's files, typed errors for a missing parent folder / a folder as file output / an empty
// alpha / a rank-0 module / a PEFT folder holding only adapter_model.bin. Warnings are in
// convert-warnings.test.ts; shared helpers in convert-safety-testing.ts.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import {
  CONV,
  exists,
  f32,
  kohyaQ,
  loconTensors,
  Q,
  type RawTensor,
  tensorNames,
  writeRaw,
} from './convert-safety-testing.js';
import { loraFileForDiffusers } from './diffusers-copy.js';
import { makePeftTensors, writePeftFolder } from './lora-fixtures.js';
import { openLora } from './open-lora.js';
import { tempDirPerFile } from './temp-dir-testing.js';

const tempDir = tempDirPerFile('toonlora-convert-safety-');

describe('tensors convert does not understand', () => {
  it('refuses a LoCon / LyCORIS diff file naming the keys and what they are, writing nothing', async () => {
    const input = join(tempDir(), 'locon.safetensors');
    await writeRaw(input, loconTensors());
    const out = join(tempDir(), 'locon-out.safetensors');
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
    const input = join(tempDir(), 'locon.safetensors');
    const out = join(tempDir(), 'locon-dropped.safetensors');
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
    const input = join(tempDir(), 'locon-no-alpha.safetensors');
    const withoutAlpha = (tensors: RawTensor[], name: string) => tensors.filter((t) => t.name !== name);
    await writeRaw(input, withoutAlpha(loconTensors(), `${CONV}.alpha`));
    const out = join(tempDir(), 'locon-no-alpha-out.safetensors');
    const result = await convertLora({ input, output: out, dropUnknown: true });
    expect(result.modules).toBe(1);
    expect(result.warnings.join(' ')).not.toContain('have no .alpha tensor');
    const bothBare = join(tempDir(), 'locon-bare.safetensors');
    await writeRaw(bothBare, withoutAlpha(withoutAlpha(loconTensors(), `${CONV}.alpha`), `${Q}.alpha`));
    const bare = await convertLora({
      input: bothBare,
      output: join(tempDir(), 'bare-out.safetensors'),
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
    await writePeftFolder(join(tempDir(), 'peft-extra'), tensors, { r: 4, lora_alpha: 4 });
    const attempt = convertLora({
      input: join(tempDir(), 'peft-extra'),
      output: join(tempDir(), 'pe.safetensors'),
    });
    await expect(attempt).rejects.toMatchObject({ code: 'TL_ERR_LORA_FORMAT' });
    const message = await attempt.catch((e: Error) => e.message);
    expect(message).toContain('PEFT LoRA biases (lora_bias=True) are not supported');
    expect(message).toContain('PEFT modules_to_save (fully trained modules) are not supported');
    const dropped = await convertLora({
      input: join(tempDir(), 'peft-extra'),
      output: join(tempDir(), 'pe.safetensors'),
      dropUnknown: true,
    });
    expect(dropped.warnings.some((w) => w.includes('dropped 2 unknown key(s)'))).toBe(true);
    expect(await tensorNames(join(tempDir(), 'pe.safetensors'))).toHaveLength(3);
  });
});

describe('modules_to_save as PEFT saves it, in convert and generate', () => {
  // PEFT writes a modules_to_save module's own weights as `base_model.model.conv_in.weight` (no
  // `modules_to_save.` level): named as such, and only convert's error offers --drop-unknown.
  async function mtsFolder(): Promise<string> {
    const folder = join(tempDir(), 'peft-mts');
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
    const attempt = convertLora({ input: folder, output: join(tempDir(), 'mts.safetensors') });
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
    const attempt = loraFileForDiffusers(folder, join(tempDir(), 'mts-cache'));
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
    const input = join(tempDir(), 'q.safetensors');
    await writeRaw(input, kohyaQ());
    const out = join(tempDir(), 'adapter-out');
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
    const input = join(tempDir(), 'q.safetensors');
    await writeRaw(input, kohyaQ());
    const missing = join(tempDir(), 'no-such-folder');
    for (const to of ['kohya', 'peft'] as const) {
      await expect(convertLora({ input, output: join(missing, 'x.safetensors'), to })).rejects.toMatchObject({
        code: 'TL_ERR_USAGE',
        message: expect.stringContaining(missing),
      });
    }
    expect(await exists(missing)).toBe(false);
  });

  it('an existing folder as a file output is TL_ERR_USAGE, even with --overwrite, and stays untouched', async () => {
    const input = join(tempDir(), 'q.safetensors');
    const folder = join(tempDir(), 'a-folder');
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
    const input = join(tempDir(), 'rank0.safetensors');
    const tensors = kohyaQ();
    tensors[0] = { name: `${Q}.lora_down.weight`, dtype: 'F32', shape: [0, 320], bytes: new Uint8Array(0) };
    tensors[1] = { name: `${Q}.lora_up.weight`, dtype: 'F32', shape: [320, 0], bytes: new Uint8Array(0) };
    await writeRaw(input, tensors);
    const attempt = convertLora({ input, output: join(tempDir(), 'rank0-out.safetensors') });
    await expect(attempt).rejects.toMatchObject({
      code: 'TL_ERR_LORA_FORMAT',
      message: expect.stringContaining('has rank 0 (shapes [0,320] / [320,0]): an empty LoRA module'),
    });
    expect(await attempt.catch((e: Error) => e.message)).not.toContain('expects');
  });

  it('a PEFT folder with only adapter_model.bin says the pickle is not read and how to re-save it', async () => {
    const folder = join(tempDir(), 'bin-only');
    await mkdir(folder);
    await writeFile(join(folder, 'adapter_model.bin'), 'PK\x03\x04');
    await writeFile(join(folder, 'adapter_config.json'), '{"peft_type": "LORA"}');
    const attempt = convertLora({ input: folder, output: join(tempDir(), 'bin-out.safetensors') });
    await expect(attempt).rejects.toMatchObject({ code: 'TL_ERR_INPUT_NOT_FOUND' });
    const message = await attempt.catch((e: Error) => e.message);
    expect(message).toContain('has adapter_model.bin but no adapter_model.safetensors');
    expect(message).toContain('does not read the .bin (a PyTorch pickle');
    expect(message).toContain('save_pretrained(out, safe_serialization=True)');
    // An empty folder keeps the plain message.
    await mkdir(join(tempDir(), 'empty-adapter'));
    await expect(
      convertLora({ input: join(tempDir(), 'empty-adapter'), output: join(tempDir(), 'e.safetensors') }),
    ).rejects.toMatchObject({ message: expect.stringContaining('folder has no adapter_model.safetensors.') });
  });

  it('an alpha holding no element is TL_ERR_LORA_FORMAT naming the tensor', async () => {
    const input = join(tempDir(), 'alpha0.safetensors');
    const tensors = kohyaQ();
    tensors[2] = { name: `${Q}.alpha`, dtype: 'F32', shape: [0], bytes: new Uint8Array(0) };
    await writeRaw(input, tensors);
    const expected = {
      code: 'TL_ERR_LORA_FORMAT',
      message: expect.stringContaining(`"${Q}.alpha" has shape [0]`),
    };
    await expect(openLora(input)).rejects.toMatchObject(expected);
    await expect(convertLora({ input, output: join(tempDir(), 'a0.safetensors') })).rejects.toMatchObject(
      expected,
    );
    tensors[2] = { name: `${Q}.alpha`, dtype: 'F32', shape: [2], bytes: f32([1, 2]) };
    await writeRaw(input, tensors);
    await expect(openLora(input)).rejects.toMatchObject({ code: 'TL_ERR_LORA_FORMAT' });
  });
});
