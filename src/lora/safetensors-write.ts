// src/lora/safetensors-write.ts — streams tensors into a safetensors file: header first, then each
// tensor's chunks, hashing the data as it goes (kohya's sshs_* hashes are patched into the header
// afterwards: they have a fixed length, so the header size does not move). Writes to a temp file
// and renames, so a failed write never leaves a half file, and never replaces a file unless asked.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ToonloraError } from '../errors.js';
import { buildSafetensorsHeader, type TensorLayout, tensorByteSize } from './safetensors-format.js';

/** A tensor to write: its layout and a source of exactly its bytes, in order. */
export interface TensorSource extends TensorLayout {
  readonly chunks: () => AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

export interface WriteOptions {
  /** Replace an existing file at `path`; otherwise TL_ERR_OUTPUT_EXISTS. */
  readonly overwrite?: boolean;
  /**
   * Fill kohya's `sshs_model_hash` (sha256 of the data section) and `sshs_legacy_hash` (first 8 hex
   * of sha256 over bytes 0x100000..0x110000 of the file as saved with only `ss_*` metadata, as
   * sd-scripts' `precalculate_safetensors_hashes` / `addnet_hash_legacy` compute them).
   */
  readonly kohyaHashes?: boolean;
}

export interface WriteResult {
  readonly path: string;
  readonly bytes: number;
  /** sha256 of the data section, hex. */
  readonly dataSha256: string;
  readonly metadata: Readonly<Record<string, string>>;
}

const MAX_PENDING_WRITES = 4;
const LEGACY_START = 0x100000;
const LEGACY_END = 0x110000;

/** Throws TL_ERR_OUTPUT_EXISTS when `path` exists and overwriting was not asked for. */
export async function assertWritable(path: string, overwrite: boolean | undefined): Promise<void> {
  if (overwrite) return;
  try {
    await access(path, constants.F_OK);
  } catch {
    return;
  }
  throw new ToonloraError(
    'TL_ERR_OUTPUT_EXISTS',
    `${path}: already exists; nothing was written. Pass --overwrite to replace it or choose another -o.`,
    {
      details: { file: path },
    },
  );
}

/** Captures the bytes of the virtual file window [start, end) that fall in a data chunk. */
function legacyWindow(headerBytes: number): {
  take: (chunk: Uint8Array, dataPos: number) => void;
  digest: () => string;
} {
  const hash = createHash('sha256');
  const start = LEGACY_START - headerBytes;
  const end = LEGACY_END - headerBytes;
  return {
    take(chunk, dataPos) {
      const from = Math.max(start, dataPos);
      const to = Math.min(end, dataPos + chunk.byteLength);
      if (to > from) hash.update(chunk.subarray(from - dataPos, to - dataPos));
    },
    digest: () => hash.digest('hex').slice(0, 8),
  };
}

/**
 * Writes `tensors` (in the given order) and `metadata` to `path`.
 * @throws TL_ERR_OUTPUT_EXISTS, or TypeError when a source yields the wrong number of bytes.
 */
export async function writeSafetensors(
  path: string,
  tensors: readonly TensorSource[],
  metadata: Readonly<Record<string, string>>,
  options: WriteOptions = {},
): Promise<WriteResult> {
  await assertWritable(path, options.overwrite);
  const meta: Record<string, string> = { ...metadata };
  if (options.kohyaHashes) {
    meta.sshs_model_hash = '0'.repeat(64);
    meta.sshs_legacy_hash = '0'.repeat(8);
  }
  const header = buildSafetensorsHeader(tensors, meta);
  const ssOnly = Object.fromEntries(Object.entries(meta).filter(([k]) => k.startsWith('ss_')));
  const legacy = legacyWindow(buildSafetensorsHeader(tensors, ssOnly).bytes.byteLength);
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.part`);
  const handle = await open(temp, 'wx');
  const dataHash = createHash('sha256');
  try {
    await handle.write(header.bytes, 0, header.bytes.byteLength, 0);
    // Writes run in the libuv pool while this thread hashes the next chunk; at most
    // MAX_PENDING_WRITES chunks are in flight, which bounds memory.
    const pending: Array<Promise<void>> = [];
    let position = 0;
    for (const tensor of tensors) {
      const expected = tensorByteSize(tensor);
      let written = 0;
      for await (const chunk of tensor.chunks()) {
        dataHash.update(chunk);
        legacy.take(chunk, position + written);
        pending.push(writeAll(handle, chunk, header.bytes.byteLength + position + written));
        if (pending.length >= MAX_PENDING_WRITES) await pending.shift();
        written += chunk.byteLength;
      }
      if (written !== expected) {
        await Promise.all(pending);
        throw new TypeError(`tensor "${tensor.name}": source gave ${written} bytes, expected ${expected}`);
      }
      position += written;
    }
    await Promise.all(pending);
    const dataSha256 = dataHash.digest('hex');
    if (options.kohyaHashes) {
      meta.sshs_model_hash = dataSha256;
      meta.sshs_legacy_hash = legacy.digest();
      const patched = buildSafetensorsHeader(tensors, meta);
      await handle.write(patched.bytes, 0, patched.bytes.byteLength, 0);
    }
    await handle.close();
    await assertWritable(path, options.overwrite);
    await rename(temp, path);
    return { path, bytes: header.bytes.byteLength + position, dataSha256, metadata: meta };
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
}

async function writeAll(
  handle: import('node:fs/promises').FileHandle,
  chunk: Uint8Array,
  position: number,
): Promise<void> {
  let done = 0;
  while (done < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, done, chunk.byteLength - done, position + done);
    done += bytesWritten;
  }
}
