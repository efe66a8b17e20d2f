// src/jobs/upload-file-size.ts — the per-file size rules of a screenshot upload in words (pure, browser-safe): the
// server's refusal of a file over the byte limit or under the minimum side, which the upload page also gives at once
// (from `File.size`, and from the size the browser decodes).
import { formatBinaryBytes } from '../format-bytes.js';

/** Why a screenshot over `maxFileBytes` is refused, naming the file (the upload's TL_ERR_PAYLOAD_TOO_LARGE). */
export function oversizeReason(name: string, maxFileBytes: number): string {
  return `${name}: larger than the ${formatBinaryBytes(maxFileBytes)} limit per file; refused. Send a smaller file.`;
}

/** Why a screenshot whose shorter side is under `minSidePx` is refused, in prep's words (prep/decode.ts tooSmallText). */
export function tooSmallReason(name: string, width: number, height: number, minSidePx: number): string {
  return `${name}: ${width}x${height} pixels; the shorter side must be at least ${minSidePx} px; refused. Upload a larger screenshot.`;
}
