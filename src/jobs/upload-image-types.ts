// src/jobs/upload-image-types.ts — the image types a screenshot upload takes (pure): PNG, JPEG, WebP, GIF, AVIF and
// BMP stored as they are (BMP decoded by prep itself, as the trainer trains it), TIFF converted to PNG on arrival (a
// scan: its first page, under the user's base name with .png), the refusal of a type screenshots come in that it
// does not take (HEIC, which this build of sharp cannot decode: export it as JPEG or PNG; an SVG drawing), and the
// extension a type is stored under. Types are read from the first bytes (src/vision/image-sniff.ts, which also has
// the Content-Type the server answers with), never from the file name or the client's Content-Type.
import { framesNote } from '../prep/file-notes.js';
import type { ImageFormat } from '../schemas/api.js';
import {
  anImage,
  refusedImageTypeText,
  sniffImageFormat,
  unsupportedImageTypeName,
} from '../vision/image-sniff.js';

/** The types the upload takes (sniffImageFormat's, then TIFF, converted), as messages name them. */
const UPLOAD_TYPE_NAMES = ['PNG', 'JPEG', 'WebP', 'GIF', 'BMP', 'AVIF', 'TIFF'] as const;

/** `A, B or C`. */
function listed(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

/** The types the upload takes, as its messages list them: `PNG, JPEG, WebP, GIF, BMP, AVIF or TIFF`. */
export const UPLOAD_TYPES = listed(UPLOAD_TYPE_NAMES);

/**
 * How the upload takes the bytes it got: `read`, their type as messages name it (`png`, `tiff`), and `format`, the
 * type stored (a TIFF's is `png`: converted on arrival, as browsers do not show TIFF).
 */
export interface UploadType {
  read: string;
  format: ImageFormat;
}

/** The type the first bytes announce as the upload takes it; undefined for bytes it does not take. */
export function uploadTypeOf(head: Uint8Array): UploadType | undefined {
  const format = sniffImageFormat(head);
  if (format) return { read: format, format };
  return unsupportedImageTypeName(head) === 'TIFF' ? { read: 'tiff', format: 'png' } : undefined;
}

/** True when the upload stores other bytes than it got: a TIFF's first page, as PNG. */
export function isConverted(type: UploadType): boolean {
  return type.read !== type.format;
}

/** The name a converted upload is stored under: the user's base name with .png (`scan.tif` -> `scan.png`). */
export function convertedName(name: string): string {
  return `${name.replace(/\.[^.]*$/, '') || name}.png`;
}

/**
 * What the answer says of a converted upload: `scan.tif: a TIFF image, converted to PNG and stored as scan.png`,
 * and for a multi-page one `…; a multi-page TIFF: only page 1 of 3 was read`.
 */
export function convertedNote(name: string, pages: number): string {
  const pagesNote = framesNote(pages, 'tiff');
  return `${name}: ${anImage('TIFF')}, converted to PNG and stored as ${convertedName(name)}${pagesNote ? `; ${pagesNote}` : ''}`;
}

/**
 * Why bytes that are no accepted type were refused, when they are an image type people export screenshots in:
 * a HEIC (an iPhone photo; this build of sharp has no HEVC decoder) `a HEIC image, which this server cannot decode;
 * the upload takes …: export it as JPEG or PNG (…)`, an SVG `an SVG image; the upload takes …: convert it to PNG`.
 * Undefined for anything else (the caller's generic "not PNG, JPEG, …").
 */
export function unsupportedImageHint(head: Uint8Array): string | undefined {
  if (uploadTypeOf(head)) return undefined;
  const name = unsupportedImageTypeName(head);
  if (name === 'HEIC') {
    return `${anImage(name)}, which this server cannot decode; the upload takes ${UPLOAD_TYPES}: export it as JPEG or PNG (on an iPhone: Settings > Camera > Formats > Most Compatible)`;
  }
  return name ? refusedImageTypeText(name, 'the upload', UPLOAD_TYPES) : undefined;
}

/** File extension stored for a format. */
export function extensionFor(format: ImageFormat): string {
  return format === 'jpeg' ? 'jpg' : format;
}
