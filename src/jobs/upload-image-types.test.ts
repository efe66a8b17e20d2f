// src/jobs/upload-image-types.test.ts — the upload's refusal of image types it does not take. (Reading the type
// from the first bytes: src/vision/image-sniff.test.ts.)
import { describe, expect, it } from 'vitest';
import { unsupportedImageHint } from './upload-image-types.js';

describe('unsupportedImageHint', () => {
  it('names the image types the upload refuses that screenshots come in, with the fix', () => {
    const hint = (name: string) =>
      `${name === 'AVIF' ? 'an' : 'a'} ${name} image; the upload takes PNG, JPEG, WebP, GIF or BMP: convert it to PNG`;
    // BMP is taken (prep decodes it): no hint
    expect(unsupportedImageHint(Buffer.from('BM\x36\x00\x0c\x00\x00\x00', 'latin1'))).toBeUndefined();
    expect(unsupportedImageHint(Buffer.from([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]))).toBe(hint('TIFF'));
    expect(unsupportedImageHint(Buffer.from([0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8]))).toBe(hint('TIFF'));
    expect(unsupportedImageHint(Buffer.from('\0\0\0\x1cftypavif\0\0\0\0', 'latin1'))).toBe(hint('AVIF'));
    expect(unsupportedImageHint(Buffer.from('\0\0\0\x18ftypheic\0\0\0\0', 'latin1'))).toBe(hint('HEIC'));
    expect(unsupportedImageHint(Buffer.from('\0\0\0\x18ftypisom\0\0\0\0', 'latin1'))).toBeUndefined(); // an MP4
    expect(unsupportedImageHint(Buffer.from('<svg xmlns='))).toBe(`an ${hint('SVG').slice(2)}`);
    expect(unsupportedImageHint(Buffer.from([0x42]))).toBeUndefined();
  });
});
