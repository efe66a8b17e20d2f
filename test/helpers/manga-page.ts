// test/helpers/manga-page.ts — drawn manga pages for the page-panel tests (src/prep/page-panels*.test.ts): panels
// filled with their own colour and a dark figure in the middle, framed or not, on a paper colour; a grid of panel
// boxes; and a page as it comes back from a JPEG file.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Box, RgbImage } from '../../src/vision/image.js';
import { decodeToRgb, encodeJpeg } from '../../src/vision/sharp-io.js';
import { makeRgb } from './images.js';

export type Rgb = readonly [number, number, number];
export const WHITE: Rgb = [255, 255, 255];
export const BLACK: Rgb = [0, 0, 0];
export const DARK: Rgb = [40, 40, 60];
/** The panels' fills, one a panel in turn. */
export const FILLS: readonly Rgb[] = [
  [188, 215, 240],
  [250, 236, 170],
  [245, 200, 210],
  [255, 255, 255],
  [120, 170, 90],
  [220, 220, 220],
];

export interface PanelArt {
  readonly box: Box;
  /** A 3 px black border line around it (manga's usual frame); default true. */
  readonly framed?: boolean;
}

export const inside = (x: number, y: number, b: Box) =>
  x >= b.x && x < b.x + b.width && y >= b.y && y < b.y + b.height;

/** A figure standing in the middle of panel `b`: an ellipse 30 % of it wide and 60 % high (a figure's outermost
 * columns and rows touch it in a few pixels, as a drawn character's do). */
export const figureAt = (x: number, y: number, b: Box) =>
  ((x - b.x - b.width / 2) / (0.15 * b.width)) ** 2 + ((y - b.y - b.height / 2) / (0.3 * b.height)) ** 2 < 1;

/** Framed panels at `boxes`. */
export const framed = (boxes: readonly Box[]): PanelArt[] => boxes.map((box) => ({ box }));

/**
 * A page `width` x `height` of `paper` with `panels` (each filled with its own colour and a dark figure in its
 * middle), and `extra` boxes drawn dark over everything (a character breaking its frame).
 */
export function drawPage(
  width: number,
  height: number,
  panels: readonly PanelArt[],
  paper: (x: number, y: number) => Rgb,
  extra: readonly Box[] = [],
): RgbImage {
  return makeRgb(width, height, (x, y) => {
    if (extra.some((b) => inside(x, y, b))) return DARK;
    for (const [i, { box, framed = true }] of panels.entries()) {
      if (!inside(x, y, box)) continue;
      const border = Math.min(x - box.x, y - box.y, box.x + box.width - 1 - x, box.y + box.height - 1 - y);
      if (framed && border < 3) return BLACK;
      return figureAt(x, y, box) ? DARK : (FILLS[i % FILLS.length] as Rgb);
    }
    return paper(x, y);
  });
}

/** A grid of `rows` x `cols` panels on a page with `margin` px margins and `gap` px gutters; `whole`: each panel's
 * width and height rounded down to whole pixels. */
export function panelGrid(
  width: number,
  height: number,
  rows: number,
  cols: number,
  margin: number,
  gap: number,
  whole = false,
): Box[] {
  const round = whole ? Math.floor : (v: number) => v;
  const w = round((width - 2 * margin - (cols - 1) * gap) / cols);
  const h = round((height - 2 * margin - (rows - 1) * gap) / rows);
  const boxes: Box[] = [];
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++)
      boxes.push({ x: margin + c * (w + gap), y: margin + r * (h + gap), width: w, height: h });
  return boxes;
}

const jpegDir = mkdtempSync(join(tmpdir(), 'toonlora-page-jpeg-'));

/** `image` written as a JPEG of `quality` (encodeJpeg's default unless told) and read back. */
export async function throughJpeg(image: RgbImage, quality?: number): Promise<RgbImage> {
  const path = join(jpegDir, `page-${quality ?? 'default'}.jpg`);
  await encodeJpeg(image, path, quality);
  return decodeToRgb(path, { maxPixels: 1e8 });
}

/**
 * Borderless art (no frame: a sky shading from blue to sand, a dark figure, a face) filling an 800 x 1120 page
 * `margin` px in from its edges (0: to the edges), white paper around it, with `strokes` drawn over it: SVG
 * line segments [x1, y1, x2, y2], white, `strokePx` wide (a slash or speed line across the picture).
 */
export function strokedArtSvg(
  margin: number,
  strokes: ReadonlyArray<readonly [number, number, number, number]>,
  strokePx = 20,
): string {
  const lines = strokes
    .map(
      ([x1, y1, x2, y2]) =>
        `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="#fff" stroke-width="${strokePx}"/>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="1120"><defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#7fa8d8"/><stop offset="1" stop-color="#d8b890"/></linearGradient></defs><rect width="800" height="1120" fill="#fff"/><rect x="${margin}" y="${margin}" width="${800 - 2 * margin}" height="${1120 - 2 * margin}" fill="url(#sky)"/><ellipse cx="400" cy="700" rx="120" ry="300" fill="#28283c"/><ellipse cx="200" cy="300" rx="60" ry="40" fill="#f2c9a0"/>${lines}</svg>`;
}
