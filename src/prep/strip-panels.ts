// src/prep/strip-panels.ts — a tall webtoon strip cut into its panels at the gutters (pure): which
// images count as strips, where their gutters are (full-width bands of rows of one flat colour), the
// panels between them, and the helpers that cut a panel out and put a panel's results back into the
// strip's coordinates. analyse-file.ts runs the image stages on each panel as its own image.
import type { Box, GrayImage, RgbImage } from '../vision/image.js';
import { SECONDARY_COMPONENT_MIN_FRACTION } from './mask-contours.js';

/**
 * Only images at least this many times taller than wide are split: a webtoon strip (or a phone
 * screenshot of one). Pages and screenshots keep being analysed whole, so a crop's square still takes
 * its context from the whole picture.
 */
export const STRIP_MIN_ASPECT = 2;

/** Largest per-channel difference from a band's colour that still counts as that flat colour (JPEG noise). */
export const GUTTER_TOLERANCE = 2;

/** A gutter is at least this many rows high (or {@link GUTTER_MIN_SHARE} of the width, if more). */
export const GUTTER_MIN_PX = 16;
export const GUTTER_MIN_SHARE = 0.02;

/** A piece between gutters lower than this holds no character (a watermark line, a page number): dropped. */
export const PANEL_MIN_PX = 32;

/** A flat band of rows: `start` inclusive, `end` exclusive, and its colour. */
interface Band {
  readonly start: number;
  readonly end: number;
  readonly colour: readonly [number, number, number];
}

function near(a: readonly number[], b: readonly number[], tolerance: number): boolean {
  return a.every((v, i) => Math.abs(v - (b[i] as number)) <= tolerance);
}

function pixel(image: RgbImage, x: number, y: number): [number, number, number] {
  const i = (y * image.width + x) * 3;
  return [image.data[i] as number, image.data[i + 1] as number, image.data[i + 2] as number];
}

/** The colour of row `y` when every pixel of it is within the tolerance of its first pixel, else null. */
function flatRowColour(image: RgbImage, y: number): [number, number, number] | null {
  const { width, data } = image;
  const row = y * width * 3;
  const r = data[row] as number;
  const g = data[row + 1] as number;
  const b = data[row + 2] as number;
  for (let i = row + 3; i < row + width * 3; i += 3) {
    if (
      Math.abs((data[i] as number) - r) > GUTTER_TOLERANCE ||
      Math.abs((data[i + 1] as number) - g) > GUTTER_TOLERANCE ||
      Math.abs((data[i + 2] as number) - b) > GUTTER_TOLERANCE
    )
      return null;
  }
  return [r, g, b];
}

/** Runs of flat rows whose colour stays within the tolerance of the run's first row. */
function flatBands(image: RgbImage): Band[] {
  const bands: Band[] = [];
  let open: { start: number; colour: [number, number, number] } | null = null;
  for (let y = 0; y <= image.height; y++) {
    const colour = y < image.height ? flatRowColour(image, y) : null;
    if (open && (!colour || !near(colour, open.colour, GUTTER_TOLERANCE))) {
      bands.push({ start: open.start, end: y, colour: open.colour });
      open = null;
    }
    if (colour && !open) open = { start: y, colour };
  }
  return bands;
}

/** Whether row `y`'s first and last pixels are the band's colour: the panel's background goes on through it. */
function edgesContinue(image: RgbImage, y: number, band: Band): boolean {
  if (y < 0 || y >= image.height) return false;
  return (
    near(pixel(image, 0, y), band.colour, GUTTER_TOLERANCE) &&
    near(pixel(image, image.width - 1, y), band.colour, GUTTER_TOLERANCE)
  );
}

/** The colour most rows of the bands have (within the tolerance of a band's colour): the strip's page colour. */
function pageColour(bands: readonly Band[]): Band['colour'] | undefined {
  let best: { colour: Band['colour']; rows: number } | undefined;
  for (const band of bands) {
    const rows = bands
      .filter((b) => near(b.colour, band.colour, GUTTER_TOLERANCE))
      .reduce((n, b) => n + b.end - b.start, 0);
    if (!best || rows > best.rows) best = { colour: band.colour, rows };
  }
  return best?.colour;
}

