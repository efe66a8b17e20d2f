// src/jobs/image-sniff.ts — what an upload makes of an image's type (pure): the types it takes (those sharp reads,
// and BMP, which prep decodes itself as the trainer trains it), the refusal of a type screenshots come in that it
// does not take, the extension a format is stored under, and an upload's display name. Upload types are decided
// from the first bytes (src/vision/image-sniff.ts), never from the file name or the client's Content-Type; the
// Content-Type the server answers with for each type is in src/server/image-sniff.ts.
import { isBmp } from '../prep/bmp-decode.js';
import type { ImageFormat } from '../schemas/api.js';
import { anImage, sniffImageFormat, unsupportedImageTypeName } from '../vision/image-sniff.js';
import { fitFileName } from './file-name-bytes.js';

/** The types the upload takes, as its messages list them. */
export const UPLOAD_TYPES = 'PNG, JPEG, WebP, GIF or BMP';

/** The upload format the first bytes announce: one sharp reads, or BMP; undefined for anything else. */
export function sniffUploadFormat(head: Uint8Array): ImageFormat | undefined {
  return sniffImageFormat(head) ?? (isBmp(head) ? 'bmp' : undefined);
}

/**
 * Why bytes that are no accepted type were refused, when they are an image type people export screenshots in
 * (TIFF, AVIF, HEIC): `a TIFF image; the upload takes PNG, JPEG, WebP, GIF or BMP: convert it to PNG` (`an
 * AVIF image; …`). Undefined for anything else (the caller's generic "not PNG, JPEG, WebP, GIF or BMP").
 */
export function unsupportedImageHint(head: Uint8Array): string | undefined {
  if (sniffUploadFormat(head)) return undefined;
  const name = unsupportedImageTypeName(head);
  return name ? `${anImage(name)}; the upload takes ${UPLOAD_TYPES}: convert it to PNG` : undefined;
}

/** File extension stored for a format. */
export function extensionFor(format: ImageFormat): string {
  return format === 'jpeg' ? 'jpg' : format;
}

/** Longest display name kept, in UTF-8 bytes: a prep job's input `NNN-<name>` must fit a 255-byte file name. */
export const DISPLAY_NAME_MAX_BYTES = 200;

/**
 * A display-only version of a client file name: base name, no control characters, at most
 * DISPLAY_NAME_MAX_BYTES UTF-8 bytes (the extension kept, no code point split).
 */
export function displayName(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return fitFileName(clean, DISPLAY_NAME_MAX_BYTES) || 'unnamed';
}
