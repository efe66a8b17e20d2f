// Tests for non-finite.ts: NaN / ±Inf found in every float dtype by the exponent bits (finite extremes,
// subnormals and -0 are not), across chunk edges that split an element, and the warning's wording.
import { describe, expect, it } from 'vitest';
import { float32ToBfloat16Bits, float32ToFloat16Bits } from './float-convert.js';
import { hasNonFinite, nonFiniteScanner, nonFiniteWarning } from './non-finite.js';

const f16 = (values: number[]) => new Uint8Array(Uint16Array.from(values.map(float32ToFloat16Bits)).buffer);
const bf16 = (values: number[]) => new Uint8Array(Uint16Array.from(values.map(float32ToBfloat16Bits)).buffer);
const f32 = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
const f64 = (values: number[]) => new Uint8Array(Float64Array.from(values).buffer);

describe('hasNonFinite', () => {
  const finite = [0, -0, 1, -2.5, 65504, -65504, 6e-8, 1e-40];
  it('finds NaN, +Inf and -Inf in F16, BF16, F32 and F64; finite extremes and subnormals are not', () => {
    for (const [dtype, encode] of [
      ['F16', f16],
      ['BF16', bf16],
      ['F32', f32],
      ['F64', f64],
    ] as const) {
      expect(hasNonFinite(encode(finite), dtype), dtype).toBe(false);
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])
        expect(hasNonFinite(encode([...finite, bad, 1]), dtype), `${dtype} ${bad}`).toBe(true);
    }
    expect(hasNonFinite(f64([Number.MAX_VALUE, -Number.MIN_VALUE]), 'F64')).toBe(false);
  });

  it('reads unaligned views (odd byte offsets) the same', () => {
    const bytes = new Uint8Array(1 + 12);
    bytes.set(f32([1, Number.NaN, 2]), 1);
    expect(hasNonFinite(bytes.subarray(1), 'F32')).toBe(true);
    bytes.set(f32([1, 3, 2]), 1);
    expect(hasNonFinite(bytes.subarray(1), 'F32')).toBe(false);
  });
});

describe('nonFiniteScanner', () => {
  it('finds a value split across chunk edges, and never scans non-float dtypes', () => {
    const bytes = f32([1, 2, Number.POSITIVE_INFINITY, 4]);
    for (const cut of [1, 2, 3, 5, 9, 10, 11]) {
      const scan = nonFiniteScanner('F32');
      scan.push(bytes.subarray(0, cut));
      scan.push(bytes.subarray(cut, 11));
      scan.push(bytes.subarray(11));
      expect(scan.found, `cut at ${cut}`).toBe(true);
    }
    const clean = nonFiniteScanner('F16');
    const half = f16([1, 2, 3]);
    clean.push(half.subarray(0, 3));
    clean.push(half.subarray(3));
    expect(clean.found).toBe(false);
    const ints = nonFiniteScanner('I32');
    ints.push(new Uint8Array([0xff, 0xff, 0x80, 0x7f]));
    expect(ints.found).toBe(false);
  });

  it('the warning names the count, an example tensor and the effect', () => {
    expect(nonFiniteWarning(['a.lora_up.weight', 'b'])).toMatch(
      /^2 tensor\(s\) hold NaN or Inf values \(e\.g\. "a\.lora_up\.weight"\): images generated with this LoRA will be black \/ broken\./,
    );
  });
});
