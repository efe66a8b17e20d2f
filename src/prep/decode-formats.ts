// src/prep/decode-formats.ts — the one list of image formats prep reads (pure): the formats sharp decodes for it,
// BMP (bmp-decode.ts), how messages list them, and the name of a format it refuses by its header (a HEVC-coded
// HEIC, which this sharp build cannot decode; an SVG drawing; a PDF), worded as the upload words its refusals
// (refusedImageTypeText in src/vision/image-sniff.ts).
import type { ImageHeader } from '../vision/sharp-io.js';

/** What prep reads: each format's name for messages and sharp's name for it (BMP: none, decoded by prep). */
const PREP_FORMATS: ReadonlyArray<{ name: string; sharp?: string }> = [
  { name: 'PNG', sharp: 'png' },
  { name: 'JPEG', sharp: 'jpeg' },
  { name: 'WebP', sharp: 'webp' },
  { name: 'GIF', sharp: 'gif' },
  { name: 'TIFF', sharp: 'tiff' },
  // sharp names AVIF `heif` (compression av1); a HEIF coded otherwise (HEVC: an iPhone HEIC) it cannot decode
  { name: 'AVIF', sharp: 'heif' },
  { name: 'BMP' },
];

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
