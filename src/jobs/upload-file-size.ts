// src/jobs/upload-file-size.ts — the per-file size rule of a screenshot upload in words (pure, browser-safe): the
// server's refusal of a file over the limit, which the upload page also gives at once from `File.size`.
import { formatBinaryBytes } from '../format-bytes.js';

/** Why a screenshot over `maxFileBytes` is refused, naming the file (the upload's TL_ERR_PAYLOAD_TOO_LARGE). */
export function oversizeReason(name: string, maxFileBytes: number): string {
  return `${name}: larger than the ${formatBinaryBytes(maxFileBytes)} limit per file; refused. Send a smaller file.`;
}
