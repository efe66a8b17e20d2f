// src/lora/float-convert.ts — pure float format conversion for tensor bytes: F32 <-> F16 / BF16 with
// round-to-nearest-even (what torch's `.half()` / `.bfloat16()` do), F16 / BF16 -> F32 exactly.
import type { Dtype } from './safetensors-format.js';

/** Dtypes `--precision` can produce, by their flag name. */
export const PRECISION_DTYPES = { fp32: 'F32', fp16: 'F16', bf16: 'BF16' } as const satisfies Record<
  string,
  Dtype
>;
export type Precision = keyof typeof PRECISION_DTYPES;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bits of a float32 value, round-to-nearest-even; overflow -> ±Inf, NaN stays NaN (quiet). */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  return f32BitsToF16Bits(u32[0] as number);
}

function f32BitsToF16Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200 | (mantissa >>> 13));
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the full 24-bit significand, round to nearest even.
    if (e < -10) return sign;
    const significand = mantissa | 0x800000;
    const shift = 14 - e;
    const half = significand >>> shift;
    const remainder = significand & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    const roundUp = remainder > midpoint || (remainder === midpoint && (half & 1) === 1);
    return sign | (half + (roundUp ? 1 : 0));
  }
  const half = (e << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  const roundUp = remainder > 0x1000 || (remainder === 0x1000 && (half & 1) === 1);
  // A carry out of the mantissa correctly bumps the exponent (up to Inf).
  return sign | (half + (roundUp ? 1 : 0));
}

/** float32 value of IEEE binary16 bits (exact). */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

function f32BitsToBf16Bits(bits: number): number {
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return ((bits >>> 16) | 0x40) & 0xffff;
  const rounding = 0x7fff + ((bits >>> 16) & 1);
  return ((bits + rounding) >>> 16) & 0xffff;
}

/** bfloat16 bits of a float32 value, round-to-nearest-even; NaN stays NaN (quiet). */
export function float32ToBfloat16Bits(value: number): number {
  f32[0] = value;
  return f32BitsToBf16Bits(u32[0] as number);
}

/** float32 value of bfloat16 bits (exact). */
export function bfloat16BitsToFloat32(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0] as number;
}

/** Float dtypes conversion handles; anything else is copied as is. */
export type FloatDtype = 'F64' | 'F32' | 'F16' | 'BF16';

export function isFloatDtype(dtype: Dtype): dtype is FloatDtype {
  return dtype === 'F64' || dtype === 'F32' || dtype === 'F16' || dtype === 'BF16';
}

/** Bytes per element of a float dtype. */
export function floatWidth(dtype: FloatDtype): 8 | 4 | 2 {
  return dtype === 'F64' ? 8 : dtype === 'F32' ? 4 : 2;
}

/** Counts what a conversion lost: finite values that became ±Inf (beyond the target's range). */
export interface ConversionStats {
  overflowed: number;
}

/**
 * Converts little-endian tensor bytes between float dtypes. `input.byteLength` must be a multiple
 * of the source element size. Returns `input` itself when the dtypes match; writes into
 * `outBuffer` when it is given and large enough.
 */
export function convertFloatBytes(
  input: Uint8Array,
  from: FloatDtype,
  to: FloatDtype,
  outBuffer?: ArrayBuffer,
  stats?: ConversionStats,
): Uint8Array {
  if (from === to) return input;
  const count = input.byteLength / floatWidth(from);
  const outBytes = count * floatWidth(to);
  // Callers may pass a reusable buffer (convert.ts pools them); a fresh one otherwise.
  const buffer = outBuffer && outBuffer.byteLength >= outBytes ? outBuffer : new ArrayBuffer(outBytes);
  if (from === 'F32' && to !== 'F64') {
    const out = new Uint16Array(buffer, 0, count);
    const overflowed =
      to === 'F16' ? f32ToF16Array(readAsUint32(input), out) : f32ToBf16Array(readAsUint32(input), out);
    if (stats) stats.overflowed += overflowed;
    return new Uint8Array(buffer, 0, outBytes);
  }
  if ((from === 'F16' || from === 'BF16') && to === 'F32') {
    // Exact widening straight into the output (no overflow possible).
    const source = readAsUint16(input);
    const toFloat = from === 'F16' ? float16BitsToFloat32 : bfloat16BitsToFloat32;
    const out = new Float32Array(buffer, 0, count);
    for (let i = 0; i < count; i++) out[i] = toFloat(source[i] as number);
    return new Uint8Array(buffer, 0, outBytes);
  }
  const values = decodeFloats(input, from);
  const overflowed = encodeFloats(values, to, buffer);
  if (stats) stats.overflowed += overflowed;
  return new Uint8Array(buffer, 0, outBytes);
}

