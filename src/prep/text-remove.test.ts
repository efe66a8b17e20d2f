// src/prep/text-remove.test.ts — the OpenCV remover on hand-made images: flat bubble -> bubble colour,
// textured area -> NS inpaint, mask = filled polygon grown by dilatePx, no regions -> untouched.
import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../vision/image.js';
import { loadOpenCv, matFromGray, matFromRgb, withMats } from '../vision/opencv.js';
import type { TextRegion } from './stage-types.js';
import { createOpenCvTextRemover } from './text-remove.js';

function region(x: number, y: number, w: number, h: number): TextRegion {
  return {
    polygon: [
      [x, y],
      [x + w, y],
      [x + w, y + h],
      [x, y + h],
    ],
    box: { x, y, width: w, height: h },
    score: 0.9,
  };
}

/** 200x120 image of `bg`, with black "glyphs" (vertical bars) in 60..140 x 50..70. */
function withGlyphs(bg: (x: number, y: number) => [number, number, number]): RgbImage {
  const data = new Uint8Array(200 * 120 * 3);
  for (let y = 0; y < 120; y++) {
    for (let x = 0; x < 200; x++) {
      const glyph = x >= 60 && x < 140 && y >= 50 && y < 70 && x % 6 < 3;
      data.set(glyph ? [0, 0, 0] : bg(x, y), (y * 200 + x) * 3);
    }
  }
  return { width: 200, height: 120, data };
}

describe('createOpenCvTextRemover', () => {
  it('fills text on a flat bubble with the bubble colour', async () => {
    const remover = await createOpenCvTextRemover({ dilatePx: 2, inpaintRadius: 3 });
    const image = withGlyphs(() => [250, 248, 240]);
    const result = await remover.removeWithCounts(image, [region(58, 48, 84, 24)]);
    expect(result.counts).toEqual({ flatFilled: 1, inpainted: 0 });
    for (let i = 0; i < 200 * 120; i++) {
      expect([...result.image.data.subarray(i * 3, i * 3 + 3)]).toEqual([250, 248, 240]);
    }
  });

  it('fills text on a dark flat ground (a black narration box) with the ground colour: it is no outline band', async () => {
    const remover = await createOpenCvTextRemover({ dilatePx: 2, inpaintRadius: 3 });
    const image = withGlyphs(() => [20, 20, 24]);
    for (let i = 0; i < 200 * 120; i++) if (image.data[i * 3] === 0) image.data.set([250, 250, 250], i * 3);
    const result = await remover.removeWithCounts(image, [region(58, 48, 84, 24)]);
    expect(result.counts).toEqual({ flatFilled: 1, inpainted: 0 });
    expect(result.mask.data.reduce((n, v) => n + (v ? 1 : 0), 0)).toBeLessThan(90 * 32);
  });

  it('inpaints (INPAINT_NS) text over a gradient, and only inside the mask', async () => {
    const remover = await createOpenCvTextRemover({ dilatePx: 2, inpaintRadius: 3 });
    const gradient = (x: number): [number, number, number] => [x, 100, 255 - x];
    const image = withGlyphs(gradient);
    const result = await remover.removeWithCounts(image, [region(58, 48, 84, 24)]);
    expect(result.counts).toEqual({ flatFilled: 0, inpainted: 1 });
    let maxError = 0;
    for (let y = 0; y < 120; y++) {
      for (let x = 0; x < 200; x++) {
        const i = (y * 200 + x) * 3;
        const [r, g, b] = result.image.data.subarray(i, i + 3) as unknown as [number, number, number];
        if (!result.mask.data[y * 200 + x]) {
          expect([r, g, b]).toEqual([...image.data.subarray(i, i + 3)]);
          continue;
        }
        maxError = Math.max(maxError, Math.abs(r - x), Math.abs(g - 100), Math.abs(b - (255 - x)));
      }
    }
    expect(maxError).toBeLessThan(40); // no black glyph survives; the gradient is roughly continued
  });

  it('inpainting the area box (plus margin) gives the same pixels as inpainting the whole image', async () => {
    const cv = await loadOpenCv();
    const remover = await createOpenCvTextRemover({ dilatePx: 2, inpaintRadius: 3, flatFill: false });
    const image = withGlyphs((x, y) => [x, (x * y) % 256, 255 - y]);
    const result = await remover.remove(image, [region(58, 48, 84, 24)]);
    const whole = await withMats((keep) => {
      const src = keep(matFromRgb(cv, image));
      const mask = keep(matFromGray(cv, result.mask));
      const dst = keep(new cv.Mat());
      cv.inpaint(src, mask, dst, 3, cv.INPAINT_NS);
      return new Uint8Array(dst.data);
    });
    expect(result.image.data).toEqual(whole);
  });

  it('over textured art, inpaints only the letters (colours the art lacks) and keeps the art between them', async () => {
    const remover = await createOpenCvTextRemover({ dilatePx: 2, inpaintRadius: 3 });
    // Black/white stripes; two red "letters" 20 px wide with a 40 px gap, inside one 160x40 region.
    const data = new Uint8Array(200 * 120 * 3);
    const isLetter = (x: number, y: number) =>
      y >= 50 && y < 70 && ((x >= 30 && x < 50) || (x >= 150 && x < 170));
    for (let y = 0; y < 120; y++) {
      for (let x = 0; x < 200; x++) {
        data.set(isLetter(x, y) ? [220, 30, 30] : x % 8 < 4 ? [0, 0, 0] : [255, 255, 255], (y * 200 + x) * 3);
      }
    }
    const image = { width: 200, height: 120, data };
    const result = await remover.removeWithCounts(image, [region(20, 45, 160, 30)]);
    expect(result.counts).toEqual({ flatFilled: 0, inpainted: 1 });
    const at = (x: number, y: number) => [
      ...result.image.data.subarray((y * 200 + x) * 3, (y * 200 + x) * 3 + 3),
    ];
    for (let x = 70; x < 130; x++)
      expect(at(x, 60)).toEqual([...image.data.subarray((60 * 200 + x) * 3, (60 * 200 + x) * 3 + 3)]);
    expect(result.mask.data[60 * 200 + 100]).toBe(0); // the gap was not replaced
    expect(result.mask.data[60 * 200 + 40]).toBe(255);
    for (let y = 50; y < 70; y++) {
      for (const x of [35, 45, 155, 165]) {
        const [r, g] = at(x, y) as [number, number];
        expect(r - g, `(${x}, ${y}) still red`).toBeLessThan(100);
      }
    }
  });

  it('returns a mask of the filled polygon grown by dilatePx', async () => {
    const remover = await createOpenCvTextRemover({ dilatePx: 4, inpaintRadius: 3 });
    const { mask } = await remover.remove(
      withGlyphs(() => [255, 255, 255]),
      [region(60, 50, 80, 20)],
    );
    const at = (x: number, y: number) => mask.data[y * 200 + x];
    expect(at(100, 60)).toBe(255);
    expect(at(57, 60)).toBe(255); // 3 px left of the polygon: inside the dilation
    expect(at(54, 60)).toBe(0); // 6 px left: outside
    expect(at(100, 47)).toBe(255);
    expect(at(100, 44)).toBe(0);
  });

  it('leaves the image untouched when there are no regions', async () => {
    const remover = await createOpenCvTextRemover({ dilatePx: 4, inpaintRadius: 3 });
    const image = withGlyphs(() => [10, 20, 30]);
    const { image: out, mask } = await remover.remove(image, []);
    expect(out.data).toEqual(image.data);
    expect(mask.data.every((v) => v === 0)).toBe(true);
  });
});
