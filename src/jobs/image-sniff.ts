// src/jobs/image-sniff.ts — which image type a buffer holds, from its first bytes, and an upload's display
// name (pure). Upload types are decided here, never from the file name or the client's Content-Type; the
// Content-Type the server answers with for each type is in src/server/image-sniff.ts.

import type { ImageFormat } from '../schemas/api.js';
import { fitFileName } from './file-name-bytes.js';

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

/** Types people export screenshots in that the upload does not take, by their first bytes. */
const UNSUPPORTED_FORMATS: ReadonlyArray<{ name: string; matches: (head: Uint8Array) => boolean }> = [
  { name: 'BMP', matches: (head) => head[0] === 0x42 && head[1] === 0x4d }, // "BM"
  {
    name: 'TIFF',
    matches: (head) =>
      (head[0] === 0x49 && head[1] === 0x49 && head[2] === 0x2a && head[3] === 0) || // "II*\0"
      (head[0] === 0x4d && head[1] === 0x4d && head[2] === 0 && head[3] === 0x2a), // "MM\0*"
  },
  { name: 'AVIF', matches: (head) => ['avif', 'avis'].includes(isoBrand(head)) },
  {
    name: 'HEIC',
    matches: (head) =>
      ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'].includes(isoBrand(head)),
  },
];

/** The major brand of an ISO media file (`ftyp` box first: HEIC, AVIF), else ''. */
function isoBrand(head: Uint8Array): string {
  const text = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  return head.length >= 12 && text(4, 8) === 'ftyp' ? text(8, 12) : '';
}

/** How a message names each accepted format. */
const FORMAT_NAMES: Readonly<Record<ImageFormat, string>> = {
  png: 'PNG',
  jpeg: 'JPEG',
  webp: 'WebP',
  gif: 'GIF',
};

/** `a PNG image`, `an AVIF image`: the article as the name is read aloud (the vowel-led names here start with a vowel sound). */
export function anImage(name: string): string {
  return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name} image`;
}

/**
 * The image type the first bytes announce, named (`PNG`, `WebP`, `AVIF`), accepted by the upload or not;
 * undefined for anything else. For messages about a file given where no image belongs (a LoRA).
 */
export function imageTypeName(head: Uint8Array): string | undefined {
  const format = sniffImageFormat(head);
  if (format) return FORMAT_NAMES[format];
  return UNSUPPORTED_FORMATS.find((known) => known.matches(head))?.name;
}

/**
 * Why bytes that are no accepted type were refused, when they are an image type people export screenshots in
 * (BMP, TIFF, AVIF, HEIC): `a BMP image; the upload takes PNG, JPEG, WebP or GIF: convert it to PNG` (`an
 * AVIF image; …`), as `prep` words its BMP refusal. Undefined for anything else (the caller's generic "not PNG, JPEG, WebP or GIF").
 */
export function unsupportedImageHint(head: Uint8Array): string | undefined {
  const known = UNSUPPORTED_FORMATS.find((format) => format.matches(head));
  return known
    ? `${anImage(known.name)}; the upload takes PNG, JPEG, WebP or GIF: convert it to PNG`
    : undefined;
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
