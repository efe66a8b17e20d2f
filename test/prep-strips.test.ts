// test/prep-strips.test.ts — a webtoon strip (panels stacked with gutters) through runPrep with the
// classic segmenter: each panel is analysed as its own image, the manifest records the split, and the
// crops name their panel. Before, the whole strip was one picture: one crop from all its panels
// (`largest`), its mask joining one panel's grass band with a character's legs.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BLUE, figure, SKIN } from './fixtures/prep-quality/pages.js';
import { prepOnePage } from './helpers/classic-page.js';

const root = mkdtempSync(join(tmpdir(), 'toonlora-strips-'));

const at = (y: number, body: string) => `<g transform="translate(0 ${y})">${body}</g>`;

/**
 * 512 x 2200: a sky panel whose figure stands on a grass band (40..540), a white gutter, a framed white
 * panel (600..1100), a black gutter, then a yellow panel running into a pink one with no gutter
 * (1160..2160): three panels, four figures.
 */
const stripSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="512" height="2200">
  <rect width="512" height="2200" fill="#fff"/>
  <rect y="40" width="512" height="400" fill="#bcd7f0"/><rect y="440" width="512" height="100" fill="#78aa5a"/>
  ${at(40, figure(256, SKIN))}
  <rect x="10" y="602" width="492" height="496" fill="#fff" stroke="#000" stroke-width="4"/>
  ${at(600, figure(256, BLUE))}
  <rect y="1100" width="512" height="60" fill="#000"/>
  <rect y="1160" width="512" height="500" fill="#faecaa"/><rect y="1660" width="512" height="500" fill="#f5c8d2"/>
  ${at(1160, figure(180, SKIN))}${at(1660, figure(330, BLUE))}
</svg>`;

describe('prep on a webtoon strip', () => {
  it('cuts it at its gutters and crops each panel as its own image', async () => {
    const { file } = await prepOnePage(root, 'strip', stripSvg);
    expect(file).toMatchObject({ status: 'ok', width: 512, height: 2200 });
    const panels = file?.panels ?? [];
    expect(panels.map((p) => [p.y, p.y + p.height])).toEqual([
      [40, 540],
      [600, expect.closeTo(1100, -1)],
      [1160, 2160],
    ]);
    // `largest`: one crop per panel (before: one for the whole strip), each inside its own panel
    const crops = file?.crops ?? [];
    expect(crops.map((c) => [c.image, c.panel])).toEqual([
      ['10_sks girl/strip-p01.png', 1],
      ['10_sks girl/strip-p02.png', 2],
      ['10_sks girl/strip-p03.png', 3],
    ]);
    for (const crop of crops) {
      const panel = panels[(crop.panel ?? 0) - 1];
      const box = crop.characterBox;
      expect(panel).toBeDefined();
      expect(box.y).toBeGreaterThanOrEqual(panel?.y ?? Number.NaN);
      expect(box.y + box.height).toBeLessThanOrEqual((panel?.y ?? 0) + (panel?.height ?? 0));
      // the figure alone (140 px wide), not the grass band or the panel across the strip
      expect(box.width).toBeLessThan(200);
      expect(box.height).toBeGreaterThan(350);
    }
    // the stage images cover the whole strip
    expect(file?.stages?.characterMask).toBeDefined();
  }, 120_000);
});
