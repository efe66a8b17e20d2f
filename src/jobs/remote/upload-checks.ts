// src/jobs/remote/upload-checks.ts — what a remote worker's uploads must look like before the server stores them:
// a sample is a PNG, a LoRA a safetensors file (else a ToonloraError saying what was sent).
import { ToonloraError } from '../../errors.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function checkPng(name: string, file: Buffer): void {
  if (!file.subarray(0, 8).equals(PNG_SIGNATURE)) {
    throw new ToonloraError(
      'TL_ERR_UNSUPPORTED_MEDIA',
      `the uploaded sample ${name} (${file.length} bytes) is not a PNG image; send the sample file the run wrote.`,
    );
  }
}

/** A safetensors file starts with its header's length (8 bytes, little-endian) and the JSON header: `head` is the
 * file's start (at least 9 bytes), `size` the whole file's. */
export function checkSafetensors(head: Buffer, size = head.length): void {
  const length = head.length >= 9 ? Number(head.readBigUInt64LE(0)) : 0;
  if (length < 2 || 8 + length > size || head[8] !== 0x7b) {
    throw new ToonloraError(
      'TL_ERR_SAFETENSORS',
      `the uploaded LoRA (${size} bytes) is not a safetensors file; send the kohya .safetensors the run wrote.`,
    );
  }
}
