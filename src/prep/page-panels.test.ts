// src/prep/page-panels.test.ts — where a manga page is cut into panels (findPagePanels: a recursive XY-cut at
// gutters of one flat colour) and where it is left whole (one panel, a character across a gutter, borderless art).
import { describe, expect, it } from 'vitest';
import { makeRgb } from '../../test/helpers/images.js';
import {
  BLACK,
  DARK,
  drawPage,
  FILLS,
  figureAt,
  framed,
  inside,
  type PanelArt,
  panelGrid as grid,
  type Rgb,
  throughJpeg,
  WHITE,
} from '../../test/helpers/manga-page.js';
import type { Box, RgbImage } from '../vision/image.js';
import { findPagePanels } from './page-panels.js';
import { joinedPanelsNote } from './strip-panels.js';

/** The boxes findPagePanels cuts `image` into (panels of a row left to right), or null. */
const pageBoxes = async (image: RgbImage) =>
  (await findPagePanels(image, 'left-to-right'))?.map((p) => p.box) ?? null;

/** A page of `gutter` colour with `panels` and `extra` boxes drawn dark over everything. */
const page = (
  width: number,
  height: number,
  panels: readonly PanelArt[],
  gutter: Rgb = WHITE,
  extra: readonly Box[] = [],
) => drawPage(width, height, panels, () => gutter, extra);

