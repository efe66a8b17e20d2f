// test/prep-tail-tip-stroke.test.ts — a bubble tail's tip stroke the segmenter left out of its mask
// (a thin dark stroke on a dark sky, beside a head) is painted over with the bubble (crop-clutter.ts
// growThroughOutlineColour); a character's dark hair strand touching the bubble is not.
import { describe, expect, it } from 'vitest';
import { cropClutter } from '../src/prep/crop-clutter.js';
import type { GrayImage, RgbImage } from '../src/vision/image.js';

const W = 120;
const H = 60;
const OUTLINE = 3;
const SKY = [0x1d, 0x23, 0x40];
const INK = [0x11, 0x11, 0x11];
const PAPER = [255, 255, 255];
const SKIN = [250, 220, 200];

/** The page: a bubble (ink rim, paper inside) at x 10..40, a head at x 70..100 with a hair strand
 * reaching left to touch the bubble (y 38..39), and the tail's tip stroke (y 24..26, x 41..50) outside
 * every mask. */
function page() {
  const rgb = new Uint8Array(W * H * 3);
  const raw = new Uint8Array(W * H);
  const mask = new Uint8Array(W * H);
  const interiors = new Uint8Array(W * H);
  const paint = (x0: number, y0: number, x1: number, y1: number, colour: number[], to: Uint8Array[] = []) => {
    for (let y = y0; y <= y1; y++)
      for (let x = x0; x <= x1; x++) {
        rgb.set(colour, 3 * (y * W + x));
        for (const m of to) m[y * W + x] = 255;
      }
  };
  paint(0, 0, W - 1, H - 1, SKY);
  paint(10, 10, 40, 40, INK, [raw]); // the bubble's outline (out of the mask: bubble-mask.ts cleared it)
  paint(13, 13, 37, 37, PAPER, [interiors]);
  paint(70, 10, 100, 50, INK, [raw, mask]); // the head: outline, skin inside
  paint(73, 13, 97, 47, SKIN);
  paint(41, 38, 69, 39, INK, [raw, mask]); // a hair strand, part of the head's mask part
  paint(41, 24, 50, 26, INK); // the tail's tip stroke: no mask marks it
  const gray = (data: Uint8Array): GrayImage => ({ width: W, height: H, data });
  const image: RgbImage = { width: W, height: H, data: rgb };
  return { image, raw: gray(raw), mask: gray(mask), interiors: gray(interiors) };
}

const head = { x: 41, y: 10, width: 60, height: 41 };

async function clutterOf(withImage: boolean) {
  const { image, raw, mask, interiors } = page();
  const text = { width: W, height: H, data: new Uint8Array(W * H) };
  const page_ = withImage ? { image, outlinePx: OUTLINE } : undefined;
  const result = await cropClutter(raw, interiors, mask, text, [head], [], page_);
  if (!result.clutter) throw new Error('no clutter');
  return result.clutter.data;
}

const count = (data: Uint8Array, x0: number, y0: number, x1: number, y1: number) => {
  let n = 0;
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) if (data[y * W + x]) n++;
  return n;
};

describe('a bubble tail tip stroke outside the mask', () => {
  it('is painted over with the bubble when the page is given', async () => {
    const clutter = await clutterOf(true);
    expect(count(clutter, 41, 24, 50, 26)).toBe(30); // the whole stroke
    expect(count(clutter, 10, 10, 40, 40)).toBe(31 * 31); // the bubble
    // the sky around the stroke stays (its colour is far from the ink's)
    expect(count(clutter, 41, 18, 60, 22)).toBe(0);
    expect(count(clutter, 51, 24, 60, 26)).toBe(0);
  });

  it('was left in the crop without the page (the stroke beside the head before)', async () => {
    const clutter = await clutterOf(false);
    expect(count(clutter, 41, 24, 50, 26)).toBe(0);
  });

  it('leaves a dark hair strand touching the bubble to the character', async () => {
    const clutter = await clutterOf(true);
    expect(count(clutter, 41, 38, 69, 39)).toBe(0);
    expect(count(clutter, 70, 10, 100, 50)).toBe(0);
  });
});
