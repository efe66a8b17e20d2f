// src/lora/kohya-base-hash.ts — the two hashes kohya records of a local base model file (train_util.py model_hash
// and calculate_sha256): ss_sd_model_hash, the WebUI's legacy 8-hex hash of 64 KiB at 1 MiB, and ss_new_sd_model_hash,
// the sha256 of the whole file, streamed (a 2-4 GB checkpoint reads in seconds without holding the event loop).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

/** Where the WebUI's legacy hash reads: 0x10000 bytes from offset 0x100000 (fewer, or none, in a smaller file). */
const LEGACY_OFFSET = 0x100000;
const LEGACY_LENGTH = 0x10000;

export interface KohyaModelHashes {
  /** `sha256(bytes[1 MiB, 1 MiB + 64 KiB))[:8]`: the WebUI's old model hash. */
  readonly legacy: string;
  /** sha256 of the file, lower-case hex. */
  readonly sha256: string;
}

/** The legacy hash and sha256 of `file`. @throws the file system's error (ENOENT, EISDIR, EACCES) as it is. */
export async function kohyaModelHashes(file: string): Promise<KohyaModelHashes> {
  const handle = await open(file, 'r');
  let legacyBytes: Buffer;
  try {
    const buffer = Buffer.alloc(LEGACY_LENGTH);
    const { bytesRead } = await handle.read(buffer, 0, LEGACY_LENGTH, LEGACY_OFFSET);
    legacyBytes = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  const whole = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) whole.update(chunk as Buffer);
  return {
    legacy: createHash('sha256').update(legacyBytes).digest('hex').slice(0, 8),
    sha256: whole.digest('hex'),
  };
}
