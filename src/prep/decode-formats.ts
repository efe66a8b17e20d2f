// src/prep/decode-formats.ts — the one list of image formats prep reads (pure): the formats sharp decodes for it,
// BMP (bmp-decode.ts), the extensions a folder walk picks them up by, how messages list them, and the name of a format it refuses by its header (a HEVC-coded
// HEIC, which this sharp build cannot decode; an SVG drawing; a PDF), worded as the upload words its refusals
// (refusedImageTypeText in src/vision/image-sniff.ts).
import type { ImageHeader } from '../vision/sharp-io.js';

/**
 * What prep reads: each format's name for messages, sharp's name for it (BMP: none, decoded by prep) and the
 * file extensions a folder walk picks it up by (lower case, with the dot; inputs.ts).
 */
const PREP_FORMATS: ReadonlyArray<{ name: string; sharp?: string; extensions: readonly string[] }> = [
  { name: 'PNG', sharp: 'png', extensions: ['.png'] },
  // JPEG's other names too
  { name: 'JPEG', sharp: 'jpeg', extensions: ['.jpg', '.jpeg', '.jpe', '.jfif'] },
  { name: 'WebP', sharp: 'webp', extensions: ['.webp'] },
  { name: 'GIF', sharp: 'gif', extensions: ['.gif'] },
  { name: 'TIFF', sharp: 'tiff', extensions: ['.tif', '.tiff'] },
  // sharp names AVIF `heif` (compression av1); a HEIF coded otherwise (HEVC: an iPhone HEIC) it cannot decode, so
  // .heic/.heif are walked too: such a file gets its own decode error instead of vanishing
  { name: 'AVIF', sharp: 'heif', extensions: ['.avif', '.heic', '.heif'] },
  // a BMP kind bmp-decode.ts does not read (RLE) gets a "convert it to PNG" reason
  { name: 'BMP', extensions: ['.bmp'] },
];

/** The extensions a folder walk picks up (lower case, with the dot): every format's above, in that order. */
export const PREP_EXTENSIONS: ReadonlySet<string> = new Set(
  PREP_FORMATS.flatMap((format) => format.extensions),
);

/** The formats prep reads, as its messages list them: `PNG, JPEG, WebP, GIF, TIFF, AVIF or BMP`. */
export const PREP_READABLE_FORMATS = `${PREP_FORMATS.slice(0, -1)
  .map((format) => format.name)
  .join(', ')} or ${PREP_FORMATS.at(-1)?.name}`;

/** How messages name the formats sharp may find that prep does not read. */
const REFUSED_NAMES: Readonly<Record<string, string>> = {
  svg: 'SVG',
  pdf: 'PDF',
  jp2: 'JPEG 2000',
  jxl: 'JPEG XL',
  exr: 'OpenEXR',
  ppm: 'PPM',
  fits: 'FITS',
  vips: 'VIPS',
  magick: 'ImageMagick',
};

/**
 * The name of the format a header declares when prep does not read it (`HEVC-coded HEIC`, `SVG`, `PDF`);
 * undefined for a format prep reads.
 */
export function refusedFormatName(header: Pick<ImageHeader, 'format' | 'compression'>): string | undefined {
  if (header.format === 'heif') {
    if (header.compression === 'hevc') return 'HEVC-coded HEIC';
    return undefined; // AV1 (AVIF), or a coding this header does not say: sharp decodes it or words its error
  }
  if (PREP_FORMATS.some((format) => format.sharp === header.format)) return undefined;
  return REFUSED_NAMES[header.format] ?? header.format.toUpperCase();
}
