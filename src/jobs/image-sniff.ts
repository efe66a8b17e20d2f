// src/jobs/image-sniff.ts — what an upload makes of an image's type (pure): the refusal of a type screenshots
// come in that it does not take, the extension a format is stored under, and an upload's display name. Upload
// types are decided from the first bytes (src/vision/image-sniff.ts), never from the file name or the client's
// Content-Type; the Content-Type the server answers with for each type is in src/server/image-sniff.ts.
import type { ImageFormat } from '../schemas/api.js';
import { anImage, unsupportedImageTypeName } from '../vision/image-sniff.js';
import { fitFileName } from './file-name-bytes.js';

/**
 * Why bytes that are no accepted type were refused, when they are an image type people export screenshots in
 * (BMP, TIFF, AVIF, HEIC): `a BMP image; the upload takes PNG, JPEG, WebP or GIF: convert it to PNG` (`an
 * AVIF image; …`), as `prep` words its BMP refusal. Undefined for anything else (the caller's generic "not PNG, JPEG, WebP or GIF").
 */
export function unsupportedImageHint(head: Uint8Array): string | undefined {
  const name = unsupportedImageTypeName(head);
  return name ? `${anImage(name)}; the upload takes PNG, JPEG, WebP or GIF: convert it to PNG` : undefined;
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
