// src/prep/page-regions.test.ts — pages the XY-cut cannot cut (drawn with sharp from SVG, as PNG and JPEG q70):
// two panels split by a slanted gutter, an L-shaped layout, an inset panel inside a bigger one; the crops with a
// neighbour's corner painted over; the reading order (left to right, right to left).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepConfigSchema } from '../schemas/config.js';
import type { Box, RgbImage } from '../vision/image.js';
import { decodeToRgb, encodeJpeg, renderSvgToRgb } from '../vision/sharp-io.js';
import { findPagePanels, pageFromPanels, pagePanelImage } from './page-panels.js';
import { inReadingOrder } from './page-regions.js';
import { strokedArtSvg } from '../../test/helpers/manga-page.js';

const dir = mkdtempSync(join(tmpdir(), 'toonlora-page-regions-'));
const FILLS = ['#bcd7f0', '#faecaa', '#f5c8d2', '#ffffff'];

/** A page `width` x `height` on white paper: each polygon a framed panel (`framePx` black outline, 4 px unless
 * told; 0: borderless, a fill, a dark figure at its box's middle or at `figures[i]`). */
function pageSvg(
  width: number,
  height: number,
  panels: ReadonlyArray<ReadonlyArray<readonly [number, number]>>,
  figures: ReadonlyArray<readonly [number, number] | undefined> = [],
  framePx = 4,
) {
  const body = panels
    .map((points, i) => {
      const xs = points.map((p) => p[0]);
      const ys = points.map((p) => p[1]);
      const [cx, cy] = figures[i] ?? [
        (Math.min(...xs) + Math.max(...xs)) / 2,
        (Math.min(...ys) + Math.max(...ys)) / 2,
      ];
      return `<polygon points="${points.map((p) => p.join(',')).join(' ')}" fill="${FILLS[i % FILLS.length]}" stroke="#000" stroke-width="${framePx}"/>
      <ellipse cx="${cx}" cy="${cy}" rx="40" ry="90" fill="#28283c"/>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="${width}" height="${height}" fill="#fff"/>${body}</svg>`;
}

/** The picture as PNG pixels, or after a round trip through JPEG at `quality`. */
async function pixels(svg: string, quality?: number): Promise<RgbImage> {
  const image = await renderSvgToRgb(svg);
  if (quality === undefined) return image;
  const path = join(dir, `page-${quality}.jpg`);
  await encodeJpeg(image, path, quality);
  return decodeToRgb(path, { maxPixels: 1e8 });
}

/** A polygon's bounding box as the panel box expected (its 4 px outline spreads 2 px out of the points). */
function outline(points: ReadonlyArray<readonly [number, number]>): Box {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const x = Math.min(...xs) - 2;
  const y = Math.min(...ys) - 2;
  return { x, y, width: Math.max(...xs) + 2 - x, height: Math.max(...ys) + 2 - y };
}

/** The largest difference of any side of any box from the expected one; Infinity when the count differs. */
function worstError(found: readonly Box[] | null | undefined, boxes: readonly Box[]): number {
  if (found?.length !== boxes.length) return Number.POSITIVE_INFINITY;
  return Math.max(
    ...found.flatMap((p, i) => {
      const b = boxes[i] as Box;
      return [p.x - b.x, p.y - b.y, p.x + p.width - b.x - b.width, p.y + p.height - b.y - b.height].map(
        Math.abs,
      );
    }),
  );
}

const pixelAt = (image: RgbImage, x: number, y: number) => {
  const i = (y * image.width + x) * 3;
  return [image.data[i], image.data[i + 1], image.data[i + 2]];
};

// two panels split by a gutter falling 160 px from left to right (20 px apart vertically)
const upper = [
  [40, 40],
  [760, 40],
  [760, 460],
  [40, 620],
] as const;
const lower = [
  [40, 640],
  [760, 480],
  [760, 1080],
  [40, 1080],
] as const;
const slanted = pageSvg(800, 1120, [upper, lower]);

// an L: a panel across the top that runs down the left side, two panels in the corner it leaves
const ell = [
  [40, 40],
  [760, 40],
  [760, 500],
  [400, 500],
  [400, 1080],
  [40, 1080],
] as const;
const corner1 = [
  [420, 520],
  [760, 520],
  [760, 790],
  [420, 790],
] as const;
const corner2 = [
  [420, 810],
  [760, 810],
  [760, 1080],
  [420, 1080],
] as const;
const lShaped = pageSvg(800, 1120, [ell, corner1, corner2], [[220, 700]]);

describe('findPagePanels on pages the XY-cut leaves whole', () => {
  it('cuts two panels split by a slanted gutter (PNG and JPEG q70), the neighbour corner painted white', async () => {
    for (const quality of [undefined, 70]) {
      const image = await pixels(slanted, quality);
      const panels = await findPagePanels(image, 'left-to-right');
      const label = quality ? `q${quality}` : 'png';
      expect(
        worstError(
          panels?.map((p) => p.box),
          [outline(upper), outline(lower)],
        ),
        label,
      ).toBeLessThanOrEqual(3);
      const second = panels?.[1];
      if (!second) throw new Error('no second panel');
      const crop = pagePanelImage(image, second);
      expect(crop.width).toBe(second.box.width);
      // (100, 500) of the page is the upper panel's fill, inside the lower panel's box: painted the gutter's white
      expect(pixelAt(image, 100, 500), label).not.toEqual(
        pixelAt(crop, 100 - second.box.x, 500 - second.box.y),
      );
      for (const v of pixelAt(crop, 100 - second.box.x, 500 - second.box.y)) expect(v).toBeGreaterThan(240);
      // its own pixels are the page's
      expect(pixelAt(crop, 400 - second.box.x, 1000 - second.box.y)).toEqual(pixelAt(image, 400, 1000));
    }
  }, 60_000);

  it("puts each slanted panel's stage images back with only its own pixels (a neighbour's corner stays the neighbour's)", async () => {
    const image = await pixels(slanted);
    const panels = (await findPagePanels(image, 'left-to-right')) ?? [];
    expect(panels).toHaveLength(2);
    // each panel's mask all one value: 10 for the upper panel, 200 for the lower
    const parts = panels.map((panel, i) => ({
      panel,
      image: {
        width: panel.box.width,
        height: panel.box.height,
        data: new Uint8Array(panel.box.width * panel.box.height).fill(i === 0 ? 10 : 200),
      },
    }));
    const mask = pageFromPanels(image, 1, parts);
    const at = (x: number, y: number) => mask.data[y * mask.width + x];
    // (100, 500): the upper panel's, inside the lower panel's box; (700, 560): the lower's, inside the upper's box
    expect([at(100, 500), at(700, 560), at(400, 1000), at(400, 100), at(5, 5)]).toEqual([
      10, 200, 200, 10, 0,
    ]);
  }, 60_000);

  it('cuts an L-shaped layout into its three panels (PNG and JPEG q70), numbered by rows, left to right or right to left', async () => {
    for (const quality of [undefined, 70]) {
      const image = await pixels(lShaped, quality);
      const label = quality ? `q${quality}` : 'png';
      const ltr = await findPagePanels(image, 'left-to-right');
      // the L's middle is left of the corner panels', which lie beside it in its row
      expect(
        worstError(
          ltr?.map((p) => p.box),
          [outline(ell), outline(corner1), outline(corner2)],
        ),
        label,
      ).toBeLessThanOrEqual(3);
      const rtl = await findPagePanels(image, 'right-to-left');
      expect(
        worstError(
          rtl?.map((p) => p.box),
          [outline(corner1), outline(corner2), outline(ell)],
        ),
        label,
      ).toBeLessThanOrEqual(3);
    }
  }, 60_000);

  it('cuts a page whose frame lines run along the image edges at its white slanted gutter (PNG and JPEG q70)', async () => {
    // panels drawn from (0, 0): their 4 px outlines leave 2 px of black at the image's edges (trimmed, no margin)
    const atEdge = pageSvg(800, 1120, [
      [
        [0, 0],
        [800, 0],
        [800, 460],
        [0, 620],
      ],
      [
        [0, 640],
        [800, 480],
        [800, 1120],
        [0, 1120],
      ],
    ]);
    for (const quality of [undefined, 70]) {
      const label = quality ? `q${quality}` : 'png';
      const image = await pixels(atEdge, quality);
      const panels = await findPagePanels(image, 'left-to-right');
      // before, black (the frame line) was taken as the gutter colour: the white gutter {x: 0, y: 462, 800 x 176}
      // came out as a panel between the two, their corners painted black
      expect(
        worstError(
          panels?.map((p) => p.box),
          [
            { x: 0, y: 2, width: 800, height: 620 },
            { x: 0, y: 478, width: 800, height: 640 },
          ],
        ),
        label,
      ).toBeLessThanOrEqual(3);
      const second = panels?.[1];
      if (!second) throw new Error('no second panel');
      // the upper panel's corner in the lower one's box is painted the gutter's white
      for (const v of pixelAt(pagePanelImage(image, second), 100 - second.box.x, 500 - second.box.y))
        expect(v, label).toBeGreaterThan(240);
    }
  }, 60_000);

  it('leaves borderless art whole where a 20 px white stroke crosses it (art, not a border, along its sides)', async () => {
    const strokes: [string, readonly [number, number, number, number]][] = [
      ['edge to edge, falling 360 px', [0, 400, 800, 760]],
      ['corner to corner', [0, 0, 800, 1120]],
      ['top to bottom, slanted', [300, 0, 500, 1120]],
    ];
    for (const margin of [40, 0])
      for (const [name, stroke] of strokes)
        for (const quality of [undefined, 70]) {
          const label = `${name}, margin ${margin}, ${quality ? `q${quality}` : 'png'}`;
          // before: the art was cut in two along the stroke, as at a slanted gutter (PNG: 4 of the 6 pictures)
          const panels = await findPagePanels(
            await pixels(strokedArtSvg(margin, [stroke]), quality),
            'left-to-right',
          );
          expect(panels?.map((p) => p.box) ?? null, label).toBeNull();
        }
  }, 120_000);

  it('still cuts borderless panels (flat fills, no frame line) at a slanted gutter', async () => {
    const borderless = pageSvg(800, 1120, [upper, lower], [], 0);
    for (const quality of [undefined, 70]) {
      const panels = await findPagePanels(await pixels(borderless, quality), 'left-to-right');
      expect(
        worstError(
          panels?.map((p) => p.box),
          [outline(upper), outline(lower)],
        ),
        `${quality}`,
      ).toBeLessThanOrEqual(3);
    }
  }, 60_000);

  it('leaves the page whole where art reaches across the slanted gutter (one irregular part, not two panels)', async () => {
    // a dark arm from the upper panel across the gutter into the lower one
    const arm = '<rect x="300" y="500" width="40" height="160" fill="#28283c"/>';
    const svg = slanted.replace('</svg>', `${arm}</svg>`);
    for (const quality of [undefined, 70])
      expect(await findPagePanels(await pixels(svg, quality), 'left-to-right')).toBeNull();
  }, 60_000);

  it('keeps an inset panel drawn inside a bigger one as part of it (the gutter does not reach it)', async () => {
    const big = [
      [40, 40],
      [760, 40],
      [760, 620],
      [40, 620],
    ] as const;
    const inset = [
      [480, 80],
      [720, 80],
      [720, 300],
      [480, 300],
    ] as const;
    const below = [
      [40, 640],
      [760, 480 + 160],
      [760, 1080],
      [40, 1080],
    ] as const;
    for (const quality of [undefined, 70]) {
      // the inset: framed, with a white border round it inside the big panel
      const svg = pageSvg(800, 1120, [big, inset, below]).replace(
        '<polygon points="480,80',
        '<rect x="468" y="68" width="264" height="244" fill="#fff"/><polygon points="480,80',
      );
      const panels = await findPagePanels(await pixels(svg, quality), 'left-to-right');
      expect(
        worstError(
          panels?.map((p) => p.box),
          [outline(big), outline(below)],
        ),
      ).toBeLessThanOrEqual(3);
    }
  }, 60_000);

  it('numbers a grid right to left when asked (the XY-cut too)', async () => {
    const a = [
      [40, 40],
      [390, 40],
      [390, 540],
      [40, 540],
    ] as const;
    const shift = (points: ReadonlyArray<readonly [number, number]>, dx: number, dy: number) =>
      points.map(([x, y]) => [x + dx, y + dy] as const);
    const [b, c, d] = [shift(a, 370, 0), shift(a, 0, 540), shift(a, 370, 540)];
    const image = await pixels(pageSvg(800, 1120, [a, b, c, d]));
    const rtl = await findPagePanels(image, 'right-to-left');
    expect(
      worstError(
        rtl?.map((p) => p.box),
        [b, a, d, c].map(outline),
      ),
    ).toBeLessThanOrEqual(3);
    // a grid is the XY-cut's: plain boxes, nothing painted
    expect(rtl?.every((p) => p.region === undefined)).toBe(true);
  }, 60_000);
});

describe('pageReadingOrder', () => {
  it('defaults to left-to-right (as before) and takes right-to-left', () => {
    expect(prepConfigSchema.parse({}).pageReadingOrder).toBe('left-to-right');
    expect(prepConfigSchema.parse({ pageReadingOrder: 'right-to-left' }).pageReadingOrder).toBe(
      'right-to-left',
    );
    expect(prepConfigSchema.safeParse({ pageReadingOrder: 'rtl' }).success).toBe(false);
  });
});

describe('inReadingOrder', () => {
  const item = (x: number, y: number, width: number, height: number) => ({ box: { x, y, width, height } });
  it('takes rows top to bottom (a box whose middle is above the row leader’s bottom joins it), each by its middle', () => {
    const tall = item(0, 0, 300, 1000);
    const right1 = item(320, 400, 300, 280);
    const right2 = item(320, 700, 300, 280);
    const top = item(320, 0, 300, 380);
    const bottom = item(0, 1020, 620, 300);
    const all = [bottom, right2, top, right1, tall];
    expect(inReadingOrder(all, 'left-to-right')).toEqual([tall, top, right1, right2, bottom]);
    expect(inReadingOrder(all, 'right-to-left')).toEqual([top, right1, right2, tall, bottom]);
  });

  it('puts a box in the row of any panel whose height its middle lies in, not only the row’s first', () => {
    // a short panel leads the row, a taller one beside it (its middle in the short one's height) runs down past
    // the middle of a second panel under the short one
    const short = item(0, 0, 300, 300);
    const tall = item(320, 10, 300, 560);
    const under = item(0, 400, 300, 300);
    expect(inReadingOrder([under, tall, short], 'left-to-right')).toEqual([short, under, tall]);
    expect(inReadingOrder([under, tall, short], 'right-to-left')).toEqual([tall, short, under]);
  });
});
