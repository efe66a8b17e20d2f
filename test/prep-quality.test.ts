// test/prep-quality.test.ts — prep output quality on synthetic pages (test/fixtures/prep-quality/):
// each case is a gap a user probe found, checked on the crops `analyseFile` makes.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AnalysisStages, analyseFile } from '../src/prep/process-file.js';
import { createClassicSegmenter } from '../src/prep/segment-classic.js';
import type { TextRegion } from '../src/prep/stage-types.js';
import { createOpenCvTextRemover } from '../src/prep/text-remove.js';
import { prepConfigSchema } from '../src/schemas/config.js';
import type { RgbImage } from '../src/vision/image.js';
import { BLUE, SKIN, twoCharactersSvg, writePage } from './fixtures/prep-quality/pages.js';

const root = mkdtempSync(join(tmpdir(), 'toonlora-prepq-'));

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

describe('--characters all', () => {
  it("cuts each character's crop from its own mask part, the neighbour whited out", async () => {
    const file = await writePage(root, 'two.png', twoCharactersSvg);
    const config = prepConfigSchema.parse({ characters: 'all' });
    const analysis = await analyseFile(await stages(), config, file, false);
    if (analysis.kind !== 'analysed') throw new Error(JSON.stringify(analysis.entry));
    const crops = analysis.candidates.map((c) => ('crop' in c ? c.crop : undefined));
    expect(crops).toHaveLength(2);
    // sorted largest first; both parts are the same size, so look at which colour each one holds
    const counts = crops.map((crop) => [
      countColour(crop as RgbImage, SKIN),
      countColour(crop as RgbImage, BLUE),
    ]);
    for (const [skin, blue] of counts) {
      expect(Math.max(skin as number, blue as number)).toBeGreaterThan(5000);
      expect(Math.min(skin as number, blue as number)).toBe(0);
    }
    expect(new Set(counts.map(([skin, blue]) => (skin as number) > (blue as number))).size).toBe(2);
  });
});
