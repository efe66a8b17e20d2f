// src/server/image-sniff.ts — which image type a buffer holds, from its first bytes (pure). Upload
// types are decided here, never from the file name or the client's Content-Type.
import { fitFileName } from '../jobs/file-name-bytes.js';
import type { ImageFormat } from '../schemas/api.js';

/** The image format the magic bytes announce, or undefined when they match none we accept. */
export function sniffImageFormat(head: Uint8Array): ImageFormat | undefined {
  const bytes = (...values: number[]) => values.every((value, index) => head[index] === value);
  const ascii = (offset: number, text: string) =>
    [...text].every((char, index) => head[offset + index] === char.charCodeAt(0));
  if (bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (bytes(0xff, 0xd8, 0xff)) return 'jpeg';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp';
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return 'gif';
  return undefined;
}

/** Content-Type of each accepted format. */
export const IMAGE_MIME: Readonly<Record<ImageFormat, string>> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
};

/** Content-Type of a stored image from its extension (.png, .jpg/.jpeg, .webp, .gif); else octet-stream. */
export function imageMimeForPath(path: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  const format = ext === 'jpg' ? 'jpeg' : ext;
  return IMAGE_MIME[format as ImageFormat] ?? 'application/octet-stream';
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
