// src/lora/safetensors-read.ts — opens a safetensors file through a file handle: reads and validates
// only the header, then reads tensors on demand (whole or in chunks), never the whole file at once.
import { type FileHandle, open } from 'node:fs/promises';
import { basename } from 'node:path';
import { ToonloraError } from '../errors.js';
import {
  checkHeaderLength,
  parseSafetensorsHeader,
  type SafetensorsHeader,
  type TensorEntry,
} from './safetensors-format.js';

/** Default read size for streaming tensors: large enough for throughput, small against memory. */
export const STREAM_CHUNK_BYTES = 4 * 1024 * 1024;

export interface SafetensorsReader {
  readonly path: string;
  readonly fileSize: number;
  readonly header: SafetensorsHeader;
  /** Tensor entry by name, or undefined. */
  tensor(name: string): TensorEntry | undefined;
  /** All bytes of one tensor (use for small tensors; stream large ones). */
  readTensor(entry: TensorEntry): Promise<Uint8Array>;
  /** Yields a tensor's bytes in chunks of at most `chunkBytes` (a multiple of 8). */
  streamTensor(entry: TensorEntry, chunkBytes?: number): AsyncGenerator<Uint8Array>;
  close(): Promise<void>;
}

async function readExactly(
  handle: FileHandle,
  buffer: Uint8Array,
  position: number,
  file: string,
): Promise<void> {
  let done = 0;
  while (done < buffer.byteLength) {
    const { bytesRead } = await handle.read(buffer, done, buffer.byteLength - done, position + done);
    if (bytesRead === 0) {
      throw new ToonloraError(
        'TL_ERR_SAFETENSORS',
        `${file}: file ended early (truncated while reading). Re-export it.`,
        {
          details: { file, rule: 'file-truncated' },
        },
      );
    }
    done += bytesRead;
  }
}

/**
 * Opens and validates a safetensors file (header only).
 * @throws TL_ERR_INPUT_NOT_FOUND when the file is missing, TL_ERR_SAFETENSORS when the header is bad.
 */
export async function openSafetensors(path: string): Promise<SafetensorsReader> {
  const file = basename(path);
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new ToonloraError(
      'TL_ERR_INPUT_NOT_FOUND',
      `${path}: cannot open the LoRA file (${(error as Error).message}). Check the path.`,
      {
        cause: error,
        details: { file: path },
      },
    );
  }
  try {
    const { size: fileSize } = await handle.stat();
    const prefix = new Uint8Array(8);
    if (fileSize >= 8) await readExactly(handle, prefix, 0, file);
    const headerLength = checkHeaderLength(prefix, fileSize, file);
    const headerBytes = new Uint8Array(headerLength);
    await readExactly(handle, headerBytes, 8, file);
    const header = parseSafetensorsHeader(headerBytes, fileSize, file);
    return makeReader(path, file, handle, fileSize, header);
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function makeReader(
  path: string,
  file: string,
  handle: FileHandle,
  fileSize: number,
  header: SafetensorsHeader,
): SafetensorsReader {
  const byName = new Map(header.tensors.map((t) => [t.name, t]));
  return {
    path,
    fileSize,
    header,
    tensor: (name) => byName.get(name),
    async readTensor(entry) {
      const bytes = new Uint8Array(entry.end - entry.begin);
      await readExactly(handle, bytes, header.dataStart + entry.begin, file);
      return bytes;
    },
    async *streamTensor(entry, chunkBytes = STREAM_CHUNK_BYTES) {
      const size = Math.max(8, chunkBytes - (chunkBytes % 8));
      const readAt = async (position: number) => {
        // allocUnsafe: the read fills every byte, so zero-filling 4 MB per chunk is wasted work.
        const bytes: Uint8Array = Buffer.allocUnsafe(Math.min(size, entry.end - position));
        await readExactly(handle, bytes, header.dataStart + position, file);
        return bytes;
      };
      // Read one chunk ahead, so the disk read overlaps whatever the consumer does with this one.
      let position = entry.begin;
      let next = position < entry.end ? readAt(position) : undefined;
      while (next) {
        const current = await next;
        position += current.byteLength;
        next = position < entry.end ? readAt(position) : undefined;
        yield current;
      }
    },
    close: () => handle.close(),
  };
}
