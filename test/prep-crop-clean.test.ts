// test/prep-crop-clean.test.ts — what a crop holds besides its character, on synthetic pages
// (test/fixtures/prep-quality/): a second character beside it with `--characters largest`, a speech
// bubble's tail strokes, a bubble outline and a sound effect over screentone.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyseFile } from '../src/prep/analyse-file.js';
import { cutSquare } from '../src/prep/crop-box.js';
import type { TextRegion } from '../src/prep/stage-types.js';
import { prepConfigSchema } from '../src/schemas/config.js';
import type { Box, GrayImage, RgbImage } from '../src/vision/image.js';
import { renderSvgToRgb } from '../src/vision/sharp-io.js';
import {
  BUBBLE_TEXT_BOX,
  bubbleTailSvg,
  FIGURE_RIGHT,
  SFX_BOX,
  sfxBesideSvg,
} from './fixtures/prep-quality/crop-clutter.js';
import { BLUE, SKIN, twoCharactersSvg, writePage } from './fixtures/prep-quality/pages.js';
import { classicStages, countColour, luma, textLineAt } from './helpers/prep-quality-stages.js';

const root = mkdtempSync(join(tmpdir(), 'toonlora-prep-crop-clean-'));

/** Pixels of `square` (cut at `cropBox`) in page columns from `fromX` on, darker than 100. */
function darkRightOf(square: RgbImage, cropBox: Box, fromX: number): number {
  let n = 0;
  for (let y = 0; y < square.height; y++)
    for (let x = Math.max(0, fromX - cropBox.x); x < square.width; x++)
      if (luma(square, y * square.width + x) < 100) n++;
  return n;
}

/** Pixels of `mask` set in columns from `fromX` on. */
function maskRightOf(mask: GrayImage, fromX: number): number {
  let n = 0;
  for (let y = 0; y < mask.height; y++)
    for (let x = fromX; x < mask.width; x++) if ((mask.data[y * mask.width + x] as number) > 127) n++;
  return n;
}

/** `analyseFile` on the page `svg` (written as `name`), stage images kept. */
async function analyse(name: string, svg: string, regions: TextRegion[] = [], settings = {}) {
  const file = await writePage(root, name, svg);
  const analysis = await analyseFile(
    await classicStages(regions),
    prepConfigSchema.parse(settings),
    file,
    true,
  );
  if (analysis.kind !== 'analysed') throw new Error(JSON.stringify(analysis.entry));
  return analysis;
}

/** The pre-resize squares of an analysis' crops. */
function squares(analysis: Awaited<ReturnType<typeof analyse>>): RgbImage[] {
  return analysis.candidates.map((c) => {
    if (!('square' in c) || !c.square) throw new Error('a candidate without its square');
    return c.square;
  });
}

describe('--characters largest', () => {
  it("paints the second character out of the first one's crop, as `all` does", async () => {
    const analysis = await analyse('two-largest.png', twoCharactersSvg);
    const [square, ...rest] = squares(analysis);
    expect(rest).toHaveLength(0);
    if (!square) throw new Error('no crop');
    const [skin, blue] = [countColour(square, SKIN), countColour(square, BLUE)];
    // the two figures are the same size: whichever was taken, the other is gone (~45,000 px otherwise)
    expect(Math.max(skin, blue)).toBeGreaterThan(5000);
    expect(Math.min(skin, blue)).toBe(0);
  });
});

describe('speech bubbles in the crop', () => {
  it("leaves a bubble's tail strokes out of the mask, and the bubble and tail out of the crop", async () => {
    const analysis = await analyse('bubble-tail.png', bubbleTailSvg(true), [textLineAt(BUBBLE_TEXT_BOX)]);
    const candidate = analysis.candidates[0];
    if (!candidate || !('square' in candidate) || !candidate.square) throw new Error('no crop');
    expect(candidate.characterBox.x + candidate.characterBox.width).toBeLessThanOrEqual(FIGURE_RIGHT);
    // the bubble and its tail lie right of the figure: before, ~1,900 dark pixels and a mask part
    expect(darkRightOf(candidate.square, candidate.cropBox, FIGURE_RIGHT + 8)).toBe(0);
    expect(maskRightOf(analysis.stageImages?.characterMask as GrayImage, FIGURE_RIGHT + 8)).toBe(0);
    expect(analysis.candidates).toHaveLength(1);
  });
});

describe('a sound effect over screentone beside the character', () => {
  it('is painted over with the screentone carried on, not a smear', async () => {
    const analysis = await analyse('sfx-beside.png', sfxBesideSvg(true), [textLineAt(SFX_BOX)]);
    const candidate = analysis.candidates[0];
    if (!candidate || !('square' in candidate) || !candidate.square) throw new Error('no crop');
    const { square, cropBox } = candidate;
    const clean = cutSquare(await renderSvgToRgb(sfxBesideSvg(false)), cropBox);
    // mean luminance difference to the page drawn without it, over the sound effect's box
    let sum = 0;
    let n = 0;
    for (let y = SFX_BOX.y; y < SFX_BOX.y + SFX_BOX.height; y++)
      for (let x = SFX_BOX.x; x < SFX_BOX.x + SFX_BOX.width; x++) {
        const i = (y - cropBox.y) * square.width + (x - cropBox.x);
        sum += Math.abs(luma(square, i) - luma(clean, i));
        n++;
      }
    expect(n).toBe(SFX_BOX.width * SFX_BOX.height);
    expect(sum / n).toBeLessThan(6);
  });
});
