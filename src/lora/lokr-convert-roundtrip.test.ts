// Tests for LoKr conversion kohya -> PEFT -> kohya (lokr-plan.ts, convert-lokr.ts, open-adapter.ts): the inferred
// PEFT config's shape rules re-create the file's shapes (a fixed decompose_factor and decompose_both found from
// them, a decomposed 3 x 3 conv read), every delta W is kept, and PEFT -> PEFT / kohya -> kohya keep r / alpha and
// bytes while converting precision. Helpers and fixtures in lokr-testing.ts.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { inspectLora } from './inspect.js';
import { formatInspection } from './inspect-text.js';
import { LOKR_PARTS, peftLokrShapes } from './lokr.js';
import {
  factor,
  K,
  K2,
  kohyaAlphas,
  kohyaName,
  lycorisDelta,
  maxRelDiff,
  PEFT_SCALES,
  peftDelta,
  Q,
  readAll,
  readMetadata,
  TE_Q,
  UNET_MODULES,
  V,
  writePeftLokr,
} from './lokr-testing.js';
import { type LokrFixtureModule, makeLokrTensors, writeFixtureFile } from './lora-fixtures.js';
import { parsePeftLokrConfig, peftLokrModuleRank } from './peft-config.js';
import { tempDirPerFile } from './temp-dir-testing.js';

const tempDir = tempDirPerFile('toonlora-lokr-');

