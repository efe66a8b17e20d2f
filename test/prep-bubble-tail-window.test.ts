// test/prep-bubble-tail-window.test.ts — the head under a speech bubble's tail keeps its outline in the
// crop: bubble removal opens the mask only in a window around the bubble (its box grown by two outline
// widths), and where that window's edge crosses the head, the head's sides above the edge must stay in
// the character mask (else crop-clutter.ts took them for the bubble's and they were painted over).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeToRgb } from '../src/vision/sharp-io.js';
import { CLOSED_TAIL_TEXT_BOX as TEXT_BOX, closedTailSvg } from './fixtures/prep-quality/bubble-tail.js';
import { analyseWithTextLine } from './helpers/classic-page.js';
import { luma } from './helpers/prep-quality-stages.js';

const root = mkdtempSync(join(tmpdir(), 'toonlora-prep-bubble-tail-window-'));

/** The head's outline left of the tail's tip, in the rows just above the bubble window's edge. */
const HEAD_SIDE = { x: 255, y: 163, width: 25, height: 8 };

describe("a head crossed by the bubble opening's window edge", () => {
  it('keeps its outline beside the edge in the crop (not painted over as the bubble)', async () => {
    const { file, analysis } = await analyseWithTextLine(
      root,
      'closed-tail-window.png',
      closedTailSvg(),
      TEXT_BOX,
    );
    const page = await decodeToRgb(file, { maxPixels: 1e7 });
    const candidate = analysis.candidates[0];
    if (!candidate || !('square' in candidate) || !candidate.square) throw new Error('no crop');
    const { square, cropBox } = candidate;
    let outline = 0;
    let kept = 0;
    for (let y = HEAD_SIDE.y; y < HEAD_SIDE.y + HEAD_SIDE.height; y++)
      for (let x = HEAD_SIDE.x; x < HEAD_SIDE.x + HEAD_SIDE.width; x++) {
        if (luma(page, y * page.width + x) >= 100) continue;
        outline++;
        if (luma(square, (y - cropBox.y) * square.width + x - cropBox.x) < 100) kept++;
      }
    expect(outline).toBeGreaterThan(40);
    // before: the window's edge read as empty and 9 of the 54 px, at y 165-167, were painted sky
    expect(kept).toBe(outline);
  }, 60_000);
});
