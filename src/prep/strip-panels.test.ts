// src/prep/strip-panels.test.ts — where a webtoon strip is cut into panels (findStripPanels) and how a
// panel's results go back into the strip's pixels.
import { describe, expect, it } from 'vitest';
import { makeRgb } from '../../test/helpers/images.js';
import {
  boxInStrip,
  findStripPanels,
  joinedPanelsNote,
  overshadowedReason,
  panelImage,
  strongestCandidates,
  stripFromPanels,
} from './strip-panels.js';

type Rgb = readonly [number, number, number];
const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];
const SKY: Rgb = [188, 215, 240];
const GRASS: Rgb = [120, 170, 90];
const YELLOW: Rgb = [250, 236, 170];
const PINK: Rgb = [245, 200, 210];

/** A strip 200 px wide: horizontal bands of colour (`[rows, colour]`), with a dark figure (x 80..120) where `figure` says. */
function strip(bands: ReadonlyArray<readonly [number, Rgb, boolean?]>) {
  const rows: Array<{ colour: Rgb; figure: boolean }> = [];
  for (const [n, colour, figure] of bands)
    for (let i = 0; i < n; i++) rows.push({ colour, figure: figure ?? false });
  return makeRgb(200, rows.length, (x, y) => {
    const row = rows[y] as { colour: Rgb; figure: boolean };
    return row.figure && x >= 80 && x < 120 ? [40, 40, 60] : row.colour;
  });
}

