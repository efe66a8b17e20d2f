// src/lora/non-finite.ts — finds NaN / ±Inf values in float tensor bytes (pure), for convert's warning:
// a LoRA that overflowed in fp16 training holds them, and every image made with it comes out black.
// The test is on the exponent bits only (all ones), so it never decodes a value.
import { type FloatDtype, floatWidth, isFloatDtype } from './float-convert.js';
import type { Dtype } from './safetensors-format.js';

/** Exponent mask per dtype, over the element (F16 / BF16 / F32) or its high 32-bit word (F64). */
const EXPONENT_MASK: Readonly<Record<FloatDtype, number>> = {
  F16: 0x7c00,
  BF16: 0x7f80,
  F32: 0x7f800000,
  F64: 0x7ff00000,
};

/** Whether an element of `bytes` (little-endian `dtype`, a whole number of elements) is NaN or ±Inf. */
export function hasNonFinite(bytes: Uint8Array, dtype: FloatDtype): boolean {
  const width = floatWidth(dtype);
  const aligned = bytes.byteOffset % Math.min(width, 4) === 0 ? bytes : bytes.slice();
  const count = Math.floor(aligned.byteLength / width);
  const mask = EXPONENT_MASK[dtype];
  if (width === 2) {
    const values = new Uint16Array(aligned.buffer, aligned.byteOffset, count);
    for (let i = 0; i < values.length; i++) if (((values[i] as number) & mask) === mask) return true;
    return false;
  }
  // F32: every word; F64: the high (second, little-endian) word of each element.
  const words = new Uint32Array(aligned.buffer, aligned.byteOffset, (count * width) / 4);
  const step = width / 4;
  for (let i = step - 1; i < words.length; i += step) if (((words[i] as number) & mask) === mask) return true;
  return false;
}

/**
 * A scanner for one tensor's bytes arriving in chunks whose edges may split an element (the split
 * bytes are carried into the next chunk). `found` turns true at the first NaN / ±Inf; later chunks
 * are then skipped. Non-float dtypes are never scanned.
 */
export function nonFiniteScanner(dtype: Dtype): { push(chunk: Uint8Array): void; readonly found: boolean } {
  let found = false;
  if (!isFloatDtype(dtype)) return { push: () => {}, found };
  const width = floatWidth(dtype);
  let carry = new Uint8Array(0);
  return {
    push(chunk) {
      if (found) return;
      let bytes = chunk;
      if (carry.byteLength > 0) {
        bytes = new Uint8Array(carry.byteLength + chunk.byteLength);
        bytes.set(carry);
        bytes.set(chunk, carry.byteLength);
      }
      const whole = bytes.byteLength - (bytes.byteLength % width);
      carry = bytes.slice(whole);
      if (hasNonFinite(bytes.subarray(0, whole), dtype)) found = true;
    },
    get found() {
      return found;
    },
  };
}

/** convert's warning for tensors that hold NaN / ±Inf (`tensors`: their names in the source file). */
export function nonFiniteWarning(tensors: readonly string[]): string {
  return `${tensors.length} tensor(s) hold NaN or Inf values (e.g. "${tensors[0]}"): images generated with this LoRA will be black / broken. Such values usually come from an fp16 overflow in training: use an earlier checkpoint, or retrain (bf16, a lower learning rate).`;
}
