// src/lora/safetensors-entries.ts — validation of a parsed safetensors header's parts, pure: forbidden keys,
// `__metadata__` (string -> string), each tensor entry (dtype, shape, offsets, size) and the data section being
// covered exactly once. Each broken rule is its own TL_ERR_SAFETENSORS naming the tensor.
import { DTYPE_BYTES, type Dtype, safetensorsError, type TensorEntry } from './safetensors-rules.js';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function rejectForbidden(keys: Iterable<string>, file: string, where?: string): void {
  for (const key of keys) {
    if (FORBIDDEN_KEYS.has(key)) {
      throw safetensorsError(
        file,
        'forbidden-key',
        `key "${key}" is not allowed (prototype pollution)`,
        where,
      );
    }
  }
}

export function parseMetadata(value: unknown, file: string): Record<string, string> {
  if (!isPlainRecord(value))
    throw safetensorsError(file, 'metadata-not-object', '__metadata__ is not a JSON object');
  const keys = Object.keys(value);
  rejectForbidden(keys, file, '__metadata__');
  const metadata: Record<string, string> = Object.create(null);
  for (const key of keys) {
    const item = value[key];
    if (typeof item !== 'string') {
      throw safetensorsError(
        file,
        'metadata-value-not-string',
        `__metadata__ value "${key}" is ${typeof item}, expected a string`,
      );
    }
    metadata[key] = item;
  }
  return metadata;
}

/** Number of elements of `shape`, or throws when a dimension is bad or the product leaves the safe range. */
function elementCount(shape: unknown, file: string, name: string): { shape: number[]; count: number } {
  if (!Array.isArray(shape)) throw safetensorsError(file, 'shape-invalid', 'shape is not an array', name);
  let count = 1;
  const dims: number[] = [];
  for (const dim of shape) {
    if (typeof dim !== 'number' || !Number.isInteger(dim)) {
      throw safetensorsError(
        file,
        'shape-invalid',
        `shape ${JSON.stringify(shape)} holds a non-integer`,
        name,
      );
    }
    if (dim < 0)
      throw safetensorsError(
        file,
        'shape-negative',
        `shape ${JSON.stringify(shape)} has a negative dimension`,
        name,
      );
    if (!Number.isSafeInteger(dim) || (dim !== 0 && count > Number.MAX_SAFE_INTEGER / dim)) {
      throw safetensorsError(
        file,
        'shape-overflow',
        `shape ${JSON.stringify(shape)} overflows the element count`,
        name,
      );
    }
    count *= dim;
    dims.push(dim);
  }
  return { shape: dims, count };
}

export function parseTensorEntry(name: string, value: unknown, dataBytes: number, file: string): TensorEntry {
  if (!isPlainRecord(value))
    throw safetensorsError(file, 'tensor-entry-not-object', 'entry is not a JSON object', name);
  rejectForbidden(Object.keys(value), file, name);
  const dtype = value.dtype;
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) {
    throw safetensorsError(
      file,
      'unknown-dtype',
      `dtype ${JSON.stringify(dtype)} is not a known safetensors dtype`,
      name,
    );
  }
  const { shape, count } = elementCount(value.shape, file, name);
  const bytesPerElement = DTYPE_BYTES[dtype as Dtype];
  if (count > Number.MAX_SAFE_INTEGER / bytesPerElement) {
    throw safetensorsError(
      file,
      'shape-overflow',
      `shape ${JSON.stringify(shape)} overflows the byte size`,
      name,
    );
  }
  const offsets = value.data_offsets;
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)
  ) {
    throw safetensorsError(
      file,
      'offsets-invalid',
      `data_offsets ${JSON.stringify(offsets)} is not two non-negative integers`,
      name,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin)
    throw safetensorsError(
      file,
      'offsets-reversed',
      `data_offsets [${begin}, ${end}] end before they begin`,
      name,
    );
  if (end > dataBytes) {
    throw safetensorsError(
      file,
      'offsets-out-of-range',
      `data_offsets [${begin}, ${end}] run past the ${dataBytes}-byte data section`,
      name,
    );
  }
  if (end - begin !== count * bytesPerElement) {
    throw safetensorsError(
      file,
      'size-mismatch',
      `data_offsets cover ${end - begin} bytes but ${dtype} ${JSON.stringify(shape)} needs ${count * bytesPerElement}`,
      name,
    );
  }
  return { name, dtype: dtype as Dtype, shape, begin, end };
}

/** Data must be covered exactly once: sorted by begin, each tensor starts where the previous ended. */
export function checkContiguous(tensors: TensorEntry[], dataBytes: number, file: string): void {
  let previousEnd = 0;
  let previousName: string | undefined;
  for (const tensor of tensors) {
    if (tensor.begin < previousEnd) {
      throw safetensorsError(file, 'offsets-overlap', `data overlaps tensor "${previousName}"`, tensor.name);
    }
    if (tensor.begin > previousEnd) {
      throw safetensorsError(
        file,
        'offsets-gap',
        `data starts at ${tensor.begin}, leaving a gap after byte ${previousEnd}`,
        tensor.name,
      );
    }
    previousEnd = tensor.end;
    previousName = tensor.name;
  }
  if (previousEnd !== dataBytes) {
    throw safetensorsError(
      file,
      'data-trailing-bytes',
      `${dataBytes - previousEnd} bytes after the last tensor belong to no tensor`,
    );
  }
}