describe('findStripPanels', () => {
  it('cuts at white and black gutters, trims the margins, and keeps a panel that bleeds into the next joined', () => {
    const image = strip([
      [30, WHITE],
      [20, SKY], // the sky above the head: the panel's own background, not a gutter
      [100, SKY, true],
      [40, GRASS, true],
      [40, WHITE], // white gutter
      [150, YELLOW, true],
      [30, BLACK], // black gutter
      [100, SKY, true],
      [20, SKY], // bleeds straight into the next panel: no gutter
      [30, PINK],
      [100, PINK, true],
      [30, WHITE],
    ]);
    expect(image.height).toBeGreaterThanOrEqual(2 * image.width);
    expect(findStripPanels(image)).toEqual([
      { x: 0, y: 30, width: 200, height: 160 },
      { x: 0, y: 230, width: 200, height: 150 },
      { x: 0, y: 410, width: 200, height: 250 },
    ]);
  });

  it('keeps a band of the panel background between a bubble and the figure inside the panel', () => {
    const image = strip([
      [40, WHITE],
      [60, YELLOW, true], // a bubble
      [50, YELLOW], // the panel's own empty stretch, edge to edge
      [120, YELLOW, true],
      [40, WHITE],
      [150, SKY, true],
      [40, WHITE],
    ]);
    expect(findStripPanels(image)).toEqual([
      { x: 0, y: 40, width: 200, height: 230 },
      { x: 0, y: 310, width: 200, height: 150 },
    ]);
  });

  it('drops a watermark line between gutters, and needs a band of 16+ rows to cut', () => {
    const image = strip([
      [20, WHITE],
      [6, BLACK], // a watermark line: too low for a panel
      [20, WHITE],
      [150, SKY, true],
      [10, WHITE], // too thin for a gutter: the panels stay joined
      [150, PINK, true],
      [40, WHITE],
      [100, YELLOW, true],
      [20, WHITE],
    ]);
    expect(findStripPanels(image)).toEqual([
      { x: 0, y: 46, width: 200, height: 310 },
      { x: 0, y: 396, width: 200, height: 100 },
    ]);
  });

  it('leaves pages and screenshots (less than twice as tall as wide) and strips without gutters whole', () => {
    const page = strip([
      [100, SKY, true],
      [40, WHITE],
      [100, PINK, true],
    ]);
    expect(page.height).toBeLessThan(2 * page.width);
    expect(findStripPanels(page)).toBeNull();
    expect(findStripPanels(strip([[500, SKY, true]]))).toBeNull();
  });

  it('counts a row as flat only within 2 levels: an off-white panel inset on a white strip is not a gutter', () => {
    const image = makeRgb(200, 500, (x, y) => {
      if (y < 50 || y >= 450 || y === 250) return WHITE;
      if (x < 10 || x >= 190) return WHITE;
      return y > 150 && y < 350 && x > 80 && x < 120 ? [40, 40, 60] : [253, 253, 250];
    });
    // one panel on the white page (50..450), its empty off-white rows kept in it
    expect(findStripPanels(image)).toEqual([{ x: 0, y: 50, width: 200, height: 400 }]);
  });

  it('analyses one panel on a white or black page as that panel, not a tall picture with margins', () => {
    for (const page of [WHITE, BLACK]) {
      const image = strip([
        [150, page],
        [200, SKY, true],
        [150, page],
      ]);
      expect(findStripPanels(image)).toEqual([{ x: 0, y: 150, width: 200, height: 200 }]);
    }
    // a picture whose flat sky and ground reach the top and bottom is not a panel on a page: whole
    expect(
      findStripPanels(
        strip([
          [100, SKY],
          [250, SKY, true],
          [100, GRASS],
        ]),
      ),
    ).toBeNull();
  });

  it('cuts at gutters shaded top to bottom, but keeps a shaded sky and a cream panel bottom in their panels', () => {
    const shadedRows = (n: number, from: Rgb, to: Rgb) =>
      Array.from({ length: n }, (_, i): readonly [number, Rgb] => [
        1,
        from.map((v, c) => Math.round(v + (((to[c] as number) - v) * i) / (n - 1))) as unknown as Rgb,
      ]);
    const CREAM: Rgb = [253, 253, 251];
    const vertical = strip([
      [30, WHITE],
      [120, CREAM, true],
      [40, CREAM], // the panel's empty cream bottom: not the white gutter under it
      ...shadedRows(60, BLACK, [245, 245, 245]), // a gutter shaded black to light grey, 4 to 5 levels a row
      ...shadedRows(40, [150, 190, 240], SKY), // the panel's sky, shaded into its colour: kept
      [150, SKY, true],
      ...shadedRows(60, BLACK, [245, 245, 245]),
      [150, PINK, true],
      [30, WHITE],
    ]);
    expect(findStripPanels(vertical)).toEqual([
      { x: 0, y: 30, width: 200, height: 160 },
      { x: 0, y: 250, width: 200, height: 190 },
      { x: 0, y: 500, width: 200, height: 150 },
    ]);
  });

  it('cuts at gutters shaded left to right (one smooth row repeated), but keeps a sky shaded so in its panel', () => {
    // the sky goes on at the sides of the rows under it
    const across = (x: number, y: number, h: number, inPanelSky: boolean) => {
      if (y < 30 || y >= h - 30) return WHITE;
      const gutter = (y >= 180 && y < 240) || (y >= 420 && y < 480);
      if (gutter) return [x, x, x] as Rgb;
      if (inPanelSky && y >= 240 && y < 280) return [100 + (x >> 1), 180, 240] as Rgb;
      if (y >= 240 && y < 420 && (x < 80 || x >= 120) && inPanelSky) return [100 + (x >> 1), 180, 240] as Rgb;
      return x >= 80 && x < 120 ? ([40, 40, 60] as Rgb) : y < 180 ? YELLOW : y < 420 ? SKY : PINK;
    };
    const horizontal = makeRgb(200, 660, (x, y) => across(x, y, 660, true));
    expect(findStripPanels(horizontal)).toEqual([
      { x: 0, y: 30, width: 200, height: 150 },
      { x: 0, y: 240, width: 200, height: 180 },
      { x: 0, y: 480, width: 200, height: 150 },
    ]);
  });
});

describe('joinedPanelsNote', () => {
  it('names a piece that is itself a strip and over twice as tall as the others, and nothing in an even strip', () => {
    const box = (y: number, height: number) => ({ x: 0, y, width: 600, height });
    expect(joinedPanelsNote([box(64, 518), box(736, 1264)])).toMatch(
      /^strip panel 2 \(rows 736-2000\) is itself strip-shaped and over twice as tall as the other panels/,
    );
    expect(joinedPanelsNote([box(40, 600), box(720, 600), box(1400, 600)])).toBeNull();
    expect(joinedPanelsNote([box(0, 1300)])).toBeNull();
  });
});

