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
