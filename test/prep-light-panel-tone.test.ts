// test/prep-light-panel-tone.test.ts — prep on a white page with screentone and cross-hatching on the panel
// background (test/fixtures/prep-quality/light-panel-tone.ts): the real PaddleOCR detector finds the bubble's
// lines, and stand-in "text lines" over the two patches (a detector firing on them) have paper all around,
// as a bubble's line does. The letters go; both patches stay as drawn.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPaddleTextDetector } from '../src/prep/text-detect-paddle.js';
import type { RgbImage } from '../src/vision/image.js';
import { decodeToRgb, renderSvgToRgb } from '../src/vision/sharp-io.js';
import {
  HATCH_PATCH,
  lightPanelToneSvg,
  TONE_BUBBLE,
  TONE_PATCH,
} from './fixtures/prep-quality/light-panel-tone.js';
import { changedByTextRemoval, prepOnePage } from './helpers/classic-page.js';
import { luma } from './helpers/prep-quality-stages.js';

const root = mkdtempSync(join(tmpdir(), 'toonlora-light-tone-'));

/** Dark pixels (luma < 80) of `image` inside the bubble's interior (8 px in from its outline). */
function darkInBubble(image: RgbImage): number {
  const { cx, cy, rx, ry } = TONE_BUBBLE;
  let dark = 0;
  for (let y = Math.floor(cy - ry); y <= cy + ry; y++)
    for (let x = Math.floor(cx - rx); x <= cx + rx; x++)
      if (
        ((x - cx) / (rx - 8)) ** 2 + ((y - cy) / (ry - 8)) ** 2 <= 1 &&
        luma(image, y * image.width + x) < 80
      )
        dark++;
  return dark;
}

describe('screentone and cross-hatching on a white panel, a speech bubble beside them', () => {
  it('removes the letters and leaves both patches in the image (and the note says why)', async () => {
    const svg = lightPanelToneSvg(true);
    const [page, clean] = await Promise.all([renderSvgToRgb(svg), renderSvgToRgb(lightPanelToneSvg(false))]);
    const lines = (await (await createPaddleTextDetector()).detect(page)).map((r) => r.box);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    const { file, outDir } = await prepOnePage(root, 'tone', svg, [...lines, TONE_PATCH, HATCH_PATCH]);
    // before: the patches passed as text on a bubble (screentone: light around and inside) or by their
    // strokes (cross-hatching: light around, dark inside; the repeat not checked) and were inpainted away
    expect(file).toMatchObject({ status: 'ok', textRegions: lines.length });
    expect(file?.reason).toMatch(/2 text detections left in place: .*a pattern repeating two ways/);
    expect(await changedByTextRemoval(outDir, file, svg, TONE_PATCH)).toBe(0);
    expect(await changedByTextRemoval(outDir, file, svg, HATCH_PATCH)).toBe(0);
    // the letters are gone
    const removed = await decodeToRgb(join(outDir, file?.stages?.textRemoved ?? ''), { maxPixels: 1e8 });
    const letters = darkInBubble(page) - darkInBubble(clean);
    expect(letters).toBeGreaterThan(300);
    expect(darkInBubble(removed) - darkInBubble(clean)).toBeLessThanOrEqual(0.01 * letters);
  }, 120_000);
});