/** Element values of float bytes (F64 / F16 / BF16; F32 too, for F32 -> F64). */
function decodeFloats(input: Uint8Array, from: FloatDtype): ArrayLike<number> {
  if (from === 'F64') {
    const aligned = input.byteOffset % 8 === 0 ? input : input.slice();
    return new Float64Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 8);
  }
  if (from === 'F32') {
    const aligned = input.byteOffset % 4 === 0 ? input : input.slice();
    return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
  }
  const source = readAsUint16(input);
  const toFloat = from === 'F16' ? float16BitsToFloat32 : bfloat16BitsToFloat32;
  const out = new Float32Array(source.length);
  for (let i = 0; i < source.length; i++) out[i] = toFloat(source[i] as number);
  return out;
}

/**
 * Writes `values` as `to` into `buffer`; returns how many finite values overflowed to ±Inf. F64
 * goes through float32 first for F16 / BF16, as torch's `.half()` / `.bfloat16()` on a double tensor.
 */
function encodeFloats(values: ArrayLike<number>, to: FloatDtype, buffer: ArrayBuffer): number {
  const count = values.length;
  let overflowed = 0;
  if (to === 'F64' || to === 'F32') {
    const out = to === 'F64' ? new Float64Array(buffer, 0, count) : new Float32Array(buffer, 0, count);
    for (let i = 0; i < count; i++) {
      const value = values[i] as number;
      out[i] = value;
      if (!Number.isFinite(out[i] as number) && Number.isFinite(value)) overflowed++;
    }
    return overflowed;
  }
  const out = new Uint16Array(buffer, 0, count);
  const toBits = to === 'F16' ? float32ToFloat16Bits : float32ToBfloat16Bits;
  const infBits = to === 'F16' ? 0x7c00 : 0x7f80;
  for (let i = 0; i < count; i++) {
    const value = values[i] as number;
    const bits = toBits(value);
    out[i] = bits;
    if ((bits & 0x7fff) === infBits && Number.isFinite(value)) overflowed++;
  }
  return overflowed;
}

// The bulk loops below each see one typed-array kind only, so V8 keeps their element access
// monomorphic (a shared loop over Uint32Array | Uint16Array measured ~2x slower).

/** Returns how many finite values overflowed to ±Inf. */
function f32ToF16Array(source: Uint32Array, out: Uint16Array): number {
  const count = source.length;
  let overflowed = 0;
  for (let i = 0; i < count; i++) {
    const bits = source[i] as number;
    const exponent = (bits >>> 23) & 0xff;
    // Fast path: the result is a normal half (exponent 113..141, where rounding cannot carry into
    // Inf); everything else, overflow included, takes the full routine and is counted there.
    if (exponent > 112 && exponent < 142) {
      // Round to nearest even by adding 0xfff + the kept LSB before dropping 13 bits; a carry moves
      // into the exponent (up to Inf) by itself. Then rebias the exponent from 127 to 15.
      const abs = bits & 0x7fffffff;
      out[i] = ((bits >>> 16) & 0x8000) | (((abs + 0xfff + ((abs >>> 13) & 1)) >>> 13) - (112 << 10));
    } else {
      const half = f32BitsToF16Bits(bits);
      out[i] = half;
      if ((half & 0x7fff) === 0x7c00 && exponent !== 0xff) overflowed++;
    }
  }
  return overflowed;
}

/** Returns how many finite values overflowed to ±Inf (only the largest float32s round up that far). */
function f32ToBf16Array(source: Uint32Array, out: Uint16Array): number {
  const count = source.length;
  let overflowed = 0;
  for (let i = 0; i < count; i++) {
    const bits = source[i] as number;
    const half = f32BitsToBf16Bits(bits);
    out[i] = half;
    if ((half & 0x7fff) === 0x7f80 && (bits & 0x7f800000) !== 0x7f800000) overflowed++;
  }
  return overflowed;
}

/** Element bits as unsigned ints; copies only when the bytes are not aligned for a typed view. */
function readAsUint32(input: Uint8Array): Uint32Array {
  const aligned = input.byteOffset % 4 === 0 ? input : input.slice();
  return new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
}

function readAsUint16(input: Uint8Array): Uint16Array {
  const aligned = input.byteOffset % 2 === 0 ? input : input.slice();
  return new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2);
}

/** Decodes one scalar (e.g. a kohya `.alpha`) from its bytes; undefined for non-float dtypes it does not know. */
export function decodeScalar(bytes: Uint8Array, dtype: Dtype): number | undefined {
  if (bytes.byteLength === 0) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'F32':
      return view.getFloat32(0, true);
    case 'F64':
      return view.getFloat64(0, true);
    case 'F16':
      return float16BitsToFloat32(view.getUint16(0, true));
    case 'BF16':
      return bfloat16BitsToFloat32(view.getUint16(0, true));
    case 'I64':
      return Number(view.getBigInt64(0, true));
    case 'I32':
      return view.getInt32(0, true);
    default:
      return undefined;
  }
}
