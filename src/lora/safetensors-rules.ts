// src/lora/safetensors-rules.ts — the safetensors vocabulary, pure: the dtype table, the header size cap, the
// parsed header's shapes, the rule names a damaged file is rejected with and the TL_ERR_SAFETENSORS error built
// from one.
import { basename } from 'node:path';
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
  | 'image-file'
  | 'text-file'
  | 'json-file'
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

/**
 * Builds the coded error: `<file>: not a safetensors file, or a damaged one; <fix> (<what was found>)` with
 * the rule in details (--json shows it; the message does not, it is no word for the user). It leads with what the user can act on: the finding (a 19-digit header length) comes after.
 */
export function safetensorsError(
  file: string,
  rule: SafetensorsRule,
  what: string,
  tensor?: string,
): ToonloraError {
  const where = tensor === undefined ? '' : `tensor "${tensor}": `;
  return new ToonloraError(
    'TL_ERR_SAFETENSORS',
    `${file}: not a safetensors file, or a damaged one; re-export or re-download it (found: ${where}${what}).`,
    { details: { file, rule, ...(tensor === undefined ? {} : { tensor }) } },
  );
}

/**
 * Whether the first bytes (a UTF-8 BOM and white space skipped) open a JSON object or array, as a JSON file's do; a
 * safetensors file opens with its 8-byte header length instead. Only asked of a file whose length does not fit.
 */
export function looksLikeJson(prefix: Uint8Array): boolean {
  const text = Buffer.from(prefix)
    .toString('latin1')
    .replace(/^\xef\xbb\xbf/, '')
    .trimStart();
  return /^(\{\s*("|\})|\[)/.test(text);
}

/**
 * Whether the first bytes are text (printable ASCII, tabs, line ends, UTF-8's high bytes), as a notes or caption file's
 * are; a safetensors file's 8-byte header length has zero bytes. Only asked of a file whose length does not fit.
 */
export function looksLikeText(prefix: Uint8Array): boolean {
  return prefix.every(
    (byte) => byte === 0x09 || byte === 0x0a || byte === 0x0d || (byte >= 0x20 && byte !== 0x7f),
  );
}

/**
 * A JSON file given where a .safetensors LoRA is read: a PEFT adapter's `adapter_config.json` (its folder is what
 * to give), or another JSON file; named as such, not as a damaged header.
 */
export function jsonFileError(file: string): ToonloraError {
  const what =
    basename(file) === 'adapter_config.json'
      ? "a JSON file (a PEFT adapter's config?), not a LoRA: give its folder, which holds the adapter's weights too"
      : 'a JSON file, not a LoRA (.safetensors file)';
  return new ToonloraError('TL_ERR_SAFETENSORS', `${file}: this is ${what}.`, {
    details: { file, rule: 'json-file' satisfies SafetensorsRule },
  });
}
