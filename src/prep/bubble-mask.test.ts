import { describe, expect, it } from 'vitest';
import { makeRgb } from '../../test/helpers/images.js';
import type { GrayImage } from '../vision/image.js';
import { removeTextBubbles, whiteInMask } from './bubble-mask.js';
import { findMaskContours } from './mask-contours.js';

/** 120x80: a white "bubble" (10..49, 10..39) joined by a 2 px tail to a red "character" (60..99, 20..69). */
const image = makeRgb(120, 80, (x, y) => (x >= 60 && x < 100 && y >= 20 && y < 70 ? [200, 60, 60] : [255, 255, 255]));
function maskOf(pick: (x: number, y: number) => boolean): GrayImage {
  const data = new Uint8Array(120 * 80);
  for (let y = 0; y < 80; y++) for (let x = 0; x < 120; x++) if (pick(x, y)) data[y * 120 + x] = 255;
  return { width: 120, height: 80, data };
}
const mask = maskOf(
  (x, y) => (x >= 10 && x < 50 && y >= 10 && y < 40) || (x >= 50 && x < 60 && y >= 24 && y < 26) || (x >= 60 && x < 100 && y >= 20 && y < 70),
);

describe('removeTextBubbles', () => {
  it('clears the white area that held text, and the tail with it', async () => {
    const textMask = maskOf((x, y) => x >= 20 && x < 40 && y >= 20 && y < 28);
    expect((await findMaskContours(mask))[0]?.box).toEqual({ x: 10, y: 10, width: 90, height: 60 });
    const cleaned = await removeTextBubbles(mask, image, textMask, 5);
    const contours = await findMaskContours(cleaned);
    expect(contours.map((c) => c.box)).toEqual([{ x: 60, y: 20, width: 40, height: 50 }]);
  });
  it('leaves white areas without text alone (a white shirt is not a bubble)', async () => {
    const textMask = maskOf(() => false);
    expect(await removeTextBubbles(mask, image, textMask, 5)).toBe(mask);
    const elsewhere = maskOf((x, y) => x >= 105 && y >= 70);
    const kept = await findMaskContours(await removeTextBubbles(mask, image, elsewhere, 3));
    expect(kept[0]?.box).toEqual({ x: 10, y: 10, width: 90, height: 60 });
  });
  it('finds near-white mask pixels', () => {
    expect(whiteInMask(image, mask).data[15 * 120 + 15]).toBe(255);
    expect(whiteInMask(image, mask).data[30 * 120 + 70]).toBe(0);
    expect(whiteInMask(image, mask).data[5 * 120 + 5]).toBe(0);
  });
});
