// src/jobs/upload-image-types.ts — the image types a screenshot upload takes (pure): every type toonlora reads
// (those sharp reads, and BMP, which prep decodes itself as the trainer trains it), the refusal of a type
// screenshots come in that it does not take, and the extension a type is stored under. Types are read from
// the first bytes (src/vision/image-sniff.ts, which also has the Content-Type the server answers with), never
// from the file name or the client's Content-Type.
import type { ImageFormat } from '../schemas/api.js';
import { refusedImageTypeText, sniffImageFormat, unsupportedImageTypeName } from '../vision/image-sniff.js';

/** The types the upload takes, as its messages list them. */
export const UPLOAD_TYPES = 'PNG, JPEG, WebP, GIF or BMP';

/**
 * Why bytes that are no accepted type were refused, when they are an image type people export screenshots in
 * (TIFF, AVIF, HEIC): `a TIFF image; the upload takes PNG, JPEG, WebP, GIF or BMP: convert it to PNG` (`an
 * AVIF image; …`). Undefined for anything else (the caller's generic "not PNG, JPEG, WebP, GIF or BMP").
 */
export function unsupportedImageHint(head: Uint8Array): string | undefined {
  if (sniffImageFormat(head)) return undefined;
  const name = unsupportedImageTypeName(head);
  return name ? refusedImageTypeText(name, 'the upload', UPLOAD_TYPES) : undefined;
}

/** File extension stored for a format. */
export function extensionFor(format: ImageFormat): string {
  return format === 'jpeg' ? 'jpg' : format;
}
