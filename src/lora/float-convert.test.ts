// Tests for float-convert.ts: exact widening, round-to-nearest-even narrowing (ties, subnormals,
// overflow, NaN) for F16 and BF16, checked exhaustively where the space is small.
import { describe, expect, it } from 'vitest';
import {
  bfloat16BitsToFloat32,
  convertFloatBytes,
  decodeScalar,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
} from './float-convert.js';
import { seededRandom } from './lora-fixtures.js';

const f32FromBits = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0] as number;

describe('float16', () => {
  it('every non-NaN half survives half -> float32 -> half', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const nan = (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;
      if (nan) expect(float16BitsToFloat32(bits)).toBeNaN();
      else expect(float32ToFloat16Bits(float16BitsToFloat32(bits))).toBe(bits);
    }
  });

  it('rounds halfway cases to even', () => {
    const ulp = 2 ** -10; // spacing of halves in [1, 2)
    expect(float32ToFloat16Bits(1 + ulp / 2)).toBe(0x3c00); // tie -> even (1.0)
    expect(float32ToFloat16Bits(1 + ulp * 1.5)).toBe(0x3c02); // tie -> even (1 + 2 ulp)
    expect(float32ToFloat16Bits(1 + ulp / 2 + 2 ** -20)).toBe(0x3c01); // above the tie -> up
    expect(float32ToFloat16Bits(-(1 + ulp / 2))).toBe(0xbc00);
  });

  it('handles subnormals, overflow, infinities and NaN', () => {
    expect(float32ToFloat16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0x0000); // tie between 0 and the smallest -> even 0
    expect(float32ToFloat16Bits(2 ** -25 * 1.5)).toBe(0x0001);
    expect(float32ToFloat16Bits(2 ** -14 - 2 ** -25)).toBe(0x0400); // rounds up into the normals
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff); // max half
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00); // tie above max -> Inf
    expect(float32ToFloat16Bits(1e10)).toBe(0x7c00);
    expect(float32ToFloat16Bits(Number.NEGATIVE_INFINITY)).toBe(0xfc00);
    expect(float32ToFloat16Bits(-0)).toBe(0x8000);
    const nan = float32ToFloat16Bits(Number.NaN);
    expect(nan & 0x7c00).toBe(0x7c00);
    expect(nan & 0x3ff).not.toBe(0);
  });
});

describe('bfloat16', () => {
  it('every non-NaN bfloat16 survives bf16 -> float32 -> bf16', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const nan = (bits & 0x7f80) === 0x7f80 && (bits & 0x7f) !== 0;
      if (!nan) expect(float32ToBfloat16Bits(bfloat16BitsToFloat32(bits))).toBe(bits);
    }
  });

  it('rounds to nearest even on the dropped 16 bits', () => {
    expect(float32ToBfloat16Bits(f32FromBits(0x3f808000))).toBe(0x3f80); // tie, even stays
    expect(float32ToBfloat16Bits(f32FromBits(0x3f818000))).toBe(0x3f82); // tie, odd rounds up
    expect(float32ToBfloat16Bits(f32FromBits(0x3f808001))).toBe(0x3f81); // above the tie
    expect(float32ToBfloat16Bits(f32FromBits(0x7f7fffff))).toBe(0x7f80); // max float32 -> Inf
    const nan = float32ToBfloat16Bits(f32FromBits(0x7f800001)); // NaN with only low payload bits
    expect(nan & 0x7f80).toBe(0x7f80);
    expect(nan & 0x7f).not.toBe(0);
  });
});

