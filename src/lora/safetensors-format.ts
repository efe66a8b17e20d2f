// src/lora/safetensors-format.ts — the safetensors container, pure: dtype table, header validation
// (every rule its own TL_ERR_SAFETENSORS with a `rule` detail) and header building for the writer.
// Format: 8-byte little-endian header length N, N bytes of JSON header, then the tensor data.
import { ToonloraError } from '../errors.js';

/** Bytes per element of every dtype safetensors defines (F4 / F6 sub-byte types are not accepted). */
export const DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  F8_E8M0: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
} as const;

export type Dtype = keyof typeof DTYPE_BYTES;

/** Largest header accepted, in bytes: real LoRA headers are < 1 MB; this keeps a hostile length from allocating. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** One tensor as the header describes it; `begin` / `end` are relative to the start of the data section. */
export interface TensorEntry {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  /** Tensors in file-data order (sorted by `begin`). */
  readonly tensors: readonly TensorEntry[];
  /** `__metadata__` (string -> string), a null-prototype object. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Absolute offset of the data section in the file (8 + header length). */
  readonly dataStart: number;
  readonly dataBytes: number;
}

/** Rule names carried in `details.rule`; tests assert them, one per kind of damage. */
export type SafetensorsRule =
  | 'file-too-small'
  | 'pytorch-checkpoint'
  | 'header-length-past-end'
  | 'header-length-cap'
  | 'header-not-utf8'
  | 'header-not-json'
  | 'header-not-object'
  | 'forbidden-key'
  | 'metadata-not-object'
  | 'metadata-value-not-string'
  | 'tensor-entry-not-object'
  | 'unknown-dtype'
  | 'shape-invalid'
  | 'shape-negative'
  | 'shape-overflow'
  | 'offsets-invalid'
  | 'offsets-reversed'
  | 'offsets-out-of-range'
  | 'size-mismatch'
  | 'offsets-overlap'
  | 'offsets-gap'
  | 'data-trailing-bytes';

/** Builds the coded error: `<file>: tensor "<name>": <what>` with the rule in details. */
export function safetensorsError(
  file: string,
  rule: SafetensorsRule,
  what: string,
  tensor?: string,
): ToonloraError {
  const where = tensor === undefined ? '' : `tensor "${tensor}": `;
  return new ToonloraError(
    'TL_ERR_SAFETENSORS',
    `${file}: ${where}${what} [rule ${rule}]. The file is damaged or not a safetensors file; re-export or re-download it.`,
    { details: { file, rule, ...(tensor === undefined ? {} : { tensor }) } },
  );
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Whether the first bytes are a PyTorch checkpoint's (`torch.save`: a zip archive, `PK\x03\x04`, or
 * before torch 1.6 a pickle, `\x80` and protocol 2-5), as a .ckpt / .pt / .bin LoRA is.
 */
export function isPytorchCheckpoint(prefix: Uint8Array): boolean {
  const [a, b, c, d] = prefix;
  if (a === 0x50 && b === 0x4b && c === 0x03 && d === 0x04) return true;
  return a === 0x80 && b !== undefined && b >= 2 && b <= 5;
}

/** A PyTorch checkpoint given where a .safetensors file is read: named as such, with the way out. */
function pytorchCheckpointError(file: string): ToonloraError {
  return new ToonloraError(
    'TL_ERR_SAFETENSORS',
    `${file}: is a PyTorch pickle/zip checkpoint (torch.save: .ckpt / .pt / .bin), not a safetensors file [rule pytorch-checkpoint]; toonlora reads .safetensors only (a pickle can run code when loaded). Download the .safetensors version of the LoRA, or, for a file you trust, re-save it: safetensors.torch.save_file(torch.load(path), "lora.safetensors").`,
    { details: { file, rule: 'pytorch-checkpoint' satisfies SafetensorsRule } },
  );
}

/**
 * Checks the 8-byte length prefix against the file size and the cap before anything is allocated.
 * @returns the header length in bytes (a safe integer).
 * @throws TL_ERR_SAFETENSORS (file-too-small, pytorch-checkpoint, header-length-cap, header-length-past-end)
 */
