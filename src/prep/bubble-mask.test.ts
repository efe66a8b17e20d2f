import { describe, expect, it } from 'vitest';
import { makeRgb } from '../../test/helpers/images.js';
import type { GrayImage } from '../vision/image.js';
import { removeTextBubbles, removeTextBubblesWithInteriors, whiteInMask } from './bubble-mask.js';
import { findMaskContours } from './mask-contours.js';

/** 120x80: a white "bubble" (10..49, 10..39) joined by a 2 px tail to a red "character" (60..99, 20..69). */
const image = makeRgb(120, 80, (x, y) =>
  x >= 60 && x < 100 && y >= 20 && y < 70 ? [200, 60, 60] : [255, 255, 255],
);
function maskOf(pick: (x: number, y: number) => boolean): GrayImage {
  const data = new Uint8Array(120 * 80);
  for (let y = 0; y < 80; y++) for (let x = 0; x < 120; x++) if (pick(x, y)) data[y * 120 + x] = 255;
  return { width: 120, height: 80, data };
}
const mask = maskOf(
  (x, y) =>
    (x >= 10 && x < 50 && y >= 10 && y < 40) ||
    (x >= 50 && x < 60 && y >= 24 && y < 26) ||
    (x >= 60 && x < 100 && y >= 20 && y < 70),
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
  it('finds near-white mask pixels, counting text pixels inside the mask as white', () => {
    const { white } = whiteInMask(image, mask);
    expect(white.data[15 * 120 + 15]).toBe(255);
    expect(white.data[30 * 120 + 70]).toBe(0);
    expect(white.data[5 * 120 + 5]).toBe(0);
    // text over the red character (inpainted, so not white in the image) and text outside the mask
    const textMask = maskOf((x, y) => (x >= 70 && x < 72 && y === 30) || (x === 5 && y === 5));
    const withText = whiteInMask(image, mask, textMask);
    expect(withText.white.data[30 * 120 + 70]).toBe(255);
    expect(withText.white.data[5 * 120 + 5]).toBe(0);
    expect([...withText.textInMask]).toEqual([30 * 120 + 70, 30 * 120 + 71]);
  });

  it('opens only around the cleared bubble: a thin strand elsewhere on the character stays', async () => {
    // the mask plus a 3 px wide strand hanging off the character's far side (x 100..115, y 60..62)
    const withStrand = maskOf(
      (x, y) => (mask.data[y * 120 + x] ?? 0) > 0 || (x >= 100 && x < 116 && y >= 60 && y < 63),
    );
    const textMask = maskOf((x, y) => x >= 20 && x < 40 && y >= 20 && y < 28);
    const cleaned = await removeTextBubbles(withStrand, image, textMask, 5);
    expect(cleaned.data[61 * 120 + 112]).toBe(255); // the strand: 2 x 5 px beyond the bubble's box
    expect(cleaned.data[25 * 120 + 30]).toBe(0); // the bubble
    expect((await findMaskContours(cleaned)).map((c) => c.box)).toEqual([
      { x: 60, y: 20, width: 56, height: 50 },
    ]);
  });
});

describe("removeTextBubbles' opening window", () => {
  // 120x100: a white bubble (10..49, 5..29) holding text, and below it a red head: a crown (60..79, 33..37)
  // over a wider skull (45..94, 38..89). Outline 5: the opening's window ends at row 40 (29 + 1 + 2 x 5),
  // two rows into the skull.
  const crown = (x: number, y: number) => x >= 60 && x < 80 && y >= 33 && y < 38;
  const skull = (x: number, y: number) => x >= 45 && x < 95 && y >= 38 && y < 90;
  const bubble = (x: number, y: number) => x >= 10 && x < 50 && y >= 5 && y < 30;
  const page = makeRgb(120, 100, (x, y) => (crown(x, y) || skull(x, y) ? [200, 60, 60] : [255, 255, 255]));
  const head = { width: 120, height: 100, data: new Uint8Array(120 * 100) };
  for (let y = 0; y < 100; y++)
    for (let x = 0; x < 120; x++)
      if (bubble(x, y) || crown(x, y) || skull(x, y)) head.data[y * 120 + x] = 255;
  const text = { width: 120, height: 100, data: new Uint8Array(120 * 100) };
  for (let y = 12; y < 20; y++) for (let x = 20; x < 40; x++) text.data[y * 120 + x] = 255;

  it('keeps a head that its edge crosses whole (the mask beyond the edge is seen)', async () => {
    const cleaned = await removeTextBubbles(head, page, text, 5);
    let lost = 0;
    for (let y = 0; y < 100; y++)
      for (let x = 0; x < 120; x++)
        if ((crown(x, y) || skull(x, y)) && cleaned.data[y * 120 + x] !== 255) lost++;
    // before: the window's edge read as empty, and the skull's sides in rows 38-39 went (30 px)
    expect(lost).toBe(0);
    expect(cleaned.data[15 * 120 + 15]).toBe(0); // the bubble
  });
});

describe("removeTextBubbles' tail-tip opening", () => {
  // 120x100: a white bubble (10..49, 5..29) holding text; at its rim a white speck (51, 6) cut off from its
  // paper by a grey pixel (50, 6), as anti-aliasing leaves them; beside it a red hair spike 13 px wide
  // (52..64, 8..59) on a body (40..99, 60..99). Outline 5: the spike is wider than the bubble's opening
  // and narrower than the tip's (15).
  const bubble = (x: number, y: number) => x >= 10 && x < 50 && y >= 5 && y < 30;
  const rim = (x: number, y: number) => x === 50 && y >= 5 && y < 8;
  const speck = (x: number, y: number) => x === 51 && y === 6;
  const spike = (x: number, y: number) => x >= 52 && x < 65 && y >= 8 && y < 60;
  const body = (x: number, y: number) => x >= 40 && x < 100 && y >= 60;
  const page = makeRgb(120, 100, (x, y) =>
    spike(x, y) || body(x, y) ? [200, 60, 60] : rim(x, y) ? [128, 128, 128] : [255, 255, 255],
  );
  const mask = { width: 120, height: 100, data: new Uint8Array(120 * 100) };
  for (let y = 0; y < 100; y++)
    for (let x = 0; x < 120; x++)
      if (bubble(x, y) || rim(x, y) || speck(x, y) || spike(x, y) || body(x, y)) mask.data[y * 120 + x] = 255;
  const text = { width: 120, height: 100, data: new Uint8Array(120 * 100) };
  for (let y = 12; y < 20; y++) for (let x = 20; x < 40; x++) text.data[y * 120 + x] = 255;

  it('leaves a speck of anti-aliasing at the rim without it: a narrow part beside it stays', async () => {
    const { mask: cleaned, interiors } = await removeTextBubblesWithInteriors(mask, page, text, 5);
    expect(interiors?.data[6 * 120 + 51]).toBe(255); // the speck still goes with its bubble
    let lost = 0;
    for (let y = 0; y < 100; y++)
      for (let x = 0; x < 120; x++) if (spike(x, y) && cleaned.data[y * 120 + x] !== 255) lost++;
    // before: the tip's 15 px square opened the window around the speck and took the spike's top (90 px)
    expect(lost).toBe(0);
  });
});
