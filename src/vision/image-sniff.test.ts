// src/vision/image-sniff.test.ts — image types from their first bytes, named for messages, and their Content-Type.
import { describe, expect, it } from 'vitest';
import {
  anImage,
  imageMimeForPath,
  imageTypeName,
  sniffImageFormat,
  unsupportedImageTypeName,
} from './image-sniff.js';

describe('sniffImageFormat', () => {
  it('reads the type from the first bytes', () => {
    expect(sniffImageFormat(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe('png');
    expect(sniffImageFormat(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniffImageFormat(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBe('webp');
    expect(sniffImageFormat(Buffer.from('GIF89a...'))).toBe('gif');
    // typed to return 'bmp', and now does (before: undefined, and a second "BM" check in prep/bmp-decode.ts)
    expect(sniffImageFormat(Buffer.from('BM\x36\x00\x0c\x00\x00\x00', 'latin1'))).toBe('bmp');
    // AVIF is stored as it is (before: named among the types toonlora does not read)
    expect(sniffImageFormat(Buffer.from('\0\0\0\x1cftypavif\0\0\0\0', 'latin1'))).toBe('avif');
    expect(sniffImageFormat(Buffer.from('\0\0\0\x18ftypheic\0\0\0\0', 'latin1'))).toBeUndefined();
    expect(sniffImageFormat(Buffer.from('B'))).toBeUndefined();
    expect(sniffImageFormat(Buffer.from('<svg xmlns='))).toBeUndefined();
    expect(sniffImageFormat(Buffer.from([0x89, 0x50]))).toBeUndefined();
  });
});

describe('imageTypeName', () => {
  it('names accepted and refused image types alike, and nothing else', () => {
    expect(imageTypeName(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe('PNG');
    expect(imageTypeName(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBe('WebP');
    expect(imageTypeName(Buffer.from('BM\x36\x00\x0c\x00\x00\x00', 'latin1'))).toBe('BMP');
    expect(imageTypeName(Buffer.from('\0\0\0\x1cftypavif\0\0\0\0', 'latin1'))).toBe('AVIF');
    expect(imageTypeName(Buffer.from([8, 0, 0, 0, 0, 0, 0, 0, 0x7b]))).toBeUndefined();
  });
  it('reads the article as the name is said', () => {
    expect(anImage('AVIF')).toBe('an AVIF image');
    expect(anImage('PNG')).toBe('a PNG image');
  });
});

describe('unsupportedImageTypeName', () => {
  it('names the types screenshots come in that are not read, and no read one (BMP is read)', () => {
    expect(unsupportedImageTypeName(Buffer.from([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]))).toBe('TIFF');
    expect(unsupportedImageTypeName(Buffer.from('BM\x36\x00\x0c\x00\x00\x00', 'latin1'))).toBeUndefined();
    expect(unsupportedImageTypeName(Buffer.from('\0\0\0\x18ftypheic\0\0\0\0', 'latin1'))).toBe('HEIC');
    expect(
      unsupportedImageTypeName(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
    ).toBeUndefined();
  });
  it('names the drawing and icon types sharp does not read by their signatures', () => {
    expect(unsupportedImageTypeName(Buffer.from('8BPS\0\x01\0\0', 'latin1'))).toBe('Photoshop PSD');
    expect(unsupportedImageTypeName(Buffer.from('8BPS\0\x02\0\0', 'latin1'))).toBe('Photoshop PSD'); // PSB
    expect(unsupportedImageTypeName(Buffer.from([0xff, 0x0a, 0xfa, 0x1f, 0, 0, 0, 0]))).toBe('JPEG XL');
    expect(unsupportedImageTypeName(Buffer.from('0000000c4a584c200d0a870a', 'hex'))).toBe('JPEG XL');
    expect(unsupportedImageTypeName(Buffer.from([0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0]))).toBe('ICO');
    expect(unsupportedImageTypeName(Buffer.from('qoif\0\0\0\x40', 'latin1'))).toBe('QOI');
    expect(unsupportedImageTypeName(Buffer.from('\0\0\0\x18ftypmif1\0\0\0\0', 'latin1'))).toBe('HEIC');
    expect(anImage('Photoshop PSD')).toBe('a Photoshop PSD image');
    expect(anImage('ICO')).toBe('an ICO image');
  });
  it('does not name a safetensors header length that starts like JPEG XL or ICO (2815 or 65536 bytes)', () => {
    expect(unsupportedImageTypeName(Buffer.from([0xff, 0x0a, 0, 0, 0, 0, 0, 0, 0x7b]))).toBeUndefined();
    expect(unsupportedImageTypeName(Buffer.from([0, 0, 1, 0, 0, 0, 0, 0, 0x7b]))).toBeUndefined();
  });
});

describe('imageMimeForPath', () => {
  it('maps a stored image extension to its Content-Type', () => {
    expect(imageMimeForPath('uploads/c/a.jpg')).toBe('image/jpeg');
    expect(imageMimeForPath('uploads/c/a.JPEG')).toBe('image/jpeg');
    expect(imageMimeForPath('jobs/j/10_x/a.png')).toBe('image/png');
    expect(imageMimeForPath('a.webp')).toBe('image/webp');
    expect(imageMimeForPath('a.gif')).toBe('image/gif');
    expect(imageMimeForPath('a.bmp')).toBe('image/bmp');
    expect(imageMimeForPath('uploads/c/a.avif')).toBe('image/avif');
    expect(imageMimeForPath('a.bin')).toBe('application/octet-stream');
  });
});
