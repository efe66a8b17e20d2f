// test/prep-pages.test.ts — a manga page (a row split in two panels over one wide panel, white gutters and
// margins, a page number) through runPrep with the classic segmenter: each panel is analysed as its own image,
// the manifest records the 2-D panel boxes, the crops name their panel, and the Dataset page's cut of a stage
// image (panel-image.ts) is that panel's region. Before, the page was one picture: one crop (`largest`) of
// three panels holding the character.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { panelImagePng } from '../src/server/routes/datasets/panel-image.js';
import { decodeToRgb } from '../src/vision/sharp-io.js';
import { BLUE, figure, SKIN } from './fixtures/prep-quality/pages.js';
import { prepOnePage } from './helpers/classic-page.js';

const root = mkdtempSync(join(tmpdir(), 'toonlora-pages-'));

const at = (x: number, y: number, body: string) => `<g transform="translate(${x} ${y})">${body}</g>`;
/** A framed panel (4 px black border inside its box) filled with `fill`. */
const frame = (x: number, y: number, w: number, h: number, fill: string) =>
  `<rect x="${x + 2}" y="${y + 2}" width="${w - 4}" height="${h - 4}" fill="${fill}" stroke="#000" stroke-width="4"/>`;

/** 1000 x 1400: panels (40, 40, 450 x 560) and (510, 40, 450 x 560) side by side over (40, 640, 920 x 600); white
 * gutters 20 and 40 px, 40 px margins, a page number in the bottom margin. The figure in each. */
const pageSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="1400">
  <rect width="1000" height="1400" fill="#fff"/>
  ${frame(40, 40, 450, 560, '#bcd7f0')}${at(40, 40, figure(225, SKIN))}
  ${frame(510, 40, 450, 560, '#fff')}${at(510, 40, figure(200, BLUE))}
  ${frame(40, 640, 920, 600, '#faecaa')}${at(40, 640, figure(600, SKIN))}
  <rect x="490" y="1300" width="20" height="30" fill="#000"/>
</svg>`;

const PANELS = [
  { x: 40, y: 40, width: 450, height: 560 },
  { x: 510, y: 40, width: 450, height: 560 },
  { x: 40, y: 640, width: 920, height: 600 },
];

describe('prep on a manga page', () => {
  it('cuts it into its panels (rows, then left to right) and crops each panel as its own image', async () => {
    const { file, outDir } = await prepOnePage(root, 'page', pageSvg);
    expect(file).toMatchObject({ status: 'ok', width: 1000, height: 1400, panels: PANELS });
    // `largest`: one crop per panel (before: one crop for the whole page), each inside its own panel
    const crops = file?.crops ?? [];
    expect(crops.map((c) => [c.image, c.panel])).toEqual([
      ['10_sks girl/page-p01.png', 1],
      ['10_sks girl/page-p02.png', 2],
      ['10_sks girl/page-p03.png', 3],
    ]);
    for (const crop of crops) {
      const panel = PANELS[(crop.panel ?? 0) - 1] ?? { x: 0, y: 0, width: 0, height: 0 };
      const box = crop.characterBox;
      expect(box.x).toBeGreaterThanOrEqual(panel.x);
      expect(box.y).toBeGreaterThanOrEqual(panel.y);
      expect(box.x + box.width).toBeLessThanOrEqual(panel.x + panel.width);
      expect(box.y + box.height).toBeLessThanOrEqual(panel.y + panel.height);
      // the figure alone (140 x 400), not the panel
      expect(box.width).toBeLessThan(200);
      expect(box.height).toBeGreaterThan(350);
    }
    // the stage images cover the whole page, each panel's results placed at its x and y
    const mask = await decodeToRgb(join(outDir, file?.stages?.characterMask ?? ''), { maxPixels: 1e8 });
    expect([mask.width, mask.height]).toEqual([1000, 1400]);
    const maskAt = (x: number, y: number) => mask.data[(y * mask.width + x) * 3] as number;
    for (const crop of crops) {
      const { x, y, width, height } = crop.characterBox;
      expect(maskAt(x + Math.round(width / 2), y + Math.round(height / 2)), `panel ${crop.panel}`).toBe(255);
    }
    // the Dataset page's cut of panel 2 from the text-removed page: that panel's 450 x 560 region
    const removedPath = join(outDir, file?.stages?.textRemoved ?? '');
    const png = await panelImagePng(removedPath, { index: 2, box: PANELS[1] as (typeof PANELS)[number] });
    const cut = await decodeToRgb(png ?? Buffer.alloc(0), { maxPixels: 1e8 });
    const whole = await decodeToRgb(removedPath, { maxPixels: 1e8 });
    expect([cut.width, cut.height]).toEqual([450, 560]);
    const row = (image: typeof whole, x: number, y: number, n: number) =>
      Array.from(image.data.subarray((y * image.width + x) * 3, (y * image.width + x + n) * 3));
    for (const y of [0, 200, 559]) expect(row(cut, 0, y, 450)).toEqual(row(whole, 510, 40 + y, 450));
  }, 180_000);
});
