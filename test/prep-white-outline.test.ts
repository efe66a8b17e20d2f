// test/prep-white-outline.test.ts — dark sound-effect letters with a white outline over art
// (test/fixtures/prep-quality/white-outline.ts): removed whole whether the detected box hugs the
// outline or the letters, and the figure under them cropped whole.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyseFile } from '../src/prep/analyse-file.js';
import { prepConfigSchema } from '../src/schemas/config.js';
import type { RgbImage } from '../src/vision/image.js';
import { renderSvgToRgb } from '../src/vision/sharp-io.js';
import { writePage } from './fixtures/prep-quality/pages.js';
import { whiteOutlinedSfxSvg } from './fixtures/prep-quality/white-outline.js';
import {
  classicStages,
  colourBox,
  countLuma,
  defaultTextRemover,
  textLineAt,
} from './helpers/prep-quality-stages.js';

const root = mkdtempSync(join(tmpdir(), 'toonlora-prep-white-outline-'));

/**
 * Pixels where the `clean` page (no letters) has none of their colours: the white outline and the dark
 * letters drawn on `page`, and the white and dark pixels of them left in the erased `image`.
 */
function leftBehind(page: RgbImage, clean: RgbImage, image: RgbImage) {
  const white = (l: number) => l >= 245;
  const notWhiteArt = (l: number) => l < 240;
  const dark = (l: number) => l < 40;
  const notDarkArt = (l: number) => l >= 40;
  return {
    outline: countLuma(page, clean, white, notWhiteArt),
    whiteLeft: countLuma(image, clean, white, notWhiteArt),
    letters: countLuma(page, clean, dark, notDarkArt),
    darkLeft: countLuma(image, clean, dark, notDarkArt),
  };
}

describe('dark sound-effect letters with a white outline, detected by a box tight to the outline', () => {
  it('erases the dark letters with their outline (only the white outline was foreign to the art, and the letters were left)', async () => {
    const remover = await defaultTextRemover();
    for (const ground of ['tone', '#6a7fa0']) {
      const [page, clean] = await Promise.all([
        renderSvgToRgb(whiteOutlinedSfxSvg(true, 8, ground)),
        renderSvgToRgb(whiteOutlinedSfxSvg(false, 8, ground)),
      ]);
      // the detector's box hugs the white outline; the art around it has the letters' black (line work)
      const { image, counts } = await remover.removeWithCounts(page, [
        textLineAt(colourBox(page, clean, [255, 255, 255])),
      ]);
      expect(counts).toEqual({ flatFilled: 0, inpainted: 1 });
      // dark and white pixels where the clean page has none: the letters and their outline left behind
      const { letters, darkLeft, whiteLeft } = leftBehind(page, clean, image);
      const leftover = darkLeft + whiteLeft;
      expect(letters, ground).toBeGreaterThan(8_000);
      // measured: 15,000+ dark pixels left (the whole letters) before the fix; 0 with it
      expect(leftover, ground).toBeLessThan(letters * 0.02);
    }
  });
});

describe('dark sound-effect letters with a thick white outline, detected by a box tight to the letters', () => {
  it('erases letters and outline, not fills the box white (the ring on the outline read as a flat white bubble)', async () => {
    const remover = await defaultTextRemover();
    for (const ground of ['tone', '#6a7fa0']) {
      const [page, clean] = await Promise.all([
        renderSvgToRgb(whiteOutlinedSfxSvg(true, 22, ground)),
        renderSvgToRgb(whiteOutlinedSfxSvg(false, 22, ground)),
      ]);
      // the box hugs the black letters: its ring (textDilatePx and 3 px out) lies on the 22 px white outline
      const { image, counts } = await remover.removeWithCounts(page, [
        textLineAt(colourBox(page, clean, [0, 0, 0])),
      ]);
      expect(counts, ground).toEqual({ flatFilled: 0, inpainted: 1 });
      const { outline, whiteLeft, letters, darkLeft } = leftBehind(page, clean, image);
      expect(outline, ground).toBeGreaterThan(20_000);
      // measured: 36,000 white pixels left (the outline, and the letters filled white) before; ~600 with it
      expect(whiteLeft, ground).toBeLessThan(outline * 0.05);
      expect(darkLeft, ground).toBeLessThan(letters * 0.02);
    }
  });
});

describe('dark sound-effect letters with a medium white outline, detected by a box tight to the letters', () => {
  it('erases letters and outline (the ring on the outline, broken by the gaps between letters, is measured as a band)', async () => {
    const remover = await defaultTextRemover();
    for (const ground of ['tone', '#6a7fa0'])
      for (const outlinePx of [10, 14, 18]) {
        const [page, clean] = await Promise.all([
          renderSvgToRgb(whiteOutlinedSfxSvg(true, outlinePx, ground)),
          renderSvgToRgb(whiteOutlinedSfxSvg(false, outlinePx, ground)),
        ]);
        const { image } = await remover.removeWithCounts(page, [
          textLineAt(colourBox(page, clean, [0, 0, 0])),
        ]);
        const { outline, whiteLeft, letters, darkLeft } = leftBehind(page, clean, image);
        const which = `${ground}, ${outlinePx} px`;
        // measured before (tone 10 / 14 / 18 px): white left 11,148 / 28,440 / 32,244 (the outline, then the
        // box filled white), dark left 9,831 / 0 / 0; flat blue, 10 px: 9,074 white, 10,885 dark
        expect(whiteLeft, which).toBeLessThan(outline * 0.05);
        expect(darkLeft, which).toBeLessThan(letters * 0.02);
      }
  }, 60_000);
});

describe('the crop of a figure under dark white-outlined sound-effect letters', () => {
  it('is the whole figure, without the letters and not cut at them', async () => {
    // before: the letters left in the image (thin outline, box on it) joined the figure's mask: a crop
    // 302 px wide; the box filled white (thick outline, box on the letters) cut the figure in two at them
    for (const [outlinePx, hug] of [
      [8, [255, 255, 255]],
      [22, [0, 0, 0]],
    ] as const) {
      const [page, clean] = await Promise.all([
        renderSvgToRgb(whiteOutlinedSfxSvg(true, outlinePx, 'tone')),
        renderSvgToRgb(whiteOutlinedSfxSvg(false, outlinePx, 'tone')),
      ]);
      const file = await writePage(
        root,
        `white-outlined-${outlinePx}.png`,
        whiteOutlinedSfxSvg(true, outlinePx, 'tone'),
      );
      const regions = [textLineAt(colourBox(page, clean, hug))];
      const analysis = await analyseFile(
        await classicStages(regions),
        prepConfigSchema.parse({}),
        file,
        false,
      );
      if (analysis.kind !== 'analysed') throw new Error(JSON.stringify(analysis.entry));
      // the figure: x 186-326 (its outline a little more), y 78-482
      expect(analysis.candidates.map((c) => c.characterBox)).toEqual([
        expect.objectContaining({
          y: expect.toSatisfy((y: number) => y <= 80),
          width: expect.toSatisfy((w: number) => w < 170),
          height: expect.toSatisfy((h: number) => h >= 400),
        }),
      ]);
    }
  });
});
