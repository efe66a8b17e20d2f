// src/jobs/upload-image-types.test.ts — the upload's refusal of image types it does not take. (Reading the type
// from the first bytes: src/vision/image-sniff.test.ts.)
import { describe, expect, it } from 'vitest';
import { PREP_ONLY_TYPES, UPLOAD_TYPES, unsupportedImageHint } from './upload-image-types.js';

describe('unsupportedImageHint', () => {
  it('names the image types the upload refuses that screenshots come in, with the fix', () => {
    const hint = (name: string) =>
      `${name === 'AVIF' ? 'an' : 'a'} ${name} image; the upload takes PNG, JPEG, WebP, GIF or BMP: convert it to PNG`;
    // a type prep reads says so: the upload's list and prep's differ, the refusal says where it is read
    const prepReads = (name: string) =>
      `${hint(name)} (toonlora prep on the command line reads TIFF and AVIF files as they are)`;
    // BMP is taken (prep decodes it): no hint
    expect(unsupportedImageHint(Buffer.from('BM\x36\x00\x0c\x00\x00\x00', 'latin1'))).toBeUndefined();
    expect(unsupportedImageHint(Buffer.from([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]))).toBe(prepReads('TIFF'));
    expect(unsupportedImageHint(Buffer.from([0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8]))).toBe(prepReads('TIFF'));
    expect(unsupportedImageHint(Buffer.from('\0\0\0\x1cftypavif\0\0\0\0', 'latin1'))).toBe(prepReads('AVIF'));
    expect(unsupportedImageHint(Buffer.from('\0\0\0\x18ftypheic\0\0\0\0', 'latin1'))).toBe(hint('HEIC'));
    expect(unsupportedImageHint(Buffer.from('\0\0\0\x18ftypisom\0\0\0\0', 'latin1'))).toBeUndefined(); // an MP4
    expect(unsupportedImageHint(Buffer.from('<svg xmlns='))).toBe(`an ${hint('SVG').slice(2)}`);
    expect(unsupportedImageHint(Buffer.from([0x42]))).toBeUndefined();
  });

  it("lists the upload's types, and those only prep reads from prep's own list", () => {
    expect(UPLOAD_TYPES).toBe('PNG, JPEG, WebP, GIF or BMP');
    expect(PREP_ONLY_TYPES).toEqual(['TIFF', 'AVIF']);
  });
});
