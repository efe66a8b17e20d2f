// Tests for inspect and the loader verdicts on LoKr files (PEFT folders and LyCORIS kohya files).
// Helpers and fixtures in lokr-testing.ts.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { loraFileForDiffusers } from './diffusers-copy.js';
import { inspectLora } from './inspect.js';
import { formatInspection } from './inspect-text.js';
import { checkLoaderCompatibility } from './loader-compat.js';
import { K, kohyaName, Q, TE_Q, writePeftLokr } from './lokr-testing.js';
import { makePeftTensors, writePeftFolder } from './lora-fixtures.js';
import { tempDirPerFile } from './temp-dir-testing.js';

const tempDir = tempDirPerFile('toonlora-lokr-');

describe('inspect and loaders on LoKr files', () => {
  it('describes a kohya LoKr file: factors, scales, factor, loader verdicts (text and JSON)', async () => {
    const peft = join(tempDir(), 'peft-f');
    await writePeftLokr(peft);
    const file = join(tempDir(), 'f.safetensors');
    await convertLora({
      input: peft,
      output: file,
      trainingFacts: { outputName: 'hero', captionsByFolder: { '10_sks girl': ['sks, smile'] } },
    });
    const result = await inspectLora(file);
    expect(result).toMatchObject({ format: 'kohya', algorithm: 'lokr', lokrFactor: -1, trigger: 'sks girl' });
    expect(result.modules).toHaveLength(5);
    const byPath = new Map(result.modules.map((m) => [m.path, m]));
    expect(byPath.get(Q)).toMatchObject({
      rank: 4,
      alpha: 2,
      scale: 0.5,
      alphaSource: 'tensor',
      sd15: true,
      lokr: {
        w1: { shape: [16, 16], decomposed: false },
        w2: { shape: [20, 20], decomposed: true, rank: 4 },
      },
    });
    // Both factors full: loaders apply scale 1 (the 0.5 is in lokr_w1 now).
    expect(byPath.get(K)).toMatchObject({
      alpha: 16,
      scale: 1,
      lokr: { w2: { shape: [20, 20], decomposed: false } },
    });
    expect(byPath.get(TE_Q)).toMatchObject({ component: 'text_encoder', scale: 2, name: kohyaName(TE_Q) });
    expect(result.modulesPerBlock).toEqual({ 'down_blocks.0': 4, 'text_encoder.layers.0': 1 });
    expect(result.compatibility.map((v) => [v.loader, v.ok])).toEqual([
      ['a1111', true],
      ['comfyui', true],
      ['diffusers', false],
    ]);
    expect(result.compatibility[2]?.notes.join(' ')).toContain('no LoKr format');
    expect(result.unknownKeys).toEqual([]);
    expect(JSON.parse(JSON.stringify(result))).toMatchObject({ algorithm: 'lokr', lokrFactor: -1 });

    const text = formatInspection(result);
    expect(text).toContain('format: kohya   algorithm: lokr (LyCORIS Kronecker product)');
    expect(text).toContain('  modules: 5   factor: -1   alphas: 2, 4, 8, 12, 16');
    expect(text).toContain('    w1 [16, 16] full x w2 [20, 20] rank 4, alpha 2 scale 0.5: 1 module (down 1)');
    expect(text).toContain('    w1 [16, 16] full x w2 [20, 20] full, alpha 16 scale 1: 1 module (down 1)');
    expect(text).toContain('    w1 [24, 24] full x w2 [32, 32] rank 4, alpha 8 scale 2: 1 module (te 1)');
    expect(text).toContain('trigger: sks girl');
  });

  it('describes a PEFT LoKr folder with PEFT scales; a LoRA file reports algorithm lora', async () => {
    const peft = join(tempDir(), 'peft-g');
    await writePeftLokr(peft);
    const result = await inspectLora(peft);
    expect(result).toMatchObject({ format: 'peft', algorithm: 'lokr', lokrFactor: -1 });
    expect(result.modules.find((m) => m.path === K)).toMatchObject({
      rank: 16,
      alpha: 8,
      scale: 0.5,
      alphaSource: 'config',
    });
    expect(formatInspection(result)).toContain("scale = PEFT's alpha / r");
    const lora = join(tempDir(), 'lora-peft');
    await writePeftFolder(lora, makePeftTensors({ modules: [Q], rank: 4, seed: 1 }), { r: 4, lora_alpha: 4 });
    expect((await inspectLora(lora)).algorithm).toBe('lora');
  });

  it('loader checks: A1111 / ComfyUI map LoKr parts, diffusers refuses them; the diffusers copy leaves LoKr alone', async () => {
    const name = kohyaName(Q);
    const keys = [`${name}.lokr_w1`, `${name}.lokr_w2_a`, `${name}.lokr_w2_b`, `${name}.alpha`];
    const [a1111, comfy, diffusers] = checkLoaderCompatibility(keys);
    expect(a1111).toMatchObject({ ok: true, unmappedKeys: [] });
    expect(comfy).toMatchObject({ ok: true, unmappedKeys: [] });
    expect(diffusers).toMatchObject({ ok: false, mappedKeys: 0 });
    expect(checkLoaderCompatibility([`${name}.lokr_w1`, `${name}.alpha`])[0]?.notes[0]).toContain('nor LoKr');

    const peft = join(tempDir(), 'peft-h');
    await writePeftLokr(peft, false);
    const file = join(tempDir(), 'h.safetensors');
    await convertLora({ input: peft, output: file });
    const cache = join(tempDir(), 'cache');
    await mkdir(cache);
    expect(await loraFileForDiffusers(file, cache)).toEqual({ path: file });
  });
});
