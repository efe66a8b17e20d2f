// test/prep-panel-small.test.ts — a small figure alone in its panel, beside a big one in another panel, through
// runPrep with the classic segmenter. On a manga page it is that panel's character: a crop of its own. On a
// webtoon strip it stays out (a strip's piece that small beside the strip's biggest character is taken for a
// remnant, a sound effect's), listed as rejected with its panel and why. Before, both were dropped without a
// word: on the page the figure the character mask showed in panel 2 got no crop, no rejection, no reason.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BLUE, figure, SKIN } from './fixtures/prep-quality/pages.js';
import { prepOnePage } from './helpers/classic-page.js';

const root = mkdtempSync(join(tmpdir(), 'toonlora-panel-small-'));

/** The fixtures' figure (about 150 x 410 px at scale 1) scaled by `scale`, moved by (x, y). */
const scaled = (x: number, y: number, scale: number, fill: readonly number[]) =>
  `<g transform="translate(${x} ${y}) scale(${scale})">${figure(256, fill)}</g>`;
/** A framed panel (4 px black border inside its box) filled with `fill`. */
const frame = (x: number, y: number, w: number, h: number, fill: string) =>
  `<rect x="${x + 2}" y="${y + 2}" width="${w - 4}" height="${h - 4}" fill="${fill}" stroke="#000" stroke-width="4"/>`;
/** The big figure (about 195 x 530 px) and the small one (about 85 x 225 px: some 18 % of the big one's box). */
const BIG = 1.3;
const SMALL = 0.55;

/** 960 x 1330: panel 1 (40, 40, 880 x 640) holds the big figure, panel 2 (40, 700, 880 x 590) the small one, a
 * straight white gutter between them (the probe's page had a slanted one: the cut does not matter here). */
const pageSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="960" height="1330">
  <rect width="960" height="1330" fill="#fff"/>
  ${frame(40, 40, 880, 640, '#bcd7f0')}${scaled(60, -20, BIG, SKIN)}
  ${frame(40, 700, 880, 590, '#faecaa')}${scaled(600, 900, SMALL, BLUE)}
</svg>`;

/** 512 x 1400: the same two figures in panels of a strip (40..700 sky, 760..1360 sand, white gutters). */
const stripSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="512" height="1400">
  <rect width="512" height="1400" fill="#fff"/>
  <rect y="40" width="512" height="660" fill="#bcd7f0"/>${scaled(-80, -20, BIG, SKIN)}
  <rect y="760" width="512" height="600" fill="#faecaa"/>${scaled(200, 960, SMALL, BLUE)}
</svg>`;

describe('a small figure alone in its panel', () => {
  it("gets a crop of its own on a manga page, however small beside another panel's character", async () => {
    const { file } = await prepOnePage(root, 'page', pageSvg);
    expect(file).toMatchObject({ status: 'ok', rejected: [] });
    expect(file?.panels).toHaveLength(2);
    const crops = file?.crops ?? [];
    expect(crops.map((c) => [c.image, c.panel])).toEqual([
      ['10_sks girl/page-p01.png', 1],
      ['10_sks girl/page-p02.png', 2],
    ]);
    const [big, small] = crops.map((c) => c.characterBox);
    const area = (b: typeof big) => (b?.width ?? 0) * (b?.height ?? 0);
    // the case the probe found: the small figure's box is under a fifth of the big one's
    expect(area(small) / area(big)).toBeLessThan(0.2);
    expect(small).toMatchObject({ x: expect.closeTo(700, -1.5), y: expect.closeTo(940, -1.5) });
  }, 180_000);

  it("is left out of a webtoon strip beside the strip's biggest character, with a reason naming both panels", async () => {
    const { file } = await prepOnePage(root, 'strip', stripSvg);
    expect(file?.status).toBe('ok');
    expect(file?.panels).toHaveLength(2);
    expect(file?.crops.map((c) => c.panel)).toEqual([1]);
    const rejected = file?.rejected ?? [];
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.panel).toBe(2);
    expect(rejected[0]?.characterBox).toMatchObject({ y: expect.closeTo(1000, -1.5) });
    expect(rejected[0]?.reason).toMatch(
      /^character too small beside panel 1's character, the strip's biggest \(its box 1\d % of that one's: under a fifth/,
    );
    expect(file?.reason).toContain("panel 2: character too small beside panel 1's character");
  }, 180_000);
});
