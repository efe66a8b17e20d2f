// src/lora/safetensors-write.ts — streams tensors into a safetensors file: header first, then each
// tensor's chunks, hashing the data as it goes (kohya's sshs_* hashes are patched into the header
// afterwards: they have a fixed length, so the header size does not move). Writes to a temp file
// and renames, so a failed write never leaves a half file, and never replaces a file unless asked;
// a symlink is written through (its target replaced, the link kept), a FIFO / device never touched.
import { constants } from 'node:fs';
import { access, chmod, type FileHandle, open, rename, rm, stat } from 'node:fs/promises';
import { ToonloraError } from '../errors.js';
import { createDataHasher } from './data-hasher.js';
import {
  asOutputWriteError,
  assertOutputPath,
  resolveOutputTarget,
  tempPathBeside,
} from './output-checks.js';
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
  /** Called with each chunk once its bytes are on their way to disk (lets a reader reuse buffers). */
  readonly onChunkWritten?: (chunk: Uint8Array) => void;
}

export interface WriteResult {
  readonly path: string;
  readonly bytes: number;
  /** sha256 of the data section, hex. */
  readonly dataSha256: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * Bytes of writes allowed in flight (bounds memory while the pool writes and this thread hashes);
 * small on purpose, like the read window (see STREAM_CHUNK_BYTES).
 */
const MAX_PENDING_WRITE_BYTES = 2 * 1024 * 1024;
/** Bytes gathered per writev call. */
const WRITE_BATCH_BYTES = 1024 * 1024;
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

/**
 * Writes `tensors` (in the given order) and `metadata` to `path`; when `path` is a symlink, to the
 * file it names (temp file beside that file, renamed onto it; the link stays).
 * @throws TL_ERR_OUTPUT_EXISTS, TL_ERR_USAGE (a folder, a FIFO / device / socket, a missing parent
 *   folder, a path ending in `/`), or TypeError when a source yields the wrong number of bytes.
 */
export async function writeSafetensors(
  path: string,
  tensors: readonly TensorSource[],
  metadata: Readonly<Record<string, string>>,
  options: WriteOptions = {},
): Promise<WriteResult> {
  await assertOutputPath(path, 'file');
  await assertWritable(path, options.overwrite);
  const target = await resolveOutputTarget(path);
  const meta: Record<string, string> = { ...metadata };
  if (options.kohyaHashes) {
    meta.sshs_model_hash = '0'.repeat(64);
    meta.sshs_legacy_hash = '0'.repeat(8);
  }
  const header = buildSafetensorsHeader(tensors, meta);
  const ssOnly = Object.fromEntries(Object.entries(meta).filter(([k]) => k.startsWith('ss_')));
  const ssHeaderBytes = buildSafetensorsHeader(tensors, ssOnly).bytes.byteLength;
  const hasher = createDataHasher({
    start: LEGACY_START - ssHeaderBytes,
    end: LEGACY_END - ssHeaderBytes,
  });
  const temp = tempPathBeside(target);
  const handle = await open(temp, 'wx').catch((error: unknown) => {
    throw asOutputWriteError(error, path);
  });
  try {
    await handle.write(header.bytes, 0, header.bytes.byteLength, 0);
    // Chunks are gathered into batches of WRITE_BATCH_BYTES and written with writev in the libuv
    // pool while this thread hashes the next ones; at most MAX_PENDING_WRITE_BYTES are in flight.
    const pending: Array<Promise<number>> = [];
    let pendingBytes = 0;
    let batch: Uint8Array[] = [];
    let batchBytes = 0;
    let batchStart = header.bytes.byteLength;
    const flush = async () => {
      if (batchBytes === 0) return;
      const bytes = batchBytes;
      const chunks = batch;
      pending.push(
        writevAll(handle, chunks, batchStart).then(() => {
          for (const chunk of chunks) options.onChunkWritten?.(chunk);
          return bytes;
        }),
      );
      pendingBytes += bytes;
      batchStart += bytes;
      batch = [];
      batchBytes = 0;
      while (pendingBytes > MAX_PENDING_WRITE_BYTES)
        pendingBytes -= await (pending.shift() as Promise<number>);
    };
    let position = 0;
    for (const tensor of tensors) {
      const expected = tensorByteSize(tensor);
      let written = 0;
      for await (const chunk of tensor.chunks()) {
        hasher.update(chunk, position + written);
        batch.push(chunk);
        batchBytes += chunk.byteLength;
        written += chunk.byteLength;
        if (batchBytes >= WRITE_BATCH_BYTES) await flush();
      }
      if (written !== expected) {
        await Promise.allSettled(pending);
        throw new TypeError(`tensor "${tensor.name}": source gave ${written} bytes, expected ${expected}`);
      }
      position += written;
    }
    await flush();
    await Promise.all(pending);
    const digest = hasher.digest();
    const dataSha256 = digest.sha256;
    if (options.kohyaHashes) {
      meta.sshs_model_hash = dataSha256;
      meta.sshs_legacy_hash = digest.legacy;
      const patched = buildSafetensorsHeader(tensors, meta);
      await handle.write(patched.bytes, 0, patched.bytes.byteLength, 0);
    }
    await handle.close();
    // Checked again: the path may have changed kind while the file was written.
    await assertOutputPath(path, 'file');
    await assertWritable(path, options.overwrite);
    await keepModeOf(target, temp);
    await rename(temp, target);
    return { path, bytes: header.bytes.byteLength + position, dataSha256, metadata: meta };
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw asOutputWriteError(error, path);
  }
}

/** A file replaced keeps its permission bits (a 0600 LoRA stays private), as editors that save by rename do. */
export async function keepModeOf(target: string, temp: string): Promise<void> {
  const existing = await stat(target).catch(() => undefined);
  if (existing?.isFile()) await chmod(temp, existing.mode & 0o7777);
}

async function writevAll(handle: FileHandle, chunks: Uint8Array[], position: number): Promise<void> {
  let rest = chunks;
  let at = position;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest, at);
    at += bytesWritten;
    // Short write: drop what went out, keep the tail of a partly written chunk.
    let skip = bytesWritten;
    const left: Uint8Array[] = [];
    for (const chunk of rest) {
      if (skip >= chunk.byteLength) skip -= chunk.byteLength;
      else {
        left.push(skip > 0 ? chunk.subarray(skip) : chunk);
        skip = 0;
      }
    }
    rest = left;
  }
}
