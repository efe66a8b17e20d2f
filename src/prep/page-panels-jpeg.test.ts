// src/prep/page-panels-jpeg.test.ts — findPagePanels on pages as they are found: JPEGs (q60-q95) with narrow
// gutters (10-24 px) at 800 and 1600 px wide, a scan's grey noisy paper; and what JPEG noise must not cut: a
// noisy near-white sky, a thin line of art across a gutter.
import { describe, expect, it } from 'vitest';
import { twoCharactersSvg } from '../../test/fixtures/prep-quality/pages.js';
import { makeRgb } from '../../test/helpers/images.js';
import {
  DARK,
  drawPage,
  framed,
  panelGrid,
  type Rgb,
  throughJpeg as asJpeg,
} from '../../test/helpers/manga-page.js';
import type { Box, RgbImage } from '../vision/image.js';
import { renderSvgToRgb } from '../vision/sharp-io.js';
import { findPagePanels } from './page-panels.js';

/** The boxes findPagePanels cuts `image` into (panels of a row left to right), or null. */
const pageBoxes = async (image: RgbImage) =>
  (await findPagePanels(image, 'left-to-right'))?.map((p) => p.box) ?? null;

/** A repeatable noise -amp..amp for pixel (x, y) (a hash, no state). */
const noise = (x: number, y: number, amp: number) =>
  (((((x * 73856093) ^ (y * 19349663)) >>> 0) % 1000) / 1000) * 2 * amp - amp;
const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

/** A 3 x 2 grid of panels `gap` px apart, margins of a 20th of the width, whole pixels. */
const grid = (width: number, height: number, gap: number) =>
  panelGrid(width, height, 3, 2, Math.round(width / 20), gap, true);

/** Framed panels at `boxes` on `paper`, `extra` drawn dark over all. */
const page = (
  width: number,
  height: number,
  boxes: readonly Box[],
  paper: (x: number, y: number) => Rgb,
  extra: readonly Box[] = [],
) => drawPage(width, height, framed(boxes), paper, extra);

/** The largest difference of any side of any panel from the expected box; Infinity when the count differs. */
function worstError(panels: readonly Box[] | null, boxes: readonly Box[]): number {
  if (panels?.length !== boxes.length) return Number.POSITIVE_INFINITY;
  return Math.max(
    ...panels.flatMap((p, i) => {
      const b = boxes[i] as Box;
      return [p.x - b.x, p.y - b.y, p.x + p.width - b.x - b.width, p.y + p.height - b.y - b.height].map(
        Math.abs,
      );
    }),
  );
}

const white = (): Rgb => [255, 255, 255];

describe('findPagePanels on JPEG pages', () => {
  it('cuts 3 x 2 grids with 10, 16 and 24 px gutters, JPEG q60, q80 and q95, 800 and 1600 px wide, into their 6 panels', async () => {
    const results: string[] = [];
    for (const width of [800, 1600])
      for (const gap of [10, 16, 24]) {
        const height = Math.round(width * 1.4);
        const boxes = grid(width, height, gap);
        const image = page(width, height, boxes, white);
        for (const quality of [60, 80, 95]) {
          const error = worstError(await pageBoxes(await asJpeg(image, quality)), boxes);
          results.push(
            `${width} px, ${gap} px gutters, q${quality}: ${error <= 3 ? 'ok' : `off by ${error}`}`,
          );
        }
      }
    expect(results.filter((r) => !r.endsWith('ok'))).toEqual([]);
  }, 240_000);

  it('cuts a scan-like page: grey paper (#f4f4f4) with noise, 12 px gutters, JPEG q80', async () => {
    const boxes = grid(1000, 1400, 12);
    const paper = (x: number, y: number): Rgb => {
      const v = clamp(244 + noise(x, y, 4));
      return [v, v, clamp(v - 2)];
    };
    const panels = await pageBoxes(await asJpeg(page(1000, 1400, boxes, paper), 80));
    expect(worstError(panels, boxes)).toBeLessThanOrEqual(3);
  }, 60_000);

  it('does not cut a noisy near-white sky (borderless art: a bird high up, a figure low down, sky between)', async () => {
    for (const quality of [60, 90]) {
      const sky = makeRgb(1000, 700, (x, y) => {
        if (Math.hypot(x - 300, y - 160) < 50) return DARK; // a bird
        if (x >= 600 && x < 760 && y >= 420) return DARK; // a figure, cut off by the picture's bottom
        const v = 250 - (y / 700) * 12 + noise(x, y, 5); // a sky a little darker lower down, noisy
        return [clamp(v - 6), clamp(v - 2), clamp(v)];
      });
      expect(await pageBoxes(await asJpeg(sky, quality)), `q${quality}`).toBeNull();
    }
  }, 60_000);

  it('does not cut between two figures standing ~16 px apart on one white picture (PNG and JPEG q80)', async () => {
    // 8 px gutters are allowed now: the white stretch between them is one, but a figure's side beside it is
    // figure in only about half its pixels, not a frame line
    const picture = await renderSvgToRgb(twoCharactersSvg);
    expect(await pageBoxes(picture)).toBeNull();
    expect(await pageBoxes(await asJpeg(picture, 80))).toBeNull();
  }, 60_000);

  it('does not cut at a gutter a thin line of art crosses (a sword across two panels), JPEG q80', async () => {
    const boxes = grid(800, 1120, 16);
    const top = boxes[0] as Box;
    // a 3 px dark line from the first panel across the gutter into the second
    const sword = { x: top.x + top.width - 60, y: top.y + 100, width: 136, height: 3 };
    const panels = await pageBoxes(await asJpeg(page(800, 1120, boxes, white, [sword]), 80));
    const joined = { ...top, width: (boxes[1] as Box).x + (boxes[1] as Box).width - top.x };
    expect(worstError(panels, [joined, ...boxes.slice(2)])).toBeLessThanOrEqual(3);
  }, 60_000);
});
