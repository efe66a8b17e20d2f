// src/prep/page-panels.ts — a manga page (any picture not shaped like a webtoon strip) cut into its panels by
// a recursive XY-cut: the page's margins trimmed, then each piece cut at gutters across its whole width
// (rows), else across its whole height (columns), to a small depth. The gutters are page-gutters.ts's flat
// bands (tolerant of JPEG noise), found on a turned copy of the piece for columns. A piece it leaves whole is
// cut again by page-regions.ts (slanted gutters, an L-shaped layout); its panels' crops and stage images here.
import type { Box, GrayImage, RgbImage } from '../vision/image.js';
import {
  crossed,
  matchingShare,
  PAGE_GUTTER_MIN_PX,
  PAGE_NOISE_TOLERANCE,
  type PageBand,
  pageRuns,
} from './page-gutters.js';
import {
  edgeColours,
  findPageRegions,
  inReadingOrder,
  type PageReadingOrder,
  type PageRegion,
  REGION_GUESSED_GUTTER_MAX_SHARE,
  REGION_GUESSED_GUTTER_MIN_LEVEL,
  REGION_MAX_GUESSES,
  regionImage,
} from './page-regions.js';
import { isStripShaped, near, PANEL_MIN_PX, panelImage, stripFromPanels } from './strip-panels.js';

/** A page panel is at least this many pixels on each side... */
export const PAGE_PANEL_MIN_PX = 64;
/** ...and at least this share of the page's width (and height): a title line, a page number or a narrow
 * caption box between gutters is dropped, not counted as a panel. */
export const PAGE_PANEL_MIN_SHARE = 0.08;

/** How many times a piece is cut again (rows, then the columns in a row, then the rows in such a column, ...). */
export const PAGE_CUT_DEPTH = 4;

/** A band's neighbouring row goes on with it (the picture's own background, not a gutter) when at least this
 * share of its pixels are those of the band's row next to it. A framed panel's border line or a panel's art
 * next to a gutter matches it in few pixels (a border row across a page with margins: ~12 %); the side of a
 * figure standing beside a narrow white stretch of its picture, in half of them. */
export const BACKGROUND_CONTINUES_SHARE = 0.25;

type Axis = 'rows' | 'columns';
type Rgb = readonly [number, number, number];

/** `image` turned a quarter (mirrored across its diagonal): its columns become rows. */
function transposed(image: RgbImage): RgbImage {
  const { width, height, data } = image;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const from = (y * width + x) * 3;
      const to = (x * height + y) * 3;
      out[to] = data[from] as number;
      out[to + 1] = data[from + 1] as number;
      out[to + 2] = data[from + 2] as number;
    }
  return { width: height, height: width, data: out };
}

/** `box` of `image` as its own picture whose rows are the box's rows, or (`columns`) its columns. */
function lineView(image: RgbImage, box: Box, axis: Axis): RgbImage {
  const piece = panelImage(image, box);
  return axis === 'rows' ? piece : transposed(piece);
}

/** How many lines beyond a band are looked at for whether they go on with it: a JPEG's 8 x 8 blocks blur a
 * border line into the near-white lines next to it (q95: 252-255 up to 8 px away, the band then starting at
 * the next block), which alone look like the gutter going on. Two blocks. */
export const NEIGHBOUR_LINES = 16;

/** Whether the lines from `first` on, `step` by `step` (up to {@link NEIGHBOUR_LINES} of them, inside the
 * picture), all go on with the band's line `bandLine` ({@link BACKGROUND_CONTINUES_SHARE}). False when none. */
function goesOn(view: RgbImage, bandLine: number, first: number, step: 1 | -1): boolean {
  let seen = 0;
  for (let y = first; y >= 0 && y < view.height && seen < NEIGHBOUR_LINES; y += step, seen++)
    if (matchingShare(view, y, bandLine) < BACKGROUND_CONTINUES_SHARE) return false;
  return seen > 0;
}

/**
 * Whether a band of rows separates pieces (or, at the piece's edge, is trimmed off it): on neither side do the
 * lines next to it go on with it ({@link goesOn}). A flat stretch of a picture's background between a
 * character and a bubble has that background on both sides; a gutter has panel borders or art.
 */
function separates(view: RgbImage, band: PageBand): boolean {
  return !goesOn(view, band.start, band.start - 1, -1) && !goesOn(view, band.end - 1, band.end, 1);
}

/** A span [from, to) of a piece's rows (or columns) as a box in the page's pixels. */
function spanBox(box: Box, axis: Axis, from: number, to: number): Box {
  return axis === 'rows'
    ? { x: box.x, y: box.y + from, width: box.width, height: to - from }
    : { x: box.x + from, y: box.y, width: to - from, height: box.height };
}

/** The colours a page's gutters may have below the first cut: its margins' and the first cut's gutters'. */
type GutterColours = readonly Rgb[];

