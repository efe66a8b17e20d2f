// test/prep-text-strip.test.ts — a 600x7200 webtoon strip: upstream's single 960 px resize shrinks
// it 7.5x and loses the text; the tiled detector finds every line, including lines across tile edges.
import { beforeAll, describe, expect, it } from 'vitest';
import { drawWebtoonStrip, type SyntheticPanel } from '../scripts/draw-panels.js';
import type { TextDetector } from '../src/prep/stage-types.js';
import { createPaddleTextDetector } from '../src/prep/text-detect-paddle.js';
import { rasterizeTextMask } from '../src/prep/text-mask.js';
import { startInferenceThreads } from '../src/vision/onnx.js';
import { loadOpenCv, type OpenCv } from '../src/vision/opencv.js';

let cv: OpenCv;
let strip: SyntheticPanel;
let tiled: TextDetector;
let untiled: TextDetector;

beforeAll(async () => {
  [cv, strip, tiled, untiled] = await Promise.all([
    loadOpenCv(),
    drawWebtoonStrip(),
    createPaddleTextDetector(),
    createPaddleTextDetector({ tiling: false }),
  ]);
});

/** Lines with >= 80% of their glyph pixels inside the regions, and how many regions touch text. */
async function linesFound(detector: TextDetector): Promise<{ found: string[]; textRegions: number }> {
  const regions = await detector.detect(strip.image);
  const { width, height } = strip.image;
  const mask = rasterizeTextMask(cv, regions, width, height, 0);
  const found = strip.textLines
    .filter((line) => {
      let inside = 0;
      for (const i of line.pixels) if (mask.data[i]) inside++;
      return inside / line.pixels.length >= 0.8;
    })
    .map((line) => line.text);
  const textRegions = regions.filter((region) => {
    const own = rasterizeTextMask(cv, [region], width, height, 0);
    return strip.textLines.some((line) => line.pixels.some((i) => own.data[i] !== 0));
  }).length;
  return { found, textRegions };
}

describe('text detection on a long webtoon strip', () => {
  it('finds every line with tiling, and shows why tiling is needed', async () => {
    const withTiles = await linesFound(tiled);
    const without = await linesFound(untiled);
    console.log(
      `strip 600x7200, ${strip.textLines.length} lines: tiled ${withTiles.found.length} found (${withTiles.textRegions} regions on text), ` +
        `single 960 px resize ${without.found.length} found`,
    );
    expect(withTiles.found.sort()).toEqual(strip.textLines.map((l) => l.text).sort());
    // One region per line: the overlap duplicates and cut-off halves were merged away.
    expect(withTiles.textRegions).toBe(strip.textLines.length);
    expect(without.found.length).toBeLessThan(strip.textLines.length);
  });

  it('on inference threads (tiles side by side) the regions are the same, in the same order', async () => {
    const here = await createPaddleTextDetector({ intraOpThreads: 1 });
    const expected = await here.detect(strip.image);
    const end = startInferenceThreads(2, 1);
    try {
      const helped = await createPaddleTextDetector({ intraOpThreads: 1 });
      expect(await helped.detect(strip.image)).toEqual(expected);
    } finally {
      await end();
    }
  });
});
