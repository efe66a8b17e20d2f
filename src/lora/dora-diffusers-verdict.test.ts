// Tests for dora-loaders.ts on a kohya DoRA file's diffusers verdict: diffusers 0.42.1 drops every
// dora_scale (plain LoRA, measured in trainer/tests/test_lora_interop_dora.py), and what inspect then says
// of the file's diffusers copy must be what convert --to diffusers does: a per-output-row magnitude is kept,
// a per-input-column one is refused (PEFT holds one magnitude per output row), so no note promises a copy.
// A 3x3 conv with in = out: kohya's `[1, in, 1, 1]` dora_scale is per input column (LyCORIS wd_on_out=False),
// PEFT's `[1, out, 1, 1]` lora_magnitude_vector per output row; the key, not the shape, tells them apart.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { loraFileForDiffusers } from './diffusers-copy.js';
import { inspectLora } from './inspect.js';
import { type FixtureTensor, seededRandom, writeFixtureFile } from './lora-fixtures.js';
import { openLora } from './open-lora.js';

const KOHYA = 'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q';
const CONV = 'down_blocks.0.resnets.0.conv1'; // SD1.5: 320 -> 320, 3x3

/** A kohya DoRA file of one 320x320 module whose dora_scale has `shape` ([320, 1] per output row, [1, 320] per input column). */
async function kohyaDora(name: string, shape: number[]): Promise<{ dir: string; path: string }> {
  const random = seededRandom(23);
  const fill = (n: number) => Float32Array.from({ length: n }, () => random() * 0.1 + 0.5);
  const tensors: FixtureTensor[] = [
    { name: `${KOHYA}.lora_down.weight`, dtype: 'F32', shape: [4, 320], data: fill(1280) },
    { name: `${KOHYA}.lora_up.weight`, dtype: 'F32', shape: [320, 4], data: fill(1280) },
    { name: `${KOHYA}.alpha`, dtype: 'F32', shape: [], data: new Float32Array([2]) },
    { name: `${KOHYA}.dora_scale`, dtype: 'F32', shape, data: fill(320) },
  ];
  const dir = await mkdtemp(join(tmpdir(), 'toonlora-dora-diffusers-'));
  const path = join(dir, name);
  await writeFixtureFile(path, tensors);
  return { dir, path };
}

async function diffusersNotes(path: string): Promise<string> {
  const verdict = (await inspectLora(path)).compatibility.find((v) => v.loader === 'diffusers');
  expect(verdict?.ok).toBe(false);
  return verdict?.notes.join('\n') ?? '';
}

describe("a kohya DoRA file's diffusers verdict", () => {
  it('per input column: says the magnitude is dropped and convert --to diffusers refuses, as it does', async () => {
    const { dir, path } = await kohyaDora('columns.safetensors', [1, 320]);
    const notes = await diffusersNotes(path);
    expect(notes).toMatch(/drops a kohya file's dora_scale and loads it as plain LoRA/);
    expect(notes).toMatch(/convert --to diffusers and toonlora generate refuse the file/);
    expect(notes).not.toMatch(/keeps (and applies )?it/);
    expect(notes.match(/dora_scale/g)).toHaveLength(1); // one DoRA note, not the key-only one beside it
    await expect(
      convertLora({ input: path, output: join(dir, 'columns.diffusers.safetensors'), to: 'diffusers' }),
    ).rejects.toThrow(/per input column.*cannot be converted/);
  });

  it('per output row: says its diffusers copy keeps the magnitude, and the copy holds it', async () => {
    const { dir, path } = await kohyaDora('rows.safetensors', [320, 1]);
    const notes = await diffusersNotes(path);
    expect(notes).toMatch(/drops a kohya file's dora_scale and loads it as plain LoRA/);
    expect(notes).toMatch(/convert --to diffusers, what toonlora generate loads\) keeps and applies it/);
    expect(notes.match(/dora_scale/g)).toHaveLength(1);
    const output = join(dir, 'rows.diffusers.safetensors');
    await convertLora({ input: path, output, to: 'diffusers' });
    const copy = await openLora(output);
    await copy.reader.close();
    expect(copy.model.modules.map((m) => [m.magnitude?.shape, m.alpha])).toEqual([[[320], 2]]);
    expect((await inspectLora(output)).compatibility.find((v) => v.loader === 'diffusers')?.ok).toBe(true);
  });

  it("a 3x3 conv (in = out) with a [1, in, 1, 1] dora_scale is per input column; PEFT's [1, out, 1, 1] per output row", async () => {
    const random = seededRandom(29);
    const fill = (n: number) => Float32Array.from({ length: n }, () => random() * 0.1 + 0.5);
    const conv = (down: string, up: string, magnitude: string): FixtureTensor[] => [
      { name: down, dtype: 'F32', shape: [4, 320, 3, 3], data: fill(4 * 320 * 9) },
      { name: up, dtype: 'F32', shape: [320, 4, 1, 1], data: fill(1280) },
      { name: magnitude, dtype: 'F32', shape: [1, 320, 1, 1], data: fill(320) },
    ];
    const dir = await mkdtemp(join(tmpdir(), 'toonlora-dora-conv-'));
    const kohyaName = `lora_unet_${CONV.replaceAll('.', '_')}`;
    const kohya = join(dir, 'conv-columns.safetensors');
    await writeFixtureFile(kohya, [
      ...conv(`${kohyaName}.lora_down.weight`, `${kohyaName}.lora_up.weight`, `${kohyaName}.dora_scale`),
      { name: `${kohyaName}.alpha`, dtype: 'F32', shape: [], data: new Float32Array([4]) },
    ]);
    const inspected = await inspectLora(kohya);
    expect(inspected.warnings.join('\n')).toMatch(/magnitude stored per input column/);
    expect(inspected.compatibility.map((v) => [v.loader, v.ok])).toEqual([
      ['a1111', true],
      ['comfyui', true],
      ['diffusers', false],
    ]);
    expect(await diffusersNotes(kohya)).toMatch(
      /convert --to diffusers and toonlora generate refuse the file/,
    );
    // generate refuses it up front, naming the axis (as convert --to diffusers does)
    await expect(loraFileForDiffusers(kohya, join(dir, 'cache'))).rejects.toThrow(
      /per input column \(LyCORIS wd_on_out=False\)/,
    );

    const peft = join(dir, 'conv-rows.safetensors');
    await writeFixtureFile(
      peft,
      conv(`unet.${CONV}.lora_A.weight`, `unet.${CONV}.lora_B.weight`, `unet.${CONV}.lora_magnitude_vector`),
    );
    expect((await inspectLora(peft)).compatibility.find((v) => v.loader === 'diffusers')?.ok).toBe(true);
  });
});
