// src/vision/image-sniff.ts — the image types toonlora knows (pure): which one a buffer holds, from its first
// bytes (PNG, JPEG, WebP, GIF, AVIF, which sharp reads, and BMP, which src/prep/bmp-decode.ts reads), the types
// screenshots and drawings come in that are not stored as they are (TIFF, which the upload converts; HEIC; SVG
// drawings; Photoshop PSD, JPEG XL, ICO, QOI), each type's name for messages, the words a refused type gets (upload
// and prep alike) and the Content-Type the server answers with. Below jobs/, lora/, prep/, server/ and worker/,
// which all import it; what an upload takes is in src/jobs/upload-image-types.ts.
import type { ImageFormat } from '../schemas/api.js';

/** The image format the magic bytes announce, or undefined when they match none toonlora reads. */
export function sniffImageFormat(head: Uint8Array): ImageFormat | undefined {
  const bytes = (...values: number[]) => startsWith(head, ...values);
  const ascii = (offset: number, text: string) =>
    [...text].every((char, index) => head[offset + index] === char.charCodeAt(0));
  if (bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (bytes(0xff, 0xd8, 0xff)) return 'jpeg';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp';
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return 'gif';
  // only the "BM" signature: the kinds of BMP bmp-decode refuses (RLE, 16-bit, OS/2) are named by it
  if (ascii(0, 'BM')) return 'bmp';
  if (['avif', 'avis'].includes(isoBrand(head))) return 'avif';
  return undefined;
}

/** Types people export screenshots in that are not stored as they are (TIFF: converted on upload), by their first bytes. */
const UNSUPPORTED_FORMATS: ReadonlyArray<{ name: string; matches: (head: Uint8Array) => boolean }> = [
  {
    name: 'TIFF',
    matches: (head) =>
      (head[0] === 0x49 && head[1] === 0x49 && head[2] === 0x2a && head[3] === 0) || // "II*\0"
      (head[0] === 0x4d && head[1] === 0x4d && head[2] === 0 && head[3] === 0x2a), // "MM\0*"
  },
  {
    name: 'HEIC',
    matches: (head) =>
      ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'].includes(isoBrand(head)),
  },
  { name: 'SVG', matches: isSvgText },
  // Photoshop: "8BPS", version 1 (PSD) or 2 (PSB)
  {
    name: 'Photoshop PSD',
    matches: (head) => startsWith(head, 0x38, 0x42, 0x50, 0x53, 0) && [1, 2].includes(head[5] ?? 0),
  },
  {
    name: 'JPEG XL',
    matches: (head) =>
      startsWith(head, 0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20, 0x0d, 0x0a, 0x87, 0x0a) || // its ISO box form
      // the bare codestream: FF 0A, then a size header that is not all zero (a safetensors header length can
      // start FF 0A 00 00 …)
      (startsWith(head, 0xff, 0x0a) && head.subarray(2, 8).some((byte) => byte !== 0)),
  },
  // Windows icon: reserved 0, type 1, at least one image, its entry's reserved byte 0
  {
    name: 'ICO',
    matches: (head) =>
      startsWith(head, 0, 0, 1, 0) && ((head[4] ?? 0) | (head[5] ?? 0)) !== 0 && head[9] === 0,
  },
  { name: 'QOI', matches: (head) => startsWith(head, 0x71, 0x6f, 0x69, 0x66) }, // "qoif"
];

/** True when `head` starts with the bytes given. */
function startsWith(head: Uint8Array, ...bytes: number[]): boolean {
  return bytes.every((value, index) => head[index] === value);
}

/** Markup (after a BOM and white space) with an `<svg` tag in the bytes given: an SVG drawing, not pixels. */
function isSvgText(head: Uint8Array): boolean {
  const text = new TextDecoder('utf-8', { fatal: false })
    .decode(head)
    .replace(/^\uFEFF/, '')
    .trimStart();
  return text.startsWith('<') && /<svg[\s>]/i.test(text);
}

/** The major brand of an ISO media file (`ftyp` box first: HEIC, AVIF), else ''. */
function isoBrand(head: Uint8Array): string {
  const text = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  return head.length >= 12 && text(4, 8) === 'ftyp' ? text(8, 12) : '';
}

/** How a message names each format toonlora reads. */
const FORMAT_NAMES: Readonly<Record<ImageFormat, string>> = {
  png: 'PNG',
  jpeg: 'JPEG',
  webp: 'WebP',
  gif: 'GIF',
  bmp: 'BMP',
  avif: 'AVIF',
};

/** The Content-Type the server answers with for each format toonlora reads. */
export const IMAGE_MIME: Readonly<Record<ImageFormat, string>> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  bmp: 'image/bmp',
  avif: 'image/avif',
};

/** Content-Type of a stored image from its extension (.png, .jpg/.jpeg, .webp, .gif, .bmp, .avif); else octet-stream. */
export function imageMimeForPath(path: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  const format = ext === 'jpg' ? 'jpeg' : ext;
  return IMAGE_MIME[format as ImageFormat] ?? 'application/octet-stream';
}

/** `a PNG image`, `an AVIF image`, `an SVG image`: the article as the name is read aloud (vowel-led names, and
 * letters read out that start with a vowel sound: S-V-G). */
export function anImage(name: string): string {
  return `${/^(?:[AEIOU]|S[A-Z]{2})/.test(name) ? 'an' : 'a'} ${name} image`;
}

/**
 * Why an image type was refused, in the words the upload and `prep` share: `an SVG image; the upload takes PNG,
 * JPEG, WebP, GIF, BMP, AVIF or TIFF: convert it to PNG` (`taker` `the upload`, or `prep`, with what each reads).
 */
export function refusedImageTypeText(name: string, taker: string, accepted: string): string {
  return `${anImage(name)}; ${taker} takes ${accepted}: convert it to PNG`;
}

/**
 * The image type the first bytes announce, named (`PNG`, `BMP`, `AVIF`), read by toonlora or not; undefined for
 * anything else. For messages about a file given where no image belongs (a LoRA, a base model).
 */
export function imageTypeName(head: Uint8Array): string | undefined {
  const format = sniffImageFormat(head);
  if (format) return FORMAT_NAMES[format];
  return unsupportedImageTypeName(head);
}

/** The name of an image type not stored as it is (`TIFF`, `HEIC`, `SVG`) the first bytes announce, else undefined. */
export function unsupportedImageTypeName(head: Uint8Array): string | undefined {
  return UNSUPPORTED_FORMATS.find((known) => known.matches(head))?.name;
}