describe('kohya LoKr -> PEFT -> kohya', () => {
  it('infers a config whose PEFT shape rules re-create every tensor, and keeps every delta W', async () => {
    const peft = join(tempDir(), 'peft-b');
    await writePeftLokr(peft);
    const kohyaFile = join(tempDir(), 'b.safetensors');
    await convertLora({ input: peft, output: kohyaFile });
    const back = join(tempDir(), 'b-peft');
    const result = await convertLora({ input: kohyaFile, output: back, to: 'peft' });
    expect(result).toMatchObject({ from: 'kohya', to: 'peft', algorithm: 'lokr', modules: 5 });

    const kohya = await readAll(kohyaFile);
    for (const [folder, paths] of [
      [back, UNET_MODULES.map((m) => m.path)],
      [join(back, 'text_encoder'), [TE_Q]],
    ] as const) {
      const rawConfig = JSON.parse(await readFile(join(folder, 'adapter_config.json'), 'utf8'));
      const config = parsePeftLokrConfig(rawConfig, 'adapter_config.json');
      expect(config).toMatchObject({ peft_type: 'LOKR', decompose_factor: -1, decompose_both: false });
      const tensors = await readAll(join(folder, 'adapter_model.safetensors'));
      expect(tensors.size).toBe(paths.reduce((n, p) => n + (p === K || p === V ? 2 : 3), 0));
      for (const path of paths) {
        // PEFT's own rules (ported) on the written config give exactly the file's shapes.
        const { r, alpha } = peftLokrModuleRank(config, path);
        const w1 = factor(tensors, `base_model.model.${path}`, 1);
        const w2 = factor(tensors, `base_model.model.${path}`, 2);
        const shapes = peftLokrShapes(
          w1.rows * w2.rows,
          w1.cols * w2.cols,
          r,
          config.decompose_factor,
          false,
        );
        const actual = Object.fromEntries(
          LOKR_PARTS.flatMap((p) => {
            const t = tensors.get(`base_model.model.${path}.${p}`);
            return t ? [[p, [...t.shape]]] : [];
          }),
        );
        expect(shapes).toEqual(actual);
        // Same delta W as the kohya file, under PEFT's alpha / r.
        expect(
          maxRelDiff(lycorisDelta(kohya, kohyaName(path)), peftDelta(tensors, path, alpha / r)),
        ).toBeLessThan(1e-6);
      }
    }
    // Full-full modules: r = alpha = max(lokr_w2) (scale 1, as the loaders), in the patterns.
    const unetConfig = JSON.parse(await readFile(join(back, 'adapter_config.json'), 'utf8'));
    expect(unetConfig).toMatchObject({
      r: 4,
      alpha: 2, // Q's 2 and K2's 4 tie at r 4: the smaller wins
      rank_pattern: { [K]: 20, [V]: 20 },
      alpha_pattern: { [K2]: 4, [K]: 20, [V]: 20 },
      target_modules: [K, Q, V, K2].sort(),
    });

    // And back to kohya: same deltas again.
    const again = join(tempDir(), 'b-again.safetensors');
    await convertLora({ input: back, output: again });
    const twice = await readAll(again);
    for (const path of [...UNET_MODULES.map((m) => m.path), TE_Q]) {
      expect(
        maxRelDiff(lycorisDelta(kohya, kohyaName(path)), lycorisDelta(twice, kohyaName(path))),
      ).toBeLessThan(1e-6);
    }
  });

  it('finds a fixed decompose_factor and decompose_both from the shapes, preferring the metadata factor', async () => {
    const file = join(tempDir(), 'factor8.safetensors');
    const modules: LokrFixtureModule[] = [
      // factor 8: 320 = 8 x 40, 768 = 8 x 96; decompose_both: w1 [8, 8] would be full at r 2 (2 >= 8 / 2 fails: decomposed).
      { path: Q, shapes: { lokr_w1_a: [8, 2], lokr_w1_b: [2, 8], lokr_w2_a: [40, 2], lokr_w2_b: [2, 40] } },
      { path: K2, shapes: { lokr_w1_a: [8, 2], lokr_w1_b: [2, 8], lokr_w2_a: [40, 2], lokr_w2_b: [2, 96] } },
    ];
    const alphas = kohyaAlphas(modules, 1);
    await writeFixtureFile(file, [...makeLokrTensors(modules, 3, 'kohya'), ...alphas], {
      ss_network_args: '{"algo": "lokr", "factor": "8"}',
    });
    const out = join(tempDir(), 'factor8-peft');
    await convertLora({ input: file, output: out, to: 'peft' });
    const config = JSON.parse(await readFile(join(out, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({
      r: 2,
      alpha: 1,
      decompose_factor: 8,
      decompose_both: true,
      rank_pattern: {},
    });
    // The same file without the metadata: 8 is still found from the first-factor sides.
    const plain = join(tempDir(), 'factor8-plain.safetensors');
    await writeFixtureFile(plain, [...makeLokrTensors(modules, 3, 'kohya'), ...alphas]);
    await convertLora({ input: plain, output: join(tempDir(), 'factor8-plain-peft'), to: 'peft' });
    const inferred = JSON.parse(
      await readFile(join(tempDir(), 'factor8-plain-peft', 'adapter_config.json'), 'utf8'),
    );
    expect(inferred.decompose_factor).toBe(8);
  });

  it('PEFT -> PEFT keeps every module r / alpha (a full-full scale stays in the config), converting precision', async () => {
    const peft = join(tempDir(), 'peft-pp');
    await writePeftLokr(peft);
    const out = join(tempDir(), 'peft-pp-out');
    const result = await convertLora({ input: peft, output: out, to: 'peft', precision: 'fp32' });
    expect(result).toMatchObject({ from: 'peft', to: 'peft', algorithm: 'lokr', modules: 5 });
    const config = parsePeftLokrConfig(
      JSON.parse(await readFile(join(out, 'adapter_config.json'), 'utf8')),
      'adapter_config.json',
    );
    for (const path of UNET_MODULES.map((m) => m.path)) {
      const { r, alpha } = peftLokrModuleRank(config, path);
      expect(alpha / r).toBe(PEFT_SCALES[path]);
    }
    expect(peftLokrModuleRank(config, K)).toEqual({ r: 16, alpha: 8 });
    const teConfig = JSON.parse(await readFile(join(out, 'text_encoder', 'adapter_config.json'), 'utf8'));
    expect(teConfig).toMatchObject({ peft_type: 'LOKR', r: 4, alpha: 8, target_modules: [TE_Q] });
    const a = await readAll(join(peft, 'adapter_model.safetensors'));
    const b = await readAll(join(out, 'adapter_model.safetensors'));
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [name, t] of a)
      expect(Buffer.from(b.get(name)?.bytes ?? []).equals(Buffer.from(t.bytes))).toBe(true);
  });

  it('kohya -> kohya keeps bytes and metadata, converting precision', async () => {
    const peft = join(tempDir(), 'peft-c');
    await writePeftLokr(peft, false);
    const first = join(tempDir(), 'c.safetensors');
    await convertLora({ input: peft, output: first, trainingFacts: { outputName: 'c' } });
    const bf16 = join(tempDir(), 'c-bf16.safetensors');
    const result = await convertLora({ input: first, output: bf16, precision: 'bf16' });
    expect(result).toMatchObject({ from: 'kohya', to: 'kohya', algorithm: 'lokr' });
    const a = await readAll(first);
    const b = await readAll(bf16);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    expect(b.get(`${kohyaName(Q)}.lokr_w1`)?.dtype).toBe('BF16');
    expect(b.get(`${kohyaName(Q)}.alpha`)).toEqual(a.get(`${kohyaName(Q)}.alpha`));
    expect((await readMetadata(bf16)).ss_output_name).toBe('c');
  });

  it('reads a decomposed 3 x 3 conv w2 (lokr_w2_b [r, in_n * 9]) and converts it to PEFT and back', async () => {
    // LyCORIS / PEFT store a decomposed conv w2 flattened: conv1 320 -> 320, 3 x 3 = w1 [16, 16] x w2 [20, 20, 3, 3].
    const conv = 'down_blocks.0.resnets.0.conv1';
    const modules: LokrFixtureModule[] = [
      { path: conv, shapes: { lokr_w1: [16, 16], lokr_w2_a: [20, 4], lokr_w2_b: [4, 180] } },
      { path: Q, shapes: { lokr_w1: [16, 16], lokr_w2_a: [20, 4], lokr_w2_b: [4, 20] } },
    ];
    const alphas = kohyaAlphas(modules, 2);
    const file = join(tempDir(), 'conv.safetensors');
    await writeFixtureFile(file, [...makeLokrTensors(modules, 5, 'kohya'), ...alphas]);

    const inspected = await inspectLora(file);
    expect(inspected.modules.find((m) => m.path === conv)?.lokr).toEqual({
      w1: { shape: [16, 16], decomposed: false },
      w2: { shape: [20, 20, 3, 3], decomposed: true, rank: 4 },
    });
    expect(formatInspection(inspected)).toContain(
      'w1 [16, 16] full x w2 [20, 20, 3, 3] rank 4, alpha 2 scale 0.5',
    );

    const out = join(tempDir(), 'conv-peft');
    await convertLora({ input: file, output: out, to: 'peft' });
    const config = parsePeftLokrConfig(
      JSON.parse(await readFile(join(out, 'adapter_config.json'), 'utf8')),
      'adapter_config.json',
    );
    expect(config).toMatchObject({ r: 4, alpha: 2, decompose_factor: -1, decompose_both: false });
    // PEFT's rules for a 3 x 3 Conv2d of 320 channels give exactly the file's tensors.
    expect(peftLokrShapes(320, 320, config.r, config.decompose_factor, false, [3, 3])).toEqual(
      modules[0]?.shapes,
    );
    const again = join(tempDir(), 'conv-again.safetensors');
    await convertLora({ input: out, output: again });
    const [before, after] = [await readAll(file), await readAll(again)];
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [name, tensor] of before) expect(after.get(name)?.bytes).toEqual(tensor.bytes);
  });
});