describe('findPagePanels', () => {
  it('cuts a 2 x 3 grid with white gutters and margins into 6 panels, rows top to bottom, each left to right', async () => {
    const boxes = grid(600, 840, 3, 2, 40, 20);
    expect(boxes[0]).toEqual({ x: 40, y: 40, width: 250, height: 240 });
    const image = page(600, 840, framed(boxes));
    expect(await pageBoxes(image)).toEqual(boxes);
  });

  it('cuts at black gutters on a white page margin, and at gutters of a page with no margin', async () => {
    // black gutters between the panels, the page's margin white: the margin is trimmed first
    const boxes = grid(600, 840, 3, 2, 30, 24);
    const black = makeRgb(600, 840, (x, y) => {
      if (x < 30 || y < 30 || x >= 570 || y >= 810) return WHITE;
      const i = boxes.findIndex((b) => inside(x, y, b));
      if (i < 0) return BLACK;
      return figureAt(x, y, boxes[i] as Box) ? DARK : (FILLS[i] as Rgb);
    });
    expect(await pageBoxes(black)).toEqual(boxes);
    // unframed art filling its panels edge to edge, black gutters, no margin
    const bleed = grid(600, 840, 2, 2, 0, 30);
    expect(
      await pageBoxes(
        page(
          600,
          840,
          bleed.map((box) => ({ box, framed: false })),
          BLACK,
        ),
      ),
    ).toEqual(bleed);
  });

  it('cuts a JPEG page (q 90) at its gutters: the near-white lines JPEG leaves beside a border do not hide them', async () => {
    const boxes = grid(600, 840, 2, 2, 40, 40);
    const panels = await pageBoxes(await throughJpeg(page(600, 840, framed(boxes))));
    expect(panels).toHaveLength(4);
    for (const [i, panel] of (panels ?? []).entries()) {
      const box = boxes[i] as Box;
      // the ringing beside a border is a few lines of the panel's, or of the margin kept in it
      for (const key of ['x', 'y', 'width', 'height'] as const)
        expect(Math.abs(panel[key] - box[key]), `panel ${i + 1} ${key}`).toBeLessThanOrEqual(12);
    }
  });

  it('cuts a row split in two (and a column of two beside a tall panel) in reading order', async () => {
    const top = { x: 30, y: 30, width: 540, height: 250 };
    const left = { x: 30, y: 300, width: 260, height: 250 };
    const right = { x: 310, y: 300, width: 260, height: 250 };
    const tall = { x: 30, y: 570, width: 340, height: 440 };
    const upper = { x: 390, y: 570, width: 180, height: 210 };
    const lower = { x: 390, y: 800, width: 180, height: 210 };
    const boxes = [top, left, right, tall, upper, lower];
    const image = page(600, 1040, framed(boxes));
    expect(await pageBoxes(image)).toEqual(boxes);
  });

  it("does not cut a panel at a flat stripe of its own art (a pole) that is not the page's gutter colour", async () => {
    const top = { x: 40, y: 40, width: 520, height: 340 };
    const bottom = { x: 40, y: 400, width: 520, height: 400 };
    const POLE: Rgb = [90, 60, 40];
    // the lower panel unframed: sky left of a pole 30 px wide from its top to its bottom, grass right of it
    const image = makeRgb(600, 840, (x, y) => {
      if (inside(x, y, top)) return x - 40 < 3 || y - 40 < 3 || x >= 557 || y >= 377 ? BLACK : WHITE;
      if (!inside(x, y, bottom)) return WHITE;
      if (x >= 285 && x < 315) return POLE;
      const half = x < 285 ? { ...bottom, width: 245 } : { ...bottom, x: 315, width: 245 };
      return figureAt(x, y, half) ? DARK : x < 285 ? (FILLS[0] as Rgb) : (FILLS[4] as Rgb);
    });
    expect(await pageBoxes(image)).toEqual([top, bottom]);
  });

  it('does not cut where a character breaks out of its frame across a gutter', async () => {
    const a = { x: 30, y: 30, width: 260, height: 300 };
    const b = { x: 310, y: 30, width: 260, height: 300 };
    const c = { x: 30, y: 350, width: 540, height: 300 };
    // an arm from panel a across the white gutter (x 290..310) into panel b
    const arm = { x: 250, y: 150, width: 100, height: 20 };
    const image = page(600, 680, [{ box: a }, { box: b }, { box: c }], WHITE, [arm]);
    // the row above stays one piece (a and b together, the arm whole in it); the gutter under it still cuts
    expect(await pageBoxes(image)).toEqual([{ x: 30, y: 30, width: 540, height: 300 }, c]);
    // a head over the horizontal gutter too: nothing is cut at all
    const head = { x: 100, y: 300, width: 60, height: 80 };
    expect(
      await pageBoxes(page(600, 680, [{ box: a }, { box: b }, { box: c }], WHITE, [arm, head])),
    ).toBeNull();
  });

  it('leaves a single panel, a picture on a flat background, borderless art and slivers whole (null)', async () => {
    // one framed panel on a page (margins all round): analysed whole, as before
    expect(await pageBoxes(page(600, 840, [{ box: { x: 40, y: 40, width: 520, height: 760 } }]))).toBeNull();
    // a screenshot: a figure and a bubble on one flat background with an empty stretch between them
    const screenshot = makeRgb(800, 600, (x, y) => {
      if (x >= 100 && x < 300 && y >= 150 && y < 560) return DARK; // the figure
      if (x >= 420 && x < 760 && y >= 40 && y < 200) return (x + y) % 7 === 0 ? BLACK : WHITE; // a bubble
      return [253, 253, 250];
    });
    expect(await pageBoxes(screenshot)).toBeNull();
    // borderless line art on a white page (a ring in each panel's place): nothing tells panel from page
    const rings = grid(600, 840, 2, 2, 40, 30).map((b) => ({
      cx: b.x + b.width / 2,
      cy: b.y + b.height / 2,
    }));
    const lineArt = makeRgb(600, 840, (x, y) =>
      rings.some(({ cx, cy }) => Math.abs(Math.hypot(x - cx, y - cy) - 100) < 2) ? DARK : WHITE,
    );
    expect(await pageBoxes(lineArt)).toBeNull();
    // one panel and a page number under it: the number is a sliver, dropped, so the page stays whole
    const numbered = page(600, 840, [{ box: { x: 40, y: 40, width: 520, height: 700 } }], WHITE, [
      { x: 290, y: 780, width: 20, height: 20 },
    ]);
    expect(await pageBoxes(numbered)).toBeNull();
    // strips are strip-panels.ts's
    expect(await pageBoxes(page(300, 700, framed(grid(300, 700, 2, 1, 20, 20))))).toBeNull();
  });

  it('drops a title line and a page number but cuts the panels', async () => {
    const boxes = grid(600, 840, 2, 2, 60, 24);
    const title = { x: 200, y: 10, width: 200, height: 30 };
    const number = { x: 290, y: 800, width: 20, height: 24 };
    const image = page(600, 840, framed(boxes), WHITE, [title, number]);
    expect(await pageBoxes(image)).toEqual(boxes);
  });
});

describe('joinedPanelsNote on page panels', () => {
  it('says nothing about a tall narrow panel beside others on a page (only strips get the note)', async () => {
    const panels = [
      { x: 30, y: 30, width: 150, height: 700 },
      { x: 200, y: 30, width: 370, height: 300 },
      { x: 200, y: 350, width: 370, height: 300 },
    ];
    expect(joinedPanelsNote(panels)).toBeNull();
  });
});
