// src/prep/mask-contours.test.ts — a filled rectangle in the mask (a panel interior, a narration box, a
// dark panel) is told apart from a character's shape.
import { describe, expect, it } from 'vitest';
import type { GrayImage } from '../vision/image.js';
import { looksLikePanel } from './mask-contours.js';

function mask(width: number, height: number, inside: (x: number, y: number) => boolean): GrayImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data[y * width + x] = inside(x, y) ? 255 : 0;
  return { width, height, data };
}

describe('looksLikePanel', () => {
  const box = { x: 10, y: 10, width: 200, height: 100 };
  const inBox = (x: number, y: number) => x >= 10 && x < 210 && y >= 10 && y < 110;

  it('a filled rectangle, also with white text holes in it (a narration box), is a panel', () => {
    expect(looksLikePanel(mask(240, 140, inBox), box)).toBe(true);
    const text = (x: number, y: number) =>
      inBox(x, y) && !(x > 40 && x < 180 && y > 40 && y < 80 && x % 6 < 3);
    expect(looksLikePanel(mask(240, 140, text), box)).toBe(true);
  });

  it('a figure (an ellipse body on a narrower head) is not, nor is a rectangle with a ragged side', () => {
    const figure = (x: number, y: number) =>
      ((x - 110) / 60) ** 2 + ((y - 80) / 30) ** 2 <= 1 || ((x - 110) / 25) ** 2 + ((y - 30) / 20) ** 2 <= 1;
    expect(looksLikePanel(mask(240, 140, figure), box)).toBe(false);
    const ragged = (x: number, y: number) => inBox(x, y) && !(x > 190 && y % 10 < 5);
    expect(looksLikePanel(mask(240, 140, ragged), box)).toBe(false);
  });
});
