// Tests for LoKr support, the parts on their own: PEFT's factorization ported value for value, the LoKr
// key grammar, and the refusals (diffusers, mixed LoRA + LoKr, factors PEFT cannot hold).
// Conversion is in lokr-convert-*.test.ts, inspection and loader verdicts in lokr-inspect.test.ts;
// shared helpers and fixtures in lokr-testing.ts.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { inspectLora } from './inspect.js';
import { factorization, isLokrKeys, LOKR_PARTS, parseLokrKey, peftLokrShapes } from './lokr.js';
import {
  BLOCK,
  expectThrowsCode,
  kohyaName,
  Q,
  TE_Q,
  UNET_CONFIG,
  UNET_MODULES,
  V,
  writePeftLokr,
} from './lokr-testing.js';
import {
  type LokrFixtureModule,
  makeLokrTensors,
  makePeftTensors,
  writeFixtureFile,
  writePeftFolder,
} from './lora-fixtures.js';
import { openLora } from './open-lora.js';
import { tempDirPerFile } from './temp-dir-testing.js';

const tempDir = tempDirPerFile('toonlora-lokr-');

describe('factorization (PEFT 0.21.2 tuners/lokr/layer.py)', () => {
  it('matches the values Python gives', () => {
    const cases: Array<[number, number, [number, number]]> = [
      [320, -1, [16, 20]],
      [640, -1, [20, 32]],
      [1280, -1, [32, 40]],
      [768, -1, [24, 32]],
      [320, 8, [8, 40]],
      [640, 8, [8, 80]],
      [1280, 8, [8, 160]],
      [768, 8, [8, 96]],
      [320, 4, [4, 80]],
      [768, 4, [4, 192]],
      // Beyond the brief, also from peft 0.21.2: a divisor above the root, non-divisors, a prime.
      [320, 32, [32, 10]],
      [320, 3, [2, 160]],
      [320, 7, [5, 64]],
      [127, -1, [1, 127]],
    ];
    for (const [dimension, f, expected] of cases) expect(factorization(dimension, f)).toEqual(expected);
  });

  it("gives PEFT's factor shapes: w2 full from r >= max side / 2, w1 decomposed only with decompose_both", () => {
    expect(peftLokrShapes(320, 320, 4, -1, false)).toEqual({
      lokr_w1: [16, 16],
      lokr_w2_a: [20, 4],
      lokr_w2_b: [4, 20],
    });
    expect(peftLokrShapes(320, 320, 32, -1, false)).toEqual({ lokr_w1: [16, 16], lokr_w2: [20, 20] });
    expect(peftLokrShapes(320, 320, 10, -1, false)).toEqual({ lokr_w1: [16, 16], lokr_w2: [20, 20] });
    expect(peftLokrShapes(1280, 1280, 4, -1, true)).toEqual({
      lokr_w1_a: [32, 4],
      lokr_w1_b: [4, 32],
      lokr_w2_a: [40, 4],
      lokr_w2_b: [4, 40],
    });
    // Conv2d 3x3: w2 keeps the kernel, a decomposed w2_b flattens it.
    expect(peftLokrShapes(320, 320, 32, -1, false, [3, 3])).toEqual({
      lokr_w1: [16, 16],
      lokr_w2: [20, 20, 3, 3],
    });
    expect(peftLokrShapes(320, 320, 4, -1, false, [3, 3])).toMatchObject({ lokr_w2_b: [4, 180] });
  });
});

describe('LoKr key grammar', () => {
  it('parses kohya and PEFT LoKr keys, and tells LoKr files apart', () => {
    expect(parseLokrKey(`${kohyaName(`${BLOCK}.attn1.to_out.0`)}.lokr_w2_a`)).toEqual({
      style: 'kohya',
      component: 'unet',
      path: `${BLOCK}.attn1.to_out.0`,
      part: 'lokr_w2_a',
    });
    expect(parseLokrKey(`${kohyaName(TE_Q)}.alpha`)).toMatchObject({ component: 'text_encoder', path: TE_Q });
    expect(parseLokrKey(`base_model.model.${TE_Q}.lokr_w1`)).toMatchObject({
      style: 'peft',
      component: 'text_encoder',
    });
    expect(parseLokrKey(`base_model.model.${Q}.lokr_t2`)).toBeUndefined();
    expect(parseLokrKey(`base_model.model.${Q}.lora_A.weight`)).toBeUndefined();
    expect(isLokrKeys([`lora_unet_x.lora_up.weight`, `lora_unet_y.lokr_w1`])).toBe(true);
    expect(isLokrKeys([`lora_unet_x.lora_up.weight`])).toBe(false);
    expect(LOKR_PARTS).toHaveLength(6);
  });
});

