// src/jobs/image-sniff.test.ts — upload types from magic bytes; display names never carry paths.
import { describe, expect, it } from 'vitest';
import {
  anImage,
  displayName,
  imageTypeName,
  sniffImageFormat,
  unsupportedImageHint,
} from './image-sniff.js';

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

describe('unsupportedImageHint', () => {
  it('names the image types the upload refuses that screenshots come in, with the fix', () => {
    const hint = (name: string) =>
      `${name === 'AVIF' ? 'an' : 'a'} ${name} image; the upload takes PNG, JPEG, WebP or GIF: convert it to PNG`;
    expect(unsupportedImageHint(Buffer.from('BM\x36\x00\x0c\x00\x00\x00', 'latin1'))).toBe(hint('BMP'));
    expect(unsupportedImageHint(Buffer.from([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]))).toBe(hint('TIFF'));
    expect(unsupportedImageHint(Buffer.from([0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8]))).toBe(hint('TIFF'));
    expect(unsupportedImageHint(Buffer.from('\0\0\0\x1cftypavif\0\0\0\0', 'latin1'))).toBe(hint('AVIF'));
    expect(unsupportedImageHint(Buffer.from('\0\0\0\x18ftypheic\0\0\0\0', 'latin1'))).toBe(hint('HEIC'));
    expect(unsupportedImageHint(Buffer.from('\0\0\0\x18ftypisom\0\0\0\0', 'latin1'))).toBeUndefined(); // an MP4
    expect(unsupportedImageHint(Buffer.from('<svg xmlns='))).toBeUndefined();
    expect(unsupportedImageHint(Buffer.from([0x42]))).toBeUndefined();
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

describe('displayName', () => {
  it('keeps the base name only, without control characters', () => {
    expect(displayName('../../x.png')).toBe('x.png');
    expect(displayName('C:\\Users\\a\\b c.png')).toBe('b c.png');
    expect(displayName('a\u0000b\n.png')).toBe('ab.png');
    expect(displayName(undefined)).toBe('unnamed');
  });
});
