// Tests for diffusers-copy.ts on PEFT adapters: a PEFT LoRA (folder or weights file) gets a diffusers copy with its
// config's alphas (a new adapter_config.json is a new version), a PEFT LoKr adapter a LyCORIS copy, and a PEFT
// adapter it cannot convert is refused instead of handed over.
import { readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loraFileForDiffusers } from './diffusers-copy.js';
import { alphasByModule, copyTestDir, modules, peftFolder } from './diffusers-copy-testing.js';
import { makeLokrTensors, makePeftTensors, writePeftFolder } from './lora-fixtures.js';
import { openAdapter } from './open-adapter.js';
import { openLora } from './open-lora.js';

describe('loraFileForDiffusers', () => {
  it("converts a PEFT LoRA adapter, folder or weights file, to diffusers with its config's alphas", async () => {
    const dir = await copyTestDir();
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
    const dir = await copyTestDir();
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
    const dir = await copyTestDir();
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
});
