// src/lora/safetensors-format.ts — the safetensors container, pure: dtype table, header validation
// (every rule its own TL_ERR_SAFETENSORS with a `rule` detail) and header building for the writer.
// Format: 8-byte little-endian header length N, N bytes of JSON header, then the tensor data.
// The dtype table, shapes and error live in safetensors-rules.ts, the per-entry checks in safetensors-entries.ts,
// the writer's layout in safetensors-layout.ts; every name is re-exported here.
import { ToonloraError } from '../errors.js';
import { anImage, imageTypeName } from '../vision/image-sniff.js';
import { TEXT_SNIFF_BYTES, type TextFileKind, textFileKind, textFileText } from '../vision/text-sniff.js';
import { checkContiguous, parseMetadata, parseTensorEntry, rejectForbidden } from './safetensors-entries.js';
import {
  jsonFileError,
  looksLikeJson,
  looksLikeText,
  MAX_HEADER_BYTES,
  type SafetensorsHeader,
  type SafetensorsRule,
  safetensorsError,
  type TensorEntry,
} from './safetensors-rules.js';

export {
  buildSafetensorsHeader,
  orderForWrite,
  type TensorLayout,
  tensorByteSize,
} from './safetensors-layout.js';
export {
  DTYPE_BYTES,
  type Dtype,
  MAX_HEADER_BYTES,
  type SafetensorsHeader,
  type SafetensorsRule,
  safetensorsError,
  type TensorEntry,
} from './safetensors-rules.js';

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
    `${file}: is a PyTorch pickle/zip checkpoint (torch.save: .ckpt / .pt / .bin), not a safetensors file; toonlora reads .safetensors only (a pickle can run code when loaded). Download the .safetensors version of the LoRA, or, for a file you trust, re-save it: safetensors.torch.save_file(torch.load(path), "lora.safetensors").`,
    { details: { file, rule: 'pytorch-checkpoint' satisfies SafetensorsRule } },
  );
}

/** What to give instead of an image or a text file, where a LoRA is read. */
const GIVE_THE_LORA =
  "Give the LoRA's .safetensors file: the one a training run wrote (its run folder, or the copy named after it), or the one you downloaded.";

/** An image given where a .safetensors LoRA is read (`--lora some.png`): named as such, not as a damaged header. */
function imageFileError(file: string, image: string): ToonloraError {
  return new ToonloraError(
    'TL_ERR_SAFETENSORS',
    `${file}: this is ${anImage(image)}, not a LoRA (.safetensors file). ${GIVE_THE_LORA}`,
    { details: { file, rule: 'image-file' satisfies SafetensorsRule, image } },
  );
}

/** A plain text file (notes, a caption) given where a .safetensors LoRA is read: named as such, not as a damaged header. */
function plainTextError(file: string): ToonloraError {
  return new ToonloraError(
    'TL_ERR_SAFETENSORS',
    `${file}: this is a text file, not a LoRA (.safetensors file, which is binary). ${GIVE_THE_LORA}`,
    { details: { file, rule: 'text-file' satisfies SafetensorsRule, kind: 'plain-text' } },
  );
}

/** A Git LFS pointer or a saved web page given where a .safetensors file is read: named as such, with the way out. */
function textFileError(file: string, kind: TextFileKind): ToonloraError {
  return new ToonloraError(
    'TL_ERR_SAFETENSORS',
    `${file}: this is ${textFileText(kind)}; a .safetensors file is binary.`,
    { details: { file, rule: 'text-file' satisfies SafetensorsRule, kind } },
  );
}

/**
 * Checks the 8-byte length prefix against the file size and the cap before anything is allocated; a length
 * that does not fit is named by what the first bytes are instead, when they are a PyTorch checkpoint's, an
 * image's, a Git LFS pointer's, an HTML page's, a JSON file's or another text file's (`prefix`: the first TEXT_SNIFF_BYTES where the file has them;
 * WebP, AVIF and HEIC need 12, the LFS pointer 40).
 * @returns the header length in bytes (a safe integer).
 * @throws TL_ERR_SAFETENSORS (file-too-small, pytorch-checkpoint, image-file, text-file, json-file, header-length-cap,
 *   header-length-past-end)
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
  const unreadable = length > BigInt(MAX_HEADER_BYTES) || 8n + length > BigInt(fileSize);
  if (unreadable && isPytorchCheckpoint(prefix)) throw pytorchCheckpointError(file);
  const image = unreadable ? imageTypeName(prefix) : undefined;
  if (image) throw imageFileError(file, image);
  const text = unreadable ? textFileKind(prefix) : undefined;
  if (text) throw textFileError(file, text);
  if (unreadable && looksLikeJson(prefix)) throw jsonFileError(file);
  if (unreadable && looksLikeText(prefix)) throw plainTextError(file);
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
  const n = checkHeaderLength(bytes.subarray(0, TEXT_SNIFF_BYTES), bytes.byteLength, file);
  return parseSafetensorsHeader(bytes.subarray(8, 8 + n), bytes.byteLength, file);
}