describe('convertFloatBytes', () => {
  it('F32 -> F16 -> F32 and F32 -> BF16 -> F32 are within half an ulp, F16 <-> BF16 goes through F32', () => {
    const values = new Float32Array([0, 1, -2.5, 0.1, 1234.5678, 3e-5]);
    const bytes = new Uint8Array(values.buffer);
    const half = convertFloatBytes(bytes, 'F32', 'F16');
    expect(half.byteLength).toBe(12);
    const back = new Float32Array(convertFloatBytes(half, 'F16', 'F32').buffer);
    for (const [i, v] of values.entries()) {
      expect(Math.abs((back[i] as number) - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 2 ** -25);
    }
    const bf = new Float32Array(
      convertFloatBytes(convertFloatBytes(bytes, 'F32', 'BF16'), 'BF16', 'F32').buffer,
    );
    for (const [i, v] of values.entries()) {
      expect(Math.abs((bf[i] as number) - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -8);
    }
    expect(convertFloatBytes(bytes, 'F32', 'F32')).toBe(bytes);
    const viaBf = convertFloatBytes(half, 'F16', 'BF16');
    expect(new Uint16Array(viaBf.buffer)[1]).toBe(0x3f80);
  });

  it('the bulk F32 -> F16 fast path equals the scalar routine on random bit patterns and ties', () => {
    const random = seededRandom(99);
    const bits = new Uint32Array(200_000);
    for (let i = 0; i < bits.length; i++) {
      const word = Math.floor(((random() + 1) / 2) * 2 ** 32) >>> 0;
      bits[i] = i % 2 === 0 ? word : ((word & ~0x1fff) | 0x1000) >>> 0; // every other one a tie
    }
    const bulk = new Uint16Array(convertFloatBytes(new Uint8Array(bits.buffer), 'F32', 'F16').buffer);
    const floats = new Float32Array(bits.buffer);
    for (let i = 0; i < bits.length; i++) {
      if (!Number.isNaN(floats[i])) expect(bulk[i]).toBe(float32ToFloat16Bits(floats[i] as number));
    }
  });

  it('works on unaligned views', () => {
    const raw = new Uint8Array(9);
    raw.set(new Uint8Array(new Float32Array([1.5, -3]).buffer), 1);
    const out = new Uint16Array(convertFloatBytes(raw.subarray(1), 'F32', 'F16').buffer);
    expect([...out]).toEqual([0x3e00, 0xc200]);
  });

  it('counts finite values that overflow to ±Inf, at the fp16 rounding edge too', () => {
    // 65504 is fp16's max; 65519.99 rounds down to it; 65520 rounds up to Inf; Inf and NaN were never finite.
    const values = [65504, 65519.99, 65520, -70000, 1e39, Number.POSITIVE_INFINITY, Number.NaN, 1];
    const stats = { overflowed: 0 };
    const half = new Uint16Array(
      convertFloatBytes(new Uint8Array(new Float32Array(values).buffer), 'F32', 'F16', undefined, stats)
        .buffer,
    );
    expect([...half]).toEqual(values.map((v) => float32ToFloat16Bits(v)));
    expect(stats.overflowed).toBe(2); // 65520 and -70000 (1e39 is already Inf in float32)
    const fromF64 = { overflowed: 0 };
    const f64 = new Uint8Array(new Float64Array(values).buffer);
    const viaF64 = new Uint16Array(convertFloatBytes(f64, 'F64', 'F16', undefined, fromF64).buffer);
    expect([...viaF64]).toEqual(values.map((v) => float32ToFloat16Bits(Math.fround(v))));
    expect(fromF64.overflowed).toBe(3); // and 1e39, finite as a double
    const bf = { overflowed: 0 };
    convertFloatBytes(f64, 'F64', 'BF16', undefined, bf);
    expect(bf.overflowed).toBe(1); // only 1e39
    const f32 = { overflowed: 0 };
    const wide = new Float32Array(convertFloatBytes(f64, 'F64', 'F32', undefined, f32).buffer);
    expect(wide[1]).toBe(Math.fround(65519.99));
    expect(f32.overflowed).toBe(1);
  });

  it('decodes alpha scalars of any float dtype', () => {
    expect(decodeScalar(new Uint8Array(new Float32Array([16]).buffer), 'F32')).toBe(16);
    expect(decodeScalar(new Uint8Array(new Uint16Array([0x4c00]).buffer), 'F16')).toBe(16);
    expect(decodeScalar(new Uint8Array(new Uint16Array([0x4180]).buffer), 'BF16')).toBe(16);
    expect(decodeScalar(new Uint8Array(new Float64Array([0.5]).buffer), 'F64')).toBe(0.5);
    expect(decodeScalar(new Uint8Array(1), 'U8')).toBeUndefined();
  });
});
