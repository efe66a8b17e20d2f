// src/jobs/upload-file-size.ts — the per-file size rule of a screenshot upload in words (pure, browser-safe): the
// server's refusal of a file over the limit, which the upload page also gives at once from `File.size`.

/** A byte limit as people read it: 26214400 -> "25 MiB", 1536 -> "1.5 KiB". */
export function readableSize(bytes: number): string {
  const [value, unit] = bytes >= 1024 ** 2 ? [bytes / 1024 ** 2, 'MiB'] : [bytes / 1024, 'KiB'];
  return `${Number(value.toFixed(1))} ${unit}`;
}

/** Why a screenshot over `maxFileBytes` is refused, naming the file (the upload's TL_ERR_PAYLOAD_TOO_LARGE). */
export function oversizeReason(name: string, maxFileBytes: number): string {
  return `${name}: larger than the ${readableSize(maxFileBytes)} limit per file; refused. Send a smaller file.`;
}