describe('LoKr refusals', () => {
  it('refuses diffusers output with the reason, writing nothing', async () => {
    const peft = join(tempDir(), 'peft-d');
    await writePeftLokr(peft, false);
    const out = join(tempDir(), 'd-diffusers.safetensors');
    await expectThrowsCode(
      convertLora({ input: peft, output: out, to: 'diffusers' }),
      'TL_ERR_LORA_FORMAT',
      /LoKr .*diffusers' SD1\.5 loader \(load_lora_weights\) has no LoKr format.*--to kohya.*toonlora generate, the WebUI and ComfyUI/,
    );
    await expect(stat(out)).rejects.toThrow();
  });

  it('refuses LoRA and LoKr modules mixed in one file, even with dropUnknown', async () => {
    const file = join(tempDir(), 'mixed.safetensors');
    // A plain kohya LoRA module (lora_down / lora_up) beside a LoKr one.
    const lora = makePeftTensors({ modules: [V], rank: 4, seed: 1 }).map((t) => ({
      ...t,
      name: `${kohyaName(V)}.${t.name.endsWith('lora_A.weight') ? 'lora_down' : 'lora_up'}.weight`,
    }));
    await writeFixtureFile(file, [
      ...makeLokrTensors([UNET_MODULES[0] as LokrFixtureModule], 2, 'kohya'),
      ...lora,
    ]);
    for (const dropUnknown of [false, true]) {
      await expectThrowsCode(
        convertLora({ input: file, output: join(tempDir(), 'mixed-out.safetensors'), dropUnknown }),
        'TL_ERR_LORA_FORMAT',
        /holds both LoKr tensors .* and 2 LoRA tensor\(s\)/,
      );
    }
    const inspected = await inspectLora(file);
    expect(inspected.algorithm).toBe('lokr');
    expect(inspected.warnings.join(' ')).toContain('mixes LoRA and LoKr');
  });

  it('refuses kohya -> PEFT for factors PEFT cannot re-create', async () => {
    // 320 x 320 split 16 x 20 on the output side but 20 x 16 on the input side: no decompose_factor does that.
    const odd = join(tempDir(), 'odd.safetensors');
    await writeFixtureFile(
      odd,
      makeLokrTensors([{ path: Q, shapes: { lokr_w1: [16, 20], lokr_w2: [20, 16] } }], 4, 'kohya'),
    );
    await expectThrowsCode(
      convertLora({ input: odd, output: join(tempDir(), 'odd-peft'), to: 'peft' }),
      'TL_ERR_LORA_FORMAT',
      /no PEFT decompose_factor splits every module's features .*w1 \[16, 20\] x w2 \[20, 16\].*Keep the kohya file/,
    );
    // A rank PEFT would store as a full matrix (16 >= 20 / 2).
    const wide = join(tempDir(), 'wide.safetensors');
    await writeFixtureFile(
      wide,
      makeLokrTensors(
        [{ path: Q, shapes: { lokr_w1: [16, 16], lokr_w2_a: [20, 16], lokr_w2_b: [16, 20] } }],
        4,
        'kohya',
      ),
    );
    await expectThrowsCode(
      convertLora({ input: wide, output: join(tempDir(), 'wide-peft'), to: 'peft' }),
      'TL_ERR_LORA_FORMAT',
      /PEFT \(r 16, decompose_factor -1, decompose_both false\) would create lokr_w1 \[16,16\], lokr_w2 \[20,20\], but the file has/,
    );
    // Both still convert to kohya (loaders take any split).
    await convertLora({ input: odd, output: join(tempDir(), 'odd-kohya.safetensors') });
  });

  it('refuses a config that does not match the weights, and unknown LoKr parts unless dropped', async () => {
    const wrongType = join(tempDir(), 'peft-wrong-type');
    await writePeftFolder(wrongType, makeLokrTensors(UNET_MODULES, 7), { ...UNET_CONFIG, peft_type: 'LORA' });
    await expectThrowsCode(
      convertLora({ input: wrongType, output: join(tempDir(), 'x.safetensors') }),
      'TL_ERR_LORA_FORMAT',
      /peft_type "LORA" does not match the weights, which are LoKr tensors/,
    );
    const wrongRank = join(tempDir(), 'peft-wrong-rank');
    await writePeftFolder(wrongRank, makeLokrTensors(UNET_MODULES, 7), { ...UNET_CONFIG, r: 8 });
    await expectThrowsCode(
      convertLora({ input: wrongRank, output: join(tempDir(), 'y.safetensors') }),
      'TL_ERR_LORA_FORMAT',
      /config gives rank 8 .* tensors have rank 4/,
    );
    const tucker = join(tempDir(), 'tucker.safetensors');
    const t2 = {
      name: `${kohyaName(V)}.lokr_t2`,
      dtype: 'F32' as const,
      shape: [2, 2],
      data: new Float32Array(4),
    };
    await writeFixtureFile(tucker, [...makeLokrTensors(UNET_MODULES, 5, 'kohya'), t2]);
    await expectThrowsCode(
      convertLora({ input: tucker, output: join(tempDir(), 'tucker-out.safetensors') }),
      'TL_ERR_LORA_FORMAT',
      /lokr_t2.*LoKr Tucker cores .* are not supported/,
    );
    const dropped = await convertLora({
      input: tucker,
      output: join(tempDir(), 'tucker-out.safetensors'),
      dropUnknown: true,
    });
    expect(dropped.modules).toBe(3);
    expect(dropped.warnings.join(' ')).toContain('1 LoKr module(s) they belong to');
  });

  it('openLora (LoRA only) names a LoKr file for what it is', async () => {
    const peft = join(tempDir(), 'peft-e');
    await writePeftLokr(peft, false);
    await expectThrowsCode(
      openLora(peft),
      'TL_ERR_LORA_FORMAT',
      /is a LoKr \(LyCORIS Kronecker-product\) adapter/,
    );
  });
});
