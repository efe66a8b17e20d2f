// src/server/image-sniff.test.ts — the Content-Type of a stored image, from its extension.
import { describe, expect, it } from 'vitest';
import { imageMimeForPath } from './image-sniff.js';

describe('imageMimeForPath', () => {
  it('names the stored file type from its extension', () => {
    expect(imageMimeForPath('uploads/c/a.jpg')).toBe('image/jpeg');
    expect(imageMimeForPath('uploads/c/a.JPEG')).toBe('image/jpeg');
    expect(imageMimeForPath('jobs/j/10_x/a.png')).toBe('image/png');
    expect(imageMimeForPath('a.webp')).toBe('image/webp');
    expect(imageMimeForPath('a.gif')).toBe('image/gif');
    expect(imageMimeForPath('a.bin')).toBe('application/octet-stream');
  });
});
