// src/prep/inpaint-lama.test.ts — the LaMa inpainter's tensors (pure), a run of the tiny stand-in with
// LaMa's input / output names and shapes (test/fixtures/onnx/lama.onnx: masked pixels get the mean
// colour of the unmasked ones, x 255), the text remover using it, and its context window.
import { describe, expect, it } from 'vitest';
import { makeRgb, onnxFixture } from '../../test/helpers/images.js';
import type { GrayImage, RgbImage } from '../vision/image.js';
import { createLamaInpainter, loadLamaInpainter, packLamaMask, unpackLamaOutput } from './inpaint-lama.js';
import type { TextRegion } from './stage-types.js';
import { contextWindow, createOpenCvTextRemover } from './text-remove.js';

const pixel = (image: RgbImage, x: number, y: number) => [
  ...image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3),
];

function maskOf(width: number, height: number, inside: (x: number, y: number) => boolean): GrayImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data[y * width + x] = inside(x, y) ? 255 : 0;
  return { width, height, data };
}

describe('LaMa tensors', () => {
  it('packs the mask as 0 / 1 and reads 0..255 planes back clamped', () => {
    expect(packLamaMask({ width: 3, height: 1, data: new Uint8Array([0, 1, 255]) })).toEqual(
      new Float32Array([0, 1, 1]),
    );
    const back = unpackLamaOutput(new Float32Array([255, -4, 0, 102.4, 51, 300]), 2, 1);
    expect([...back.data]).toEqual([255, 0, 51, 0, 102, 255]);
  });
});

describe('createLamaInpainter (tiny stand-in model)', () => {
  it('fills the hole from the unmasked pixels at the window size, through the model square', async () => {
    const inpainter = await loadLamaInpainter({ modelPath: onnxFixture('lama.onnx') });
    // left half red, right half blue; a hole in the middle: the stand-in fills it with their mean, purple
    const image = makeRgb(120, 80, (x) => (x < 60 ? [200, 0, 0] : [0, 0, 200]));
    const hole = (x: number, y: number) => x >= 50 && x < 70 && y >= 30 && y < 50;
    const filled = await inpainter.inpaint(image, maskOf(120, 80, hole));
    expect([filled.width, filled.height]).toEqual([120, 80]);
    for (const [r, g, b] of [pixel(filled, 60, 40), pixel(filled, 55, 35), pixel(filled, 64, 44)]) {
      expect(Math.abs((r as number) - 100)).toBeLessThanOrEqual(4);
      expect(g).toBe(0);
      expect(Math.abs((b as number) - 100)).toBeLessThanOrEqual(4);
    }
    expect(pixel(filled, 10, 10)).toEqual([200, 0, 0]); // far from the hole: passes through the round trip
    expect(pixel(filled, 110, 70)).toEqual([0, 0, 200]);
  });

  it('refuses a model without LaMa inputs, naming the model', async () => {
    await expect(loadLamaInpainter({ modelPath: onnxFixture('isnet-anime.onnx') })).rejects.toMatchObject({
      code: 'TL_ERR_MODEL_MISSING',
      message: expect.stringContaining('lama'),
    });
  });
});

function region(x: number, y: number, w: number, h: number): TextRegion {
  const polygon: Array<[number, number]> = [
    [x, y],
    [x + w, y],
    [x + w, y + h],
    [x, y + h],
  ];
  return { polygon, box: { x, y, width: w, height: h }, score: 0.9 };
}

describe('the text remover with LaMa', () => {
  it('fills text over art with the inpainter and still flat-fills a bubble; nothing outside the mask changes', async () => {
    const remover = await createOpenCvTextRemover({
      dilatePx: 2,
      inpaintRadius: 3,
      inpainter: createLamaInpainter({ modelPath: onnxFixture('lama.onnx') }),
    });
    expect(remover.name).toBe('lama-inpaint');
    // art: a red / green checker at the left (the letters' colour, black, is not in it); a white bubble at the right
    type Rgb = [number, number, number];
    const art = (x: number, y: number): Rgb => (((x >> 2) + (y >> 2)) % 2 ? [220, 40, 40] : [40, 220, 40]);
    const glyph = (x: number, y: number) =>
      y >= 50 && y < 70 && x % 6 < 3 && ((x >= 40 && x < 100) || (x >= 260 && x < 320));
    const image = makeRgb(
      360,
      120,
      (x, y): Rgb => (glyph(x, y) ? [0, 0, 0] : x < 200 ? art(x, y) : [255, 255, 255]),
    );
    const result = await remover.removeWithCounts(image, [region(38, 48, 64, 24), region(258, 48, 64, 24)]);
    expect(result.counts).toEqual({ flatFilled: 1, inpainted: 1 });
    expect(pixel(result.image, 288, 60)).toEqual([255, 255, 255]);
    // the stand-in's answer: the mean of the window's unmasked checker, about (130, 130, 40); never black
    const filledLetters: number[][] = [];
    for (let y = 50; y < 70; y++)
      for (let x = 40; x < 100; x++)
        if (result.mask.data[y * 360 + x] && x % 6 < 3) filledLetters.push(pixel(result.image, x, y));
    expect(filledLetters.length).toBeGreaterThan(100);
    for (const [r, g, b] of filledLetters) {
      expect(Math.abs((r as number) - 130)).toBeLessThan(20);
      expect(Math.abs((g as number) - 130)).toBeLessThan(20);
      expect(Math.abs((b as number) - 40)).toBeLessThan(6);
    }
    for (let i = 0; i < 360 * 120; i++) {
      if (!result.mask.data[i])
        expect(pixel(result.image, i % 360, Math.floor(i / 360))).toEqual(
          pixel(image, i % 360, Math.floor(i / 360)),
        );
    }
  });
});

describe('contextWindow', () => {
  it('is a square around the area with half its longer side of context, at least 32 px', () => {
    // margin 32 (half of 40 is less): side 40 + 64, centred on (120, 110)
    expect(contextWindow({ x: 100, y: 100, width: 40, height: 20 }, 1000, 1000)).toEqual({
      x: 68,
      y: 58,
      width: 104,
      height: 104,
    });
    expect(contextWindow({ x: 400, y: 400, width: 200, height: 100 }, 1000, 1000)).toEqual({
      x: 300,
      y: 250,
      width: 400,
      height: 400,
    });
  });

  it('stays inside the image, shifted rather than cut where it can, and holds the area', () => {
    expect(contextWindow({ x: 0, y: 5, width: 40, height: 20 }, 1000, 60)).toEqual({
      x: 0,
      y: 0,
      width: 104,
      height: 60,
    });
    expect(contextWindow({ x: 0, y: 0, width: 50, height: 50 }, 60, 60)).toEqual({
      x: 0,
      y: 0,
      width: 60,
      height: 60,
    });
  });
});