describe('panel images', () => {
  it('cut a panel out, move its boxes into the strip and paste its stage images back', () => {
    const image = makeRgb(4, 10, (x, y) => [x, y, 7]);
    const panel = { x: 0, y: 3, width: 4, height: 5 };
    const cut = panelImage(image, panel);
    expect(cut).toMatchObject({ width: 4, height: 5 });
    expect(Array.from(cut.data.slice(0, 3))).toEqual([0, 3, 7]);
    expect(boxInStrip({ x: 1, y: 2, width: 3, height: 4 }, panel)).toEqual({
      x: 1,
      y: 5,
      width: 3,
      height: 4,
    });
    const mask = { width: 4, height: 5, data: new Uint8Array(20).fill(255) };
    const whole = stripFromPanels(image, 1, [{ panel, image: mask }]);
    expect(Array.from(whole.data.slice(0, 12))).toEqual(new Array(12).fill(0));
    expect(Array.from(whole.data.slice(12, 32))).toEqual(new Array(20).fill(255));
    expect(Array.from(whole.data.slice(32))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('page panel images', () => {
  it('cut a page panel (a box at x and y) out and paste its stage images back at its place', () => {
    const image = makeRgb(6, 5, (x, y) => [x, y, 7]);
    const panel = { x: 2, y: 1, width: 3, height: 2 };
    const cut = panelImage(image, panel);
    expect(cut).toMatchObject({ width: 3, height: 2 });
    expect(Array.from(cut.data)).toEqual([2, 1, 7, 3, 1, 7, 4, 1, 7, 2, 2, 7, 3, 2, 7, 4, 2, 7]);
    const mask = { width: 3, height: 2, data: new Uint8Array(6).fill(255) };
    const whole = stripFromPanels(image, 1, [{ panel, image: mask }]);
    const rows = Array.from({ length: 5 }, (_, y) =>
      Array.from(whole.data.slice(y * 6, y * 6 + 6)).join(' '),
    );
    expect(rows).toEqual([
      '0 0 0 0 0 0',
      '0 0 255 255 255 0',
      '0 0 255 255 255 0',
      '0 0 0 0 0 0',
      '0 0 0 0 0 0',
    ]);
    // pictures: the page's own pixels beside the panel
    const painted = stripFromPanels(
      image,
      3,
      [{ panel, image: { ...cut, data: new Uint8Array(18).fill(9) } }],
      image.data,
    );
    expect(Array.from(painted.data.slice(3 * 6 + 3, 3 * 6 + 12))).toEqual([1, 1, 7, 9, 9, 9, 9, 9, 9]);
  });
});

describe('strongestCandidates', () => {
  it("drops a panel piece's largest part when it is under a fifth of the strip's biggest character", () => {
    const at = (width: number, height: number, panel: number) => ({
      characterBox: { x: 0, y: 0, width, height },
      panel,
    });
    const kept = strongestCandidates([at(420, 630, 1), at(163, 107, 2), at(300, 600, 3)]);
    expect(kept.map((c) => c.panel)).toEqual([1, 3]);
    expect(strongestCandidates([])).toEqual([]);
  });
});

describe('overshadowedReason', () => {
  const at = (width: number, height: number, panel?: number) => ({
    characterBox: { x: 0, y: 0, width, height },
    ...(panel !== undefined ? { panel } : {}),
  });

  it("names the biggest character's panel and the share, rounded down (19.9 % is not a fifth)", () => {
    const biggest = at(100, 100, 1);
    expect(overshadowedReason(at(20, 100, 2), biggest)).toBeNull();
    expect(overshadowedReason(at(199, 10, 2), biggest)).toMatch(
      /^character too small beside panel 1's character, the strip's biggest \(its box 19 % of that one's: under a fifth, /,
    );
    expect(overshadowedReason(at(10, 10, 1), biggest)).toMatch(
      /^character too small beside the strip's biggest character \(its box 1 % /,
    );
    expect(overshadowedReason(at(10, 10), undefined)).toBeNull();
  });

  it('lists each one left out where it stood, as leftOut makes it, and drops those it returns null for', () => {
    type Found = {
      characterBox: { x: number; y: number; width: number; height: number };
      panel?: number;
      why?: string;
    };
    const found: Found[] = [
      at(10, 10, 1),
      at(420, 630, 2),
      at(163, 107, 3),
      { ...at(12, 12, 4), why: 'blank' },
    ];
    const kept = strongestCandidates(found, (c, reason) => (c.why ? null : { ...c, why: reason }));
    expect(kept.map((c) => [c.panel, c.why?.slice(0, 26)])).toEqual([
      [1, 'character too small beside'],
      [2, undefined],
      [3, 'character too small beside'],
    ]);
  });
});