/**
 * The pieces of `box` between its gutters along `axis` and those gutters' colours. A gutter is a band of
 * `minGutter`+ lines, each one flat colour across the whole piece within JPEG's noise ({@link pageRuns}: one
 * colour throughout, a shaded band is art on a page), that nothing {@link crossed}, that {@link separates} and, below the first cut, has one of `colours` (a panel's own flat
 * background or a stripe of flat art is another colour). Gutters at the piece's edges are trimmed, pieces
 * under {@link PANEL_MIN_PX} lines dropped. One piece when nothing cuts it (trimmed), none when all gutter.
 */
function cutAlong(
  image: RgbImage,
  box: Box,
  axis: Axis,
  minGutter: number,
  colours: GutterColours | null,
): { pieces: Box[]; gutters: Rgb[] } {
  const view = lineView(image, box, axis);
  const gutters = pageRuns(view).filter(
    (b) =>
      b.end - b.start >= minGutter &&
      (colours === null || colours.some((c) => near(c, b.colour, PAGE_NOISE_TOLERANCE))) &&
      !crossed(view, b) &&
      separates(view, b),
  );
  const pieces: Box[] = [];
  let from = 0;
  for (const cut of [...gutters, { start: view.height, end: view.height }]) {
    if (cut.start - from >= PANEL_MIN_PX) pieces.push(spanBox(box, axis, from, cut.start));
    from = cut.end;
  }
  return { pieces, gutters: gutters.map((g) => g.colour) };
}

/** Where a page's margin ends, from the first of `runs` (its lines' runs that nothing {@link crossed}, counted
 * from that edge: a white panel's frame lines cross its inside): the margin is one-colour lines of the first
 * run's colour, with stretches under `sliverPx` lines between them (a title, a page number). 0 when the first
 * line is not in a run. */
function marginEnd(runs: readonly PageBand[], sliverPx: number): number {
  const [first, ...rest] = runs;
  if (first?.start !== 0) return 0;
  let end = first.end;
  for (const run of rest) {
    if (run.start - end >= sliverPx) break;
    if (near(run.colour, first.colour, PAGE_NOISE_TOLERANCE)) end = run.end;
  }
  return end;
}

/** The page without its margins ({@link marginEnd}): rows at its top and bottom, then columns at its left and
 * right (of any width: a thin margin left on would join the gutters' rows to it), and the colours of those at
 * least {@link PAGE_GUTTER_MIN_PX} thick (a frame line drawn along the image's edge is trimmed but is no gutter:
 * its black taken as the gutter colour cut a slanted white gutter out as a panel). Null when all margin. */
function trimMargins(
  image: RgbImage,
  sliverPx: { rows: number; columns: number },
): { box: Box; colours: Rgb[] } | null {
  let box: Box = { x: 0, y: 0, width: image.width, height: image.height };
  const colours: Rgb[] = [];
  for (const axis of ['rows', 'columns'] as const) {
    const view = lineView(image, box, axis);
    const runs = pageRuns(view).filter((r) => !crossed(view, r));
    const size = axis === 'rows' ? box.height : box.width;
    const mirrored = runs.map((r) => ({ ...r, start: size - r.end, end: size - r.start })).reverse();
    const from = marginEnd(runs, sliverPx[axis]);
    const to = size - marginEnd(mirrored, sliverPx[axis]);
    if (to <= from) return null;
    if (from >= PAGE_GUTTER_MIN_PX) colours.push((runs[0] as PageBand).colour);
    if (size - to >= PAGE_GUTTER_MIN_PX) colours.push((mirrored[0] as PageBand).colour);
    box = spanBox(box, axis, from, to);
  }
  return { box, colours };
}

/** A piece the XY-cut left whole, and the colours the page's gutters may have around it. */
interface Leaf {
  readonly box: Box;
  readonly colours: GutterColours;
}

/** The pieces of `box` the XY-cut leaves whole, in reading order: cut at rows first, else at columns, each piece
 * cut again; a row's columns left to right, or right to left (`order`). The first cut takes gutters of any colour
 * (`colours` null); those below it, only the margins' and its gutters' colours. */
function cutPiece(
  image: RgbImage,
  box: Box,
  minGutter: number,
  depth: number,
  colours: GutterColours | null,
  marginColours: GutterColours,
  order: PageReadingOrder,
): Leaf[] {
  if (depth >= PAGE_CUT_DEPTH) return [{ box, colours: colours ?? marginColours }];
  let piece = box;
  for (const axis of ['rows', 'columns'] as const) {
    const { pieces, gutters } = cutAlong(image, piece, axis, minGutter, colours);
    if (pieces.length >= 2) {
      const below = colours ?? [...marginColours, ...gutters];
      if (axis === 'columns' && order === 'right-to-left') pieces.reverse();
      return pieces.flatMap((p) => cutPiece(image, p, minGutter, depth + 1, below, marginColours, order));
    }
    if (pieces.length === 0) return [];
    piece = pieces[0] as Box;
  }
  return [{ box: piece, colours: colours ?? marginColours }];
}

/** A page's panel: its box, and (a panel page-regions.ts cut out beside a slanted gutter) which pixels of the box
 * are its own, the rest painted the gutter's colour in its crop ({@link pagePanelImage}). */
export interface PagePanel {
  readonly box: Box;
  readonly region?: PageRegion;
}

