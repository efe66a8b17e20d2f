// test/prep-bubble-tail.test.ts — a speech bubble whose closed tail (a white triangle cut off from the
// bubble's interior by the bubble's own outline, as in examples/screens/panel-03) touches the
// character's head: the tail's white is the bubble's paper, so it leaves the mask with the interior.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GrayImage } from '../src/vision/image.js';
import {
  CLOSED_TAIL_AREA as TAIL_AREA,
  CLOSED_TAIL_TEXT_BOX as TEXT_BOX,
  closedTailSvg,
} from './fixtures/prep-quality/bubble-tail.js';
import { analyseWithTextLine } from './helpers/classic-page.js';
import { luma } from './helpers/prep-quality-stages.js';

const root = mkdtempSync(join(tmpdir(), 'toonlora-prep-bubble-tail-'));

/** Above the head's outline (y 162 at x 280, higher right of it) by the tail's tip (292, 164). */
const TIP_AREA = { x: 262, y: 130, width: 36, height: 26 };

/** Character-mask pixels in {@link TAIL_AREA}. */
function tailPixelsInMask(mask: GrayImage): number {
  let n = 0;
  for (let y = TAIL_AREA.y; y < TAIL_AREA.y + TAIL_AREA.height; y++)
    for (let x = TAIL_AREA.x; x < TAIL_AREA.x + TAIL_AREA.width; x++)
      if ((mask.data[y * mask.width + x] as number) > 127) n++;
  return n;
}

async function analyse(name: string, svg: string) {
  return (await analyseWithTextLine(root, name, svg, TEXT_BOX)).analysis;
}

describe('a closed bubble tail touching the head', () => {
  it('leaves the mask and the crop with the bubble (the crop starts at the head)', async () => {
    const analysis = await analyse('closed-tail.png', closedTailSvg());
    // before: 280 px of the tail's triangle were part of the character's mask part
    expect(tailPixelsInMask(analysis.stageImages?.characterMask as GrayImage)).toBeLessThan(40);
    const candidate = analysis.candidates[0];
    if (!candidate || !('square' in candidate) || !candidate.square) throw new Error('no crop');
    expect(candidate.characterBox.x).toBeGreaterThanOrEqual(224); // the body's corner (228), not the bubble (35)
    // the crop shows no tail strokes left of the head
    const { square, cropBox } = candidate;
    let dark = 0;
    for (let y = Math.max(TAIL_AREA.y, cropBox.y); y < TAIL_AREA.y + TAIL_AREA.height; y++)
      for (let x = Math.max(TAIL_AREA.x, cropBox.x); x < TAIL_AREA.x + TAIL_AREA.width - 6; x++)
        if (luma(square, (y - cropBox.y) * square.width + x - cropBox.x) < 100) dark++;
    expect(dark).toBeLessThan(20);
  }, 60_000);

  it("leaves the tail's tip off the head (its strokes meet in a wedge wider than the outline)", async () => {
    const analysis = await analyse('closed-tail-tip.png', closedTailSvg());
    const mask = analysis.stageImages?.characterMask as GrayImage;
    let tip = 0;
    for (let y = TIP_AREA.y; y < TIP_AREA.y + TIP_AREA.height; y++)
      for (let x = TIP_AREA.x; x < TIP_AREA.x + TIP_AREA.width; x++)
        if ((mask.data[y * mask.width + x] as number) > 127) tip++;
    // before: 25 px of the tip's wedge stayed on the head, a small hook in the crop
    expect(tip).toBe(0);
    // the head's top under it stays whole
    for (let y = 166; y < 186; y++)
      for (let x = 280; x < 320; x++) expect(mask.data[y * mask.width + x]).toBe(255);
  }, 60_000);

  it("keeps a near-white shape of the character's that touches the bubble's outline (not its paper)", async () => {
    // the same triangle filled #f2f2f2 (panel-01's shirt white): a character's part, 13 off the bubble's paper
    const analysis = await analyse('closed-tail-shirt.png', closedTailSvg('#f2f2f2'));
    expect(tailPixelsInMask(analysis.stageImages?.characterMask as GrayImage)).toBeGreaterThan(200);
  }, 60_000);
});
