// test/prep-hair-cap.test.ts — text removal on a manga page whose figure wears a flat black hair cap on a light,
// hatched background (test/fixtures/prep-quality/hair-cap.ts), with the real PaddleOCR detector: the letters
// in the bubble go, the head (boxed as a "text line" by the detector) stays.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyseFile } from '../src/prep/analyse-file.js';
import { createClassicSegmenter } from '../src/prep/segment-classic.js';
import { createPaddleTextDetector } from '../src/prep/text-detect-paddle.js';
import { prepConfigSchema } from '../src/schemas/config.js';
import type { RgbImage } from '../src/vision/image.js';
import { renderSvgToRgb } from '../src/vision/sharp-io.js';
import { HAIR_CAP_BUBBLE, HAIR_CAP_HEAD, hairCapPageSvg } from './fixtures/prep-quality/hair-cap.js';
import { writePage } from './fixtures/prep-quality/pages.js';
import { defaultTextRemover, luma } from './helpers/prep-quality-stages.js';

const root = mkdtempSync(join(tmpdir(), 'toonlora-haircap-'));

/** Share of the pixels in the circle (cx, cy, r) whose every channel in `image` is within 12 of `drawn`'s. */
function keptShare(image: RgbImage, drawn: RgbImage, circle: { cx: number; cy: number; r: number }): number {
  let kept = 0;
  let all = 0;
  for (let y = Math.floor(circle.cy - circle.r); y <= circle.cy + circle.r; y++)
    for (let x = Math.floor(circle.cx - circle.r); x <= circle.cx + circle.r; x++) {
      if ((x - circle.cx) ** 2 + (y - circle.cy) ** 2 > circle.r ** 2) continue;
      const i = (y * image.width + x) * 3;
      all++;
      if (
        [0, 1, 2].every((c) => Math.abs((image.data[i + c] as number) - (drawn.data[i + c] as number)) <= 12)
      )
        kept++;
    }
  return kept / all;
}

/** Dark pixels (luma < 80) inside the bubble's interior (8 px in from its outline) of `image`. */
function darkInBubble(image: RgbImage): number {
  const { cx, cy, rx, ry } = HAIR_CAP_BUBBLE;
  let dark = 0;
  for (let y = Math.floor(cy - ry); y <= cy + ry; y++)
    for (let x = Math.floor(cx - rx); x <= cx + rx; x++) {
      if (((x - cx) / (rx - 8)) ** 2 + ((y - cy) / (ry - 8)) ** 2 > 1) continue;
      if (luma(image, y * image.width + x) < 80) dark++;
    }
  return dark;
}

describe('a figure with a black hair cap on a light hatched panel, a speech bubble beside it', () => {
  it('removes the letters in the bubble and keeps the head (PaddleOCR boxes it as a text line)', async () => {
    const svg = hairCapPageSvg(true);
    const [page, clean] = await Promise.all([renderSvgToRgb(svg), renderSvgToRgb(hairCapPageSvg(false))]);
    const detector = await createPaddleTextDetector();
    const stages = {
      textDetector: detector,
      textRemover: await defaultTextRemover(),
      segmenter: createClassicSegmenter(),
      personDetector: null,
    };
    const file = await writePage(root, 'hair-cap.png', svg);
    const analysis = await analyseFile(stages, prepConfigSchema.parse({}), file, true);
    if (analysis.kind !== 'analysed') throw new Error(JSON.stringify(analysis.entry));
    const removed = analysis.stageImages?.textRemoved;
    if (!removed) throw new Error('no text-removed stage image');
    const head = keptShare(removed, page, HAIR_CAP_HEAD);
    const letters = darkInBubble(page) - darkInBubble(clean);
    const left = darkInBubble(removed) - darkInBubble(clean);
    console.log(
      `hair cap: head ${(100 * head).toFixed(1)} % kept; letters ${letters} px, ${Math.max(left, 0)} px left; ` +
        `${analysis.textRegions} text regions removed, ${analysis.refusedTextRegions} left in place`,
    );
    // before: the head's box passed as "on a bubble" (its ring is the light panel) and was inpainted away
    expect(head).toBeGreaterThan(0.99);
    expect(letters).toBeGreaterThan(500);
    expect(left).toBeLessThanOrEqual(0.01 * letters);
    expect(analysis.refusedTextRegions).toBe(1);
    // the crop starts at the top of the hair, not at the neck
    const crop = analysis.candidates[0];
    expect(crop?.characterBox.y).toBeLessThanOrEqual(HAIR_CAP_HEAD.cy - HAIR_CAP_HEAD.r + 4);
  }, 120_000);
});
