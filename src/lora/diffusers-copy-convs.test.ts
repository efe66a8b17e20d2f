// Tests for diffusers-copy.ts on convolution modules: a LoCon file whose 3x3 convs have their own conv_alpha is used as
// it is, one with lora_mid refused by name, and 2-D proj_in / proj_out / conv_shortcut weights copied as 1x1 convs.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loraFileForDiffusers } from './diffusers-copy.js';
import {
  alphasByModule,
  attention,
  convs,
  copyTestDir,
  kohyaModule,
  modules,
} from './diffusers-copy-testing.js';
import { inspectLora } from './inspect.js';
import { writeFixtureFile } from './lora-fixtures.js';
import { openSafetensors } from './safetensors-read.js';

describe('loraFileForDiffusers', () => {
  it('uses a LoCon file whose 3x3 convs have their own conv_alpha as it is (diffusers applies it)', async () => {
    const dir = await copyTestDir();
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
    const dir = await copyTestDir();
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
    const dir = await copyTestDir();
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
});