/** A page panel's crop: its box's pixels, a region's neighbours' corners painted over. */
export function pagePanelImage(image: RgbImage, panel: PagePanel): RgbImage {
  return panel.region ? regionImage(image, panel.region) : panelImage(image, panel.box);
}

/**
 * A page-sized stage image (masks, the text-removed picture) assembled from each panel's, as stripFromPanels
 * does, except that a region panel (page-regions.ts) gives only its own pixels: the rest of its box is its
 * neighbour's corner, painted over for its analysis, and stays the neighbour's (or `base`'s, or zeros).
 */
export function pageFromPanels<T extends RgbImage | GrayImage>(
  size: { readonly width: number; readonly height: number },
  channels: 1 | 3,
  parts: ReadonlyArray<{ readonly panel: PagePanel; readonly image: T }>,
  base?: Uint8Array,
): T {
  const boxes = parts.filter((p) => !p.panel.region).map((p) => ({ panel: p.panel.box, image: p.image }));
  const page = stripFromPanels<T>(size, channels, boxes, base);
  for (const { panel, image } of parts) {
    if (!panel.region) continue;
    const { box, inside } = panel.region;
    for (let row = 0; row < box.height; row++)
      for (let col = 0; col < box.width; col++) {
        const at = row * box.width + col;
        if (!inside[at]) continue;
        const to = ((box.y + row) * size.width + box.x + col) * channels;
        for (let c = 0; c < channels; c++) page.data[to + c] = image.data[at * channels + c] as number;
      }
  }
  return page;
}

/**
 * The panels of a manga page (a picture less than twice as tall as wide: strips are strip-panels.ts's), or
 * null when it is not cut (analysed whole, as a single screenshot always was). Its margins are trimmed (with
 * a title or page number in them), then it is cut at gutters across its whole width, each piece at gutters
 * across its whole height, each of those across its width again, up to {@link PAGE_CUT_DEPTH} times. A gutter
 * is a band of at least {@link PAGE_GUTTER_MIN_PX} lines (any page size), all one flat colour across the whole
 * piece within JPEG's noise (page-gutters.ts; below the first cut, the margins' or the first gutters'), that
 * nothing crosses and that {@link separates}. So a character breaking its frame across a gutter, overlapping
 * panels and borderless art stay one piece. Each piece the XY-cut leaves whole is then cut by page-regions.ts at
 * the gutter that reaches its edge (slanted gutters, an L-shaped layout), its panels' crops with their
 * neighbours' corners painted over. Pieces under {@link PAGE_PANEL_MIN_PX} or {@link PAGE_PANEL_MIN_SHARE} of
 * the page's side are dropped; two panels or more are returned, in `order`: rows top to bottom, within a row
 * left to right or right to left (a column of panels in a row top to bottom, before the next column).
 */
export async function findPagePanels(image: RgbImage, order: PageReadingOrder): Promise<PagePanel[] | null> {
  if (isStripShaped(image)) return null;
  const minPanel = { width: minPanelSide(image.width), height: minPanelSide(image.height) };
  const page = trimMargins(image, { rows: minPanel.height, columns: minPanel.width });
  if (!page) return null;
  const panels: PagePanel[] = [];
  for (const leaf of cutPiece(image, page.box, PAGE_GUTTER_MIN_PX, 0, null, page.colours, order)) {
    const regions = await leafRegions(image, leaf, minPanel);
    if (regions)
      panels.push(...inReadingOrder(regions, order).map((region) => ({ box: region.box, region })));
    else if (leaf.box.width >= minPanel.width && leaf.box.height >= minPanel.height)
      panels.push({ box: leaf.box });
  }
  return panels.length >= 2 ? panels : null;
}

/** A leaf's panels cut by page-regions.ts at its gutter: of the margins' or gutters' colours, else (a page framed
 * to its edges, with no margin) of a light colour along the leaf's edges that makes a thin
 * gutter, tried one by one (never a dark one: a frame line's black taken as the gutter made the white gutter
 * between two frames a panel). */
async function leafRegions(
  image: RgbImage,
  leaf: Leaf,
  minPanel: { readonly width: number; readonly height: number },
): Promise<PageRegion[] | null> {
  if (leaf.colours.length > 0) return findPageRegions(image, leaf.box, leaf.colours, minPanel);
  const guesses = edgeColours(image, leaf.box, PAGE_GUTTER_MIN_PX, PAGE_NOISE_TOLERANCE).filter((c) =>
    c.every((v) => v >= REGION_GUESSED_GUTTER_MIN_LEVEL),
  );
  // many light colours along the edges: a picture (a screenshot, borderless art), not paper between panels
  if (guesses.length > REGION_MAX_GUESSES) return null;
  for (const colour of guesses) {
    const regions = await findPageRegions(
      image,
      leaf.box,
      [colour],
      minPanel,
      REGION_GUESSED_GUTTER_MAX_SHARE,
    );
    if (regions) return regions;
  }
  return null;
}

/** A page panel's least width (height) on a page `side` pixels wide (high). */
function minPanelSide(side: number): number {
  return Math.max(PAGE_PANEL_MIN_PX, PAGE_PANEL_MIN_SHARE * side);
}