export function checkHeaderLength(prefix: Uint8Array, fileSize: number, file: string): number {
  if (fileSize < 8 || prefix.byteLength < 8) {
    throw safetensorsError(
      file,
      'file-too-small',
      `${fileSize} bytes is shorter than the 8-byte header length`,
    );
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const length = view.getBigUint64(0, true);
  if ((length > BigInt(MAX_HEADER_BYTES) || 8n + length > BigInt(fileSize)) && isPytorchCheckpoint(prefix))
    throw pytorchCheckpointError(file);
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw safetensorsError(
      file,
      'header-length-cap',
      `header length ${length} exceeds the ${MAX_HEADER_BYTES}-byte cap`,
    );
  }
  const n = Number(length);
  if (8 + n > fileSize) {
    throw safetensorsError(
      file,
      'header-length-past-end',
      `header length ${n} runs past the end of the ${fileSize}-byte file`,
    );
  }
  return n;
}

/**
 * Where the JSON object a header starts with ends (the index after its closing brace), by a scan of
 * braces outside strings; undefined when the bytes do not start with `{` or the object never closes.
 */
export function jsonObjectEnd(bytes: Uint8Array): number | undefined {
  if (bytes[0] !== 0x7b) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x7b || byte === 0x5b) depth++;
    else if ((byte === 0x7d || byte === 0x5d) && --depth === 0) return i + 1;
  }
  return undefined;
}

/**
 * For a header that does not decode or parse: when a whole JSON object comes first and more than
 * padding follows it, the length field claims more bytes than the header has (it runs into the
 * tensor data), so say that instead of leaving "not UTF-8 / not JSON" as the only clue.
 */
function lengthHint(bytes: Uint8Array): string {
  const end = jsonObjectEnd(bytes);
  if (end === undefined || bytes.subarray(end).every((b) => b === 0x20)) return '';
  return `: the JSON header ends after ${end} bytes, but the header length in the first 8 bytes says ${bytes.byteLength}, so that length is wrong and runs into the tensor data (a file written wrong, or damaged)`;
}

function parseHeaderJson(bytes: Uint8Array, file: string): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw safetensorsError(file, 'header-not-utf8', `header is not valid UTF-8${lengthHint(bytes)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    throw safetensorsError(file, 'header-not-json', `header is not JSON (${message})${lengthHint(bytes)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const kind = Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed;
    throw safetensorsError(file, 'header-not-object', `header is ${kind}, expected a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejectForbidden(keys: Iterable<string>, file: string, where?: string): void {
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

function parseMetadata(value: unknown, file: string): Record<string, string> {
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

function parseTensorEntry(name: string, value: unknown, dataBytes: number, file: string): TensorEntry {
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
function checkContiguous(tensors: TensorEntry[], dataBytes: number, file: string): void {
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

/**
 * Validates a header (the JSON bytes after the length prefix) against the file it came from.
 * @param headerBytes the N header bytes; `fileSize` the whole file's size; `file` names it in errors.
 * @throws TL_ERR_SAFETENSORS naming the tensor and the broken rule.
 */
export function parseSafetensorsHeader(
  headerBytes: Uint8Array,
  fileSize: number,
  file: string,
): SafetensorsHeader {
  const dataStart = 8 + headerBytes.byteLength;
  const dataBytes = fileSize - dataStart;
  const json = parseHeaderJson(headerBytes, file);
  const keys = Object.keys(json);
  rejectForbidden(keys, file);
  let metadata: Record<string, string> = Object.create(null);
  const tensors: TensorEntry[] = [];
  for (const key of keys) {
    if (key === '__metadata__') metadata = parseMetadata(json[key], file);
    else tensors.push(parseTensorEntry(key, json[key], dataBytes, file));
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  checkContiguous(tensors, dataBytes, file);
  return { tensors, metadata, dataStart, dataBytes };
}

/** Validates a whole file held in memory (small files, tests). */
export function parseSafetensorsBuffer(bytes: Uint8Array, file: string): SafetensorsHeader {
  const n = checkHeaderLength(bytes.subarray(0, 8), bytes.byteLength, file);
  return parseSafetensorsHeader(bytes.subarray(8, 8 + n), bytes.byteLength, file);
}

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
