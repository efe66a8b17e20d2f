// Tests for LoKr conversion PEFT -> kohya (lokr-plan.ts, convert-lokr.ts): every module's delta W is kept (PEFT's
// alpha / r against LyCORIS' alpha / dim or 1, baked into lokr_w1 where both factors are full), the factors are
// copied byte for byte or converted to fp16. Helpers and fixtures in lokr-testing.ts.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { float32ToFloat16Bits } from './float-convert.js';
import { LOKR_PARTS } from './lokr.js';
import {
  asF32,
  K,
  K2,
  kohyaName,
  lycorisDelta,
  maxRelDiff,
  PEFT_SCALES,
  peftDelta,
  Q,
  readAll,
  TE_Q,
  type Tensor,
  UNET_MODULES,
  V,
  writePeftLokr,
} from './lokr-testing.js';
import { tempDirPerFile } from './temp-dir-testing.js';

const tempDir = tempDirPerFile('toonlora-lokr-');

describe('PEFT LoKr folder -> kohya', () => {
  it('writes LyCORIS keys and alphas, copies bytes, bakes full-full scales, keeps every delta W', async () => {
    const peft = join(tempDir(), 'peft-a');
    await writePeftLokr(peft);
    const out = join(tempDir(), 'a.safetensors');
    const result = await convertLora({ input: peft, output: out });
    expect(result).toMatchObject({ from: 'peft', to: 'kohya', algorithm: 'lokr', modules: 5, warnings: [] });

    const kohya = await readAll(out);
    const expectedKeys = [
      ...UNET_MODULES.flatMap((m) =>
        [...Object.keys(m.shapes), 'alpha'].map((p) => `${kohyaName(m.path)}.${p}`),
      ),
      ...['lokr_w1', 'lokr_w2_a', 'lokr_w2_b', 'alpha'].map((p) => `${kohyaName(TE_Q)}.${p}`),
    ].sort();
    expect([...kohya.keys()].sort()).toEqual(expectedKeys);
    expect(kohyaName(Q)).toBe('lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q');

    // .alpha: the PEFT alpha for decomposed modules (dim == r), PEFT's r where both factors are full.
    const alpha = (path: string) => {
      const t = kohya.get(`${kohyaName(path)}.alpha`) as Tensor;
      expect(t).toMatchObject({ dtype: 'F32', shape: [] });
      return asF32(t.bytes)[0];
    };
    expect([alpha(Q), alpha(K), alpha(V), alpha(K2), alpha(TE_Q)]).toEqual([2, 16, 12, 4, 8]);

    // Every factor is copied byte for byte, except the full-full module with scale != 1 (K).
    const source = new Map([
      ...(await readAll(join(peft, 'adapter_model.safetensors'))),
      ...(await readAll(join(peft, 'text_encoder', 'adapter_model.safetensors'))),
    ]);
    for (const m of [...UNET_MODULES.map((u) => u.path), TE_Q]) {
      for (const part of LOKR_PARTS) {
        const from = source.get(`base_model.model.${m}.${part}`);
        const to = kohya.get(`${kohyaName(m)}.${part}`);
        expect(Boolean(from)).toBe(Boolean(to));
        if (!from || !to || (m === K && part === 'lokr_w1')) continue;
        expect(Buffer.from(to.bytes).equals(Buffer.from(from.bytes))).toBe(true);
      }
    }
    const w1 = asF32((source.get(`base_model.model.${K}.lokr_w1`) as Tensor).bytes);
    const baked = asF32((kohya.get(`${kohyaName(K)}.lokr_w1`) as Tensor).bytes);
    expect(Array.from(baked)).toEqual(Array.from(w1, (v) => Math.fround(v * 0.5)));

    // delta W: PEFT semantics on the input == LyCORIS semantics on the output.
    for (const m of [...UNET_MODULES.map((u) => u.path), TE_Q]) {
      const expected = peftDelta(source, m, PEFT_SCALES[m] as number);
      expect(maxRelDiff(expected, lycorisDelta(kohya, kohyaName(m)))).toBeLessThan(1e-6);
    }
  });

  it('fp16 precision converts factors (baked ones after baking), alphas stay float32', async () => {
    const peft = join(tempDir(), 'peft-fp16');
    await writePeftLokr(peft, false);
    const out = join(tempDir(), 'fp16.safetensors');
    await convertLora({ input: peft, output: out, precision: 'fp16' });
    const kohya = await readAll(out);
    const source = await readAll(join(peft, 'adapter_model.safetensors'));
    const half = (t: Tensor) => Array.from(new Uint16Array(t.bytes.slice().buffer));
    const q = kohya.get(`${kohyaName(Q)}.lokr_w2_a`) as Tensor;
    expect(q.dtype).toBe('F16');
    expect(half(q)).toEqual(
      Array.from(
        asF32((source.get(`base_model.model.${Q}.lokr_w2_a`) as Tensor).bytes),
        float32ToFloat16Bits,
      ),
    );
    const k = kohya.get(`${kohyaName(K)}.lokr_w1`) as Tensor;
    expect(half(k)).toEqual(
      Array.from(asF32((source.get(`base_model.model.${K}.lokr_w1`) as Tensor).bytes), (v) =>
        float32ToFloat16Bits(Math.fround(v * 0.5)),
      ),
    );
    expect(kohya.get(`${kohyaName(K)}.alpha`)?.dtype).toBe('F32');
  });
});
