// test/prep-crop-clean.test.ts — what a crop holds besides its character, on synthetic pages
// (test/fixtures/prep-quality/): a second character beside it with `--characters largest`, a speech
// bubble's tail strokes, a bubble outline and a sound effect over screentone.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AnalysisStages, analyseFile } from '../src/prep/analyse-file.js';
import { createClassicSegmenter } from '../src/prep/segment-classic.js';
import type { TextRegion } from '../src/prep/stage-types.js';
import { createOpenCvTextRemover } from '../src/prep/text-remove.js';
import { prepConfigSchema } from '../src/schemas/config.js';
import type { RgbImage } from '../src/vision/image.js';
import { BLUE, SKIN, twoCharactersSvg, writePage } from './fixtures/prep-quality/pages.js';

const root = mkdtempSync(join(tmpdir(), 'toonlora-prep-crop-clean-'));

async function stages(regions: TextRegion[] = []): Promise<AnalysisStages> {
  const config = prepConfigSchema.parse({});
  return {
    textDetector: { name: 'fixed', detect: async () => regions },
    textRemover: await createOpenCvTextRemover({
      dilatePx: config.textDilatePx,
      inpaintRadius: config.inpaintRadius,
    }),
    segmenter: createClassicSegmenter(),
    personDetector: null,
  };
}

/** Pixels of `image` within 12/255 of `colour` on every channel. */
function countColour(image: RgbImage, colour: readonly number[]): number {
  let n = 0;
  for (let i = 0; i < image.data.length; i += 3) {
    if (colour.every((c, k) => Math.abs((image.data[i + k] as number) - c) <= 12)) n++;
  }
  return n;
}

/** `analyseFile` on the page `svg` (written as `name`), stage images kept. */
async function analyse(name: string, svg: string, regions: TextRegion[] = [], settings = {}) {
  const file = await writePage(root, name, svg);
  const analysis = await analyseFile(await stages(regions), prepConfigSchema.parse(settings), file, true);
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
