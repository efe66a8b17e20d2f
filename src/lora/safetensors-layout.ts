// src/lora/safetensors-layout.ts — how the writer lays a safetensors file out, pure: tensor byte sizes, the
// write order (wider dtypes first, then by name) and the length prefix + space-padded JSON header.
import { DTYPE_BYTES, type Dtype } from './safetensors-rules.js';

/** A tensor the writer lays out: name, dtype and shape (bytes follow separately). */
export interface TensorLayout {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
}

/** Byte size of a tensor layout. */
export function tensorByteSize(layout: { dtype: Dtype; shape: readonly number[] }): number {
  return layout.shape.reduce((n, d) => n * d, 1) * DTYPE_BYTES[layout.dtype];
}

/**
 * Stable write order: wider dtypes first (so every tensor stays aligned to its element size, as
 * Python safetensors does), then by name.
 */
export function orderForWrite<T extends TensorLayout>(tensors: readonly T[]): T[] {
  return [...tensors].sort(
    (a, b) => DTYPE_BYTES[b.dtype] - DTYPE_BYTES[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

/**
 * Builds the length prefix + JSON header for tensors in the given order. The JSON starts with `{"`
 * (AUTOMATIC1111 asserts it: `__metadata__` always comes first) and is padded with spaces to a
 * multiple of 8 bytes so the data section starts aligned.
 * @returns the bytes to write first and each tensor's [begin, end] in the data section.
 */
export function buildSafetensorsHeader(
  tensors: readonly TensorLayout[],
  metadata: Readonly<Record<string, string>>,
): { bytes: Uint8Array; offsets: Array<[number, number]>; dataBytes: number } {
  const header: Record<string, unknown> = Object.create(null);
  const meta: Record<string, string> = Object.create(null);
  for (const key of Object.keys(metadata).sort()) {
    const value = metadata[key];
    if (typeof value !== 'string') throw new TypeError(`metadata "${key}" must be a string`);
    meta[key] = value;
  }
  header.__metadata__ = meta;
  const offsets: Array<[number, number]> = [];
  let position = 0;
  for (const tensor of tensors) {
    if (Object.hasOwn(header, tensor.name)) throw new TypeError(`tensor "${tensor.name}" appears twice`);
    const size = tensorByteSize(tensor);
    header[tensor.name] = {
      dtype: tensor.dtype,
      shape: [...tensor.shape],
      data_offsets: [position, position + size],
    };
    offsets.push([position, position + size]);
    position += size;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const bytes = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(padded), true);
  bytes.set(json, 8);
  return { bytes, offsets, dataBytes: position };
}
