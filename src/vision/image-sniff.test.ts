// src/vision/image-sniff.test.ts — image types from their first bytes, named for messages.
import { describe, expect, it } from 'vitest';
import { anImage, imageTypeName, sniffImageFormat, unsupportedImageTypeName } from './image-sniff.js';

describe('sniffImageFormat', () => {
  it('reads the type from the first bytes', () => {
    expect(sniffImageFormat(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe('png');
    expect(sniffImageFormat(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniffImageFormat(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBe('webp');
    expect(sniffImageFormat(Buffer.from('GIF89a...'))).toBe('gif');
    expect(sniffImageFormat(Buffer.from('<svg xmlns='))).toBeUndefined();
    expect(sniffImageFormat(Buffer.from([0x89, 0x50]))).toBeUndefined();
  });
});

describe('imageTypeName', () => {
  it('names accepted and refused image types alike, and nothing else', () => {
    expect(imageTypeName(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe('PNG');
    expect(imageTypeName(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBe('WebP');
    expect(imageTypeName(Buffer.from('\0\0\0\x1cftypavif\0\0\0\0', 'latin1'))).toBe('AVIF');
    expect(imageTypeName(Buffer.from([8, 0, 0, 0, 0, 0, 0, 0, 0x7b]))).toBeUndefined();
  });
  it('reads the article as the name is said', () => {
    expect(anImage('AVIF')).toBe('an AVIF image');
    expect(anImage('PNG')).toBe('a PNG image');
  });
});

describe('unsupportedImageTypeName', () => {
  it('names the types screenshots come in that are not read, and no accepted one', () => {
    expect(unsupportedImageTypeName(Buffer.from('BM\x36\x00\x0c\x00\x00\x00', 'latin1'))).toBe('BMP');
    expect(unsupportedImageTypeName(Buffer.from('\0\0\0\x18ftypheic\0\0\0\0', 'latin1'))).toBe('HEIC');
    expect(
      unsupportedImageTypeName(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
    ).toBeUndefined();
  });
});
