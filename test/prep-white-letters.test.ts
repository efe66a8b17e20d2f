// test/prep-white-letters.test.ts — white sound-effect letters (no outline) over art: only the letters
// are erased; the art inside their counters (the holes of B and O) stays as drawn. The light-outline
// rule (dark letters with a white outline: what the white encloses is the letters) took the counters
// for letters and inpainted them too.
import { describe, expect, it } from 'vitest';
import { enclosedPixels } from '../src/prep/text-letters.js';
import type { Box, RgbImage } from '../src/vision/image.js';
import { renderSvgToRgb } from '../src/vision/sharp-io.js';
import { SKIN } from './fixtures/prep-quality/pages.js';
import { whiteLettersSvg } from './fixtures/prep-quality/white-letters.js';
import {
  colourBox,
  countColour,
  defaultTextRemover,
  luma,
  textLineAt,
} from './helpers/prep-quality-stages.js';

/** The counters' pixels more than `insetPx` from the letters (row-major over `box`): what the erase must not touch. */
function counterCores(page: RgbImage, clean: RgbImage, box: Box, insetPx: number): Uint8Array {
  const letters = new Uint8Array(box.width * box.height);
  for (let y = 0; y < box.height; y++)
    for (let x = 0; x < box.width; x++) {
      const i = (box.y + y) * page.width + box.x + x;
      if (luma(page, i) >= 245 && luma(clean, i) < 240) letters[y * box.width + x] = 255;
    }
  const counters = enclosedPixels(letters, page, box, () => true);
  const cores = new Uint8Array(counters.length);
  for (let y = insetPx; y < box.height - insetPx; y++)
    for (let x = insetPx; x < box.width - insetPx; x++) {
      let clear = true;
      for (let d = -insetPx; d <= insetPx && clear; d++)
        clear =
          !letters[(y + d) * box.width + x] &&
          !letters[y * box.width + x + d] &&
          counters[y * box.width + x] !== 0;
      if (clear) cores[y * box.width + x] = 255;
    }
  return cores;
}

describe('white letters over art', () => {
  it('are erased without the art inside their counters', async () => {
    const remover = await defaultTextRemover();
    for (const ground of ['tone', '#6a7fa0']) {
      const [page, clean] = await Promise.all([
        renderSvgToRgb(whiteLettersSvg(true, ground)),
        renderSvgToRgb(whiteLettersSvg(false, ground)),
      ]);
      const box = colourBox(page, clean, [255, 255, 255]);
      const { image } = await remover.removeWithCounts(page, [textLineAt(box)]);
      // the letters are gone: white pixels where the art has none
      let letters = 0;
      let whiteLeft = 0;
      for (let i = 0; i < page.width * page.height; i++) {
        if (luma(clean, i) < 240 && luma(page, i) >= 245) letters++;
        if (luma(clean, i) < 240 && luma(image, i) >= 245) whiteLeft++;
      }
      expect(letters, ground).toBeGreaterThan(5_000);
      expect(whiteLeft, ground).toBeLessThan(letters * 0.02);
      // the counters' cores (9 px in from the letters, past the erase mask's 6 px growth and anti-aliasing) are as drawn
      const cores = counterCores(page, clean, box, 9);
      let core = 0;
      let changed = 0;
      for (let y = 0; y < box.height; y++)
        for (let x = 0; x < box.width; x++) {
          const i = (box.y + y) * page.width + box.x + x;
          // the counters on the ground (not the figure's flat skin, which any fill keeps)
          if (
            !cores[y * box.width + x] ||
            countColour({ width: 1, height: 1, data: clean.data.subarray(i * 3, i * 3 + 3) }, SKIN) === 1
          )
            continue;
          core++;
          if (Math.abs(luma(image, i) - luma(page, i)) > 8) changed++;
        }
      expect(core, ground).toBeGreaterThan(150);
      // before: on screentone, 1,811 of the 1,899 core pixels were inpainted (a smooth grey)
      expect(changed, ground).toBeLessThan(core * 0.05);
    }
  }, 60_000);
});
