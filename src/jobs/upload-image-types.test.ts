// src/jobs/upload-image-types.test.ts — the types the upload takes (a TIFF converted to PNG), and its refusal of
// image types it does not take. (Reading the type from the first bytes: src/vision/image-sniff.test.ts.)
import { describe, expect, it } from 'vitest';
import {
  convertedName,
  convertedNote,
  UPLOAD_TYPES,
  unsupportedImageHint,
  uploadTypeOf,
} from './upload-image-types.js';

const TIFF_LE = Buffer.from([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]);
const TIFF_BE = Buffer.from([0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8]);
const AVIF = Buffer.from('\0\0\0\x1cftypavif\0\0\0\0', 'latin1');
const HEIC = Buffer.from('\0\0\0\x18ftypheic\0\0\0\0', 'latin1');

describe('uploadTypeOf', () => {
  it('stores AVIF and BMP as they are and converts a TIFF (either byte order) to PNG', () => {
    expect(uploadTypeOf(AVIF)).toEqual({ read: 'avif', format: 'avif' });
    expect(uploadTypeOf(Buffer.from('BM\x36\x00\x0c\x00\x00\x00', 'latin1'))).toEqual({
      read: 'bmp',
      format: 'bmp',
    });
    expect(uploadTypeOf(TIFF_LE)).toEqual({ read: 'tiff', format: 'png' });
    expect(uploadTypeOf(TIFF_BE)).toEqual({ read: 'tiff', format: 'png' });
    expect(uploadTypeOf(HEIC)).toBeUndefined();
  });
});

describe('converted TIFF names', () => {
  it("keeps the user's base name with .png, and says what was done (pages after the first dropped)", () => {
    expect(convertedName('scan.tif')).toBe('scan.png');
    expect(convertedName('page 1.scan.TIFF')).toBe('page 1.scan.png');
    expect(convertedName('scan')).toBe('scan.png');
    expect(convertedNote('scan.tif', 1)).toBe(
      'scan.tif: a TIFF image, converted to PNG and stored as scan.png',
    );
    expect(convertedNote('book.tiff', 3)).toBe(
      'book.tiff: a TIFF image, converted to PNG and stored as book.png; a multi-page TIFF: only page 1 of 3 was read',
    );
  });
});

describe('unsupportedImageHint', () => {
  it('names the image types the upload refuses that screenshots come in, with the fix', () => {
    // taken types: no hint
    for (const head of [Buffer.from('BM\x36\x00\x0c\x00\x00\x00', 'latin1'), TIFF_LE, TIFF_BE, AVIF]) {
      expect(unsupportedImageHint(head)).toBeUndefined();
    }
    expect(unsupportedImageHint(HEIC)).toBe(
      'a HEIC image, which this server cannot decode; the upload takes PNG, JPEG, WebP, GIF, BMP, AVIF or TIFF: export it as JPEG or PNG (on an iPhone: Settings > Camera > Formats > Most Compatible)',
    );
    expect(unsupportedImageHint(Buffer.from('\0\0\0\x18ftypisom\0\0\0\0', 'latin1'))).toBeUndefined(); // an MP4
    expect(unsupportedImageHint(Buffer.from('<svg xmlns='))).toBe(
      'an SVG image; the upload takes PNG, JPEG, WebP, GIF, BMP, AVIF or TIFF: convert it to PNG',
    );
    expect(unsupportedImageHint(Buffer.from([0x42]))).toBeUndefined();
  });

  it("lists the upload's types", () => {
    expect(UPLOAD_TYPES).toBe('PNG, JPEG, WebP, GIF, BMP, AVIF or TIFF');
  });
});