/** Whether an image is shaped like a webtoon strip ({@link STRIP_MIN_ASPECT}). */
export function isStripShaped(size: { readonly width: number; readonly height: number }): boolean {
  return size.height >= STRIP_MIN_ASPECT * size.width;
}

/**
 * The panels of a webtoon strip, top to bottom (full-width boxes), or null when it is not split: not
 * strip-shaped, or fewer than two panels. A gutter is a band of at least max({@link GUTTER_MIN_PX},
 * {@link GUTTER_MIN_SHARE} x width) rows of one flat colour across the whole width. The strip's page
 * colour (the colour of most of its bands' rows) always separates; a band of another colour separates unless the row on
 * either side of it reaches the image's left and right edges in that colour: then it is an empty stretch
 * of that panel's own background (the sky above a head, the cream between a bubble and a caption box).
 * A panel that runs into the next without a band stays one panel with it, and so do two panels with
 * black frame lines across a black gutter on a white strip (the frame continues the band). Bands at the
 * top and bottom are trimmed, and pieces lower than {@link PANEL_MIN_PX} dropped.
 */
export function findStripPanels(image: RgbImage): Box[] | null {
  if (!isStripShaped(image)) return null;
  const minGutter = Math.max(GUTTER_MIN_PX, Math.round(image.width * GUTTER_MIN_SHARE));
  const bands = flatBands(image);
  const tall = bands.filter((b) => b.end - b.start >= minGutter);
  const page = pageColour(tall);
  if (!page) return null;
  const gutters = tall.filter(
    (b) =>
      b.start === 0 ||
      b.end === image.height ||
      near(b.colour, page, GUTTER_TOLERANCE) ||
      !(edgesContinue(image, b.start - 1, b) || edgesContinue(image, b.end, b)),
  );
  const panels: Box[] = [];
  let top = 0;
  for (const cut of [...gutters, { start: image.height, end: image.height }]) {
    if (cut.start - top >= PANEL_MIN_PX)
      panels.push({ x: 0, y: top, width: image.width, height: cut.start - top });
    top = cut.end;
  }
  return panels.length >= 2 ? panels : null;
}

/** The rows of `panel` (a full-width box) as their own image. */
export function panelImage(image: RgbImage, panel: Box): RgbImage {
  const row = image.width * 3;
  return {
    width: image.width,
    height: panel.height,
    data: image.data.slice(panel.y * row, (panel.y + panel.height) * row),
  };
}

/** `box` moved from a panel's coordinates into the strip's. */
export function boxInStrip(box: Box, panel: Box): Box {
  return { ...box, x: box.x + panel.x, y: box.y + panel.y };
}

/**
 * A strip-sized image assembled from each panel's image (stage images: masks, the text-removed
 * picture), over `base` (the decoded strip for pictures) or zeros (masks) between the panels.
 */
export function stripFromPanels<T extends RgbImage | GrayImage>(
  size: { readonly width: number; readonly height: number },
  channels: 1 | 3,
  parts: ReadonlyArray<{ readonly panel: Box; readonly image: T }>,
  base?: Uint8Array,
): T {
  const data = base ? base.slice() : new Uint8Array(size.width * size.height * channels);
  for (const { panel, image } of parts) data.set(image.data, panel.y * size.width * channels);
  return { width: size.width, height: size.height, data } as T;
}

/**
 * The characters of a strip's panels worth keeping: those whose box covers at least
 * {@link SECONDARY_COMPONENT_MIN_FRACTION} of the strip's biggest character box, as `all` mode keeps
 * mask parts within one image. A piece of a panel cut off at an empty band (a sound effect's remnant, a
 * prop under the figure) has its own "largest" part, which is not a character next to the strip's.
 */
export function strongestCandidates<T extends { readonly characterBox: Box }>(candidates: readonly T[]): T[] {
  const area = (c: T) => c.characterBox.width * c.characterBox.height;
  const biggest = Math.max(0, ...candidates.map(area));
  return candidates.filter((c) => area(c) >= biggest * SECONDARY_COMPONENT_MIN_FRACTION);
}
