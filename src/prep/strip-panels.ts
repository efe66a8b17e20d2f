// src/prep/strip-panels.ts — a tall webtoon strip cut into its panels at the gutters (pure): which
// images count as strips, where their gutters are (full-width bands of rows of one flat colour, or shaded
// smoothly; the band code page-panels.ts reuses on pages), the panels between them, a note when a piece
// looks like joined panels, and the helpers that cut a panel (any box: a strip's or a page's) out and put a
// panel's results back into the picture's coordinates, and which strip characters are too small beside the
// strip's biggest. analyse-file.ts runs the image stages on each panel as its own image.
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

/** Largest per-channel change from one row of a flat band to the next that still continues it: a gutter
 * shaded top to bottom (a vertical gradient, each row one colour; black to white over 32+ rows). */
export const GRADIENT_STEP = 8;

/** A row of smooth colour across the width (a horizontal gradient) has no step between neighbours above this. */
export const SMOOTH_STEP = 3;

type Rgb = readonly [number, number, number];

/** A band of rows, all flat (each one colour) or all one smooth row repeated: `start` inclusive, `end`
 * exclusive; its colour (the first row's left pixel), and the colours at the left and right edges of its
 * first and last rows, which the rows next to it are compared with. */
export interface Band {
  readonly start: number;
  readonly end: number;
  readonly colour: Rgb;
  readonly flat: boolean;
  readonly top: { readonly left: Rgb; readonly right: Rgb };
  readonly bottom: { readonly left: Rgb; readonly right: Rgb };
}

/** Whether two colours differ by at most `tolerance` in every channel. */
export function near(a: readonly number[], b: readonly number[], tolerance: number): boolean {
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

/** Whether row `y` changes smoothly across the width: no step between neighbouring pixels over {@link SMOOTH_STEP}. */
function smoothRow(image: RgbImage, y: number): boolean {
  const { width, data } = image;
  const row = y * width * 3;
  for (let i = row + 3; i < row + width * 3; i++)
    if (Math.abs((data[i] as number) - (data[i - 3] as number)) > SMOOTH_STEP) return false;
  return true;
}

/** Whether rows `a` and `b` match pixel by pixel within the tolerance. */
function sameRow(image: RgbImage, a: number, b: number): boolean {
  const { width, data } = image;
  const ra = a * width * 3;
  const rb = b * width * 3;
  for (let i = 0; i < width * 3; i++)
    if (Math.abs((data[ra + i] as number) - (data[rb + i] as number)) > GUTTER_TOLERANCE) return false;
  return true;
}

function edges(image: RgbImage, y: number): { left: Rgb; right: Rgb } {
  return { left: pixel(image, 0, y), right: pixel(image, image.width - 1, y) };
}

/** Runs of flat rows whose colour stays within the tolerance of the run's first row, and runs of one smooth
 * row repeated (shaded left to right). */
export function rowRuns(image: RgbImage): Band[] {
  const bands: Band[] = [];
  let open: { start: number; colour: Rgb; flat: boolean } | null = null;
  const close = (end: number) => {
    if (!open) return;
    const { start, colour, flat } = open;
    bands.push({ start, end, colour, flat, top: edges(image, start), bottom: edges(image, end - 1) });
    open = null;
  };
  for (let y = 0; y < image.height; y++) {
    const colour = flatRowColour(image, y);
    if (colour) {
      if (open && !(open.flat && near(colour, open.colour, GUTTER_TOLERANCE))) close(y);
      open ??= { start: y, colour, flat: true };
    } else if (smoothRow(image, y)) {
      if (open && !(!open.flat && sameRow(image, open.start, y))) close(y);
      open ??= { start: y, colour: pixel(image, 0, y), flat: false };
    } else close(y);
  }
  close(image.height);
  return bands;
}

/**
 * Bands of rows ({@link rowRuns}), where runs of flat rows lower than `minGutter` that follow each other,
 * each within {@link GRADIENT_STEP} of the row above, are joined into one band shaded top to bottom. A run
 * of `minGutter` rows or more stays a band of its own (a panel's cream bottom next to a white gutter).
 */
export function flatBands(image: RgbImage, minGutter: number): Band[] {
  const bands: Band[] = [];
  const shaded = new Set<Band>();
  for (const run of rowRuns(image)) {
    const last = bands.at(-1);
    const short = (b: Band) => b.end - b.start < minGutter;
    if (
      last &&
      last.end === run.start &&
      last.flat &&
      run.flat &&
      short(run) &&
      (short(last) || shaded.has(last)) &&
      near(run.top.left, last.bottom.left, GRADIENT_STEP)
    ) {
      const joined: Band = { ...last, end: run.end, bottom: run.bottom };
      bands[bands.length - 1] = joined;
      shaded.add(joined);
    } else bands.push(run);
  }
  return bands;
}

/** Whether row `y`'s first and last pixels are those of the band's row next to it: the panel's background
 * goes on through it. */
function edgesContinue(image: RgbImage, y: number, bandEdge: { left: Rgb; right: Rgb }): boolean {
  if (y < 0 || y >= image.height) return false;
  return (
    near(pixel(image, 0, y), bandEdge.left, GUTTER_TOLERANCE) &&
    near(pixel(image, image.width - 1, y), bandEdge.right, GUTTER_TOLERANCE)
  );
}

/** The colour most rows of the bands have (within the tolerance of a band's colour): the strip's page colour. */
function pageColour(bands: readonly Band[]): Rgb | undefined {
  let best: { colour: Rgb; rows: number } | undefined;
  const flat = bands.filter(plain);
  for (const band of flat) {
    const rows = flat
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

/** Whether a band is one colour throughout (neither shaded top to bottom nor left to right). */
export function plain(band: Band): boolean {
  return band.flat && near(band.colour, band.bottom.left, 2 * GUTTER_TOLERANCE);
}

/**
 * The panels of a webtoon strip, top to bottom (full-width boxes), or null when it is not split: not
 * strip-shaped, no gutter, or one panel that is not set on the page (see below). A gutter is a band of
 * at least max({@link GUTTER_MIN_PX}, {@link GUTTER_MIN_SHARE} x width) rows across the whole width that are
 * each one flat colour (the same, or shaded top to bottom by at most {@link GRADIENT_STEP} a row), or the
 * same row repeated, shaded smoothly left to right ({@link SMOOTH_STEP}). The strip's page colour (the
 * colour of most rows of its one-colour bands) always separates; another band separates unless the row
 * on either side of it reaches the image's left and right edges in the colours of the band's row next to
 * it: then it is an empty stretch of that panel's own background (the sky above a head, the cream between
 * a bubble and a caption box, a sky shaded left to right). A panel that runs into the next without a band
 * stays one panel with it, and so do two panels with black frame lines across a black gutter on a white
 * strip (the frame continues the band). Bands at the top and bottom are trimmed, and pieces lower than
 * {@link PANEL_MIN_PX} dropped. A single panel is returned when it sits on the page: one-colour margins of
 * the same colour above and below it (a panel on a white or black strip).
 */
export function findStripPanels(image: RgbImage): Box[] | null {
  if (!isStripShaped(image)) return null;
  const minGutter = Math.max(GUTTER_MIN_PX, Math.round(image.width * GUTTER_MIN_SHARE));
  const bands = flatBands(image, minGutter);
  const tall = bands.filter((b) => b.end - b.start >= minGutter);
  if (tall.length === 0) return null;
  const page = pageColour(tall);
  const gutters = tall.filter(
    (b) =>
      b.start === 0 ||
      b.end === image.height ||
      (page !== undefined && plain(b) && near(b.colour, page, GUTTER_TOLERANCE)) ||
      !(edgesContinue(image, b.start - 1, b.top) || edgesContinue(image, b.end, b.bottom)),
  );
  const panels: Box[] = [];
  let top = 0;
  for (const cut of [...gutters, { start: image.height, end: image.height }]) {
    if (cut.start - top >= PANEL_MIN_PX)
      panels.push({ x: 0, y: top, width: image.width, height: cut.start - top });
    top = cut.end;
  }
  if (panels.length >= 2) return panels;
  const [first, last] = [gutters[0], gutters.at(-1)];
  const onPage =
    panels.length === 1 &&
    first?.start === 0 &&
    last?.end === image.height &&
    first !== last &&
    plain(first) &&
    plain(last) &&
    near(first.colour, last.colour, GUTTER_TOLERANCE);
  return onPage ? panels : null;
}

/**
 * The manifest note for a strip whose cut left one piece that is itself strip-shaped and at least twice as
 * tall as every other piece: it may hold panels joined by a gutter prep cannot see (a pattern, a picture).
 * Null when no piece stands out so (or the strip is one panel), and for a page's panels (page-panels.ts:
 * not all full-width boxes at x 0), where a tall narrow panel beside others is ordinary.
 */
export function joinedPanelsNote(panels: readonly Box[]): string | null {
  if (panels.length < 2) return null;
  if (!panels.every((p) => p.x === 0 && p.width === panels[0]?.width)) return null;
  for (const [i, panel] of panels.entries()) {
    const others = panels.filter((_, j) => j !== i);
    if (isStripShaped(panel) && others.every((o) => panel.height >= 2 * o.height))
      return `strip panel ${i + 1} (rows ${panel.y}-${panel.y + panel.height}) is itself strip-shaped and over twice as tall as the other panels, with no gutter found in it: it may hold panels joined by a gutter that is not one colour or a smooth shading (a missing character there: crop those panels apart)`;
  }
  return null;
}

/** The pixels of `panel` (any box inside the image: a strip's full-width panel, a page's panel) as their own image. */
export function panelImage(image: RgbImage, panel: Box): RgbImage {
  const row = image.width * 3;
  const panelRow = panel.width * 3;
  const data = new Uint8Array(panelRow * panel.height);
  for (let y = 0; y < panel.height; y++) {
    const from = (panel.y + y) * row + panel.x * 3;
    data.set(image.data.subarray(from, from + panelRow), y * panelRow);
  }
  return { width: panel.width, height: panel.height, data };
}

/** `box` moved from a panel's coordinates into the strip's (or page's). */
export function boxInStrip(box: Box, panel: Box): Box {
  return { ...box, x: box.x + panel.x, y: box.y + panel.y };
}

/**
 * A picture-sized image (the strip or page) assembled from each panel's image (stage images: masks, the
 * text-removed picture), each placed at its panel's box (x and y), over `base` (the decoded picture for
 * pictures) or zeros (masks) between and beside the panels.
 */
export function stripFromPanels<T extends RgbImage | GrayImage>(
  size: { readonly width: number; readonly height: number },
  channels: 1 | 3,
  parts: ReadonlyArray<{ readonly panel: Box; readonly image: T }>,
  base?: Uint8Array,
): T {
  const data = base ? base.slice() : new Uint8Array(size.width * size.height * channels);
  for (const { panel, image } of parts) {
    const panelRow = panel.width * channels;
    for (let y = 0; y < panel.height; y++)
      data.set(
        image.data.subarray(y * panelRow, (y + 1) * panelRow),
        ((panel.y + y) * size.width + panel.x) * channels,
      );
  }
  return { width: size.width, height: size.height, data } as T;
}

/** A character found in one of a strip's panels: its box in the strip's pixels and its panel (1-based). */
interface PanelCandidate {
  readonly characterBox: Box;
  readonly panel?: number;
}

const boxArea = (c: PanelCandidate) => c.characterBox.width * c.characterBox.height;

/** The candidate with the biggest character box (the first of equals), or undefined for none. */
export function biggestCandidate<T extends PanelCandidate>(candidates: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const c of candidates) if (!best || boxArea(c) > boxArea(best)) best = c;
  return best;
}

/**
 * Why a webtoon strip's character is left out beside the strip's `biggest` one, or null when it is kept: its
 * box covers under {@link SECONDARY_COMPONENT_MIN_FRACTION} of the biggest's, as `all` mode drops mask parts
 * within one image. A strip's pieces between gutters are not framed panels: a piece cut off at an empty band
 * (a sound effect's remnant, a prop under the figure) has its own "largest" part, which is not a character
 * next to the strip's. The reason names the biggest's panel and the share (rounded down, so never "20 %").
 */
export function overshadowedReason(
  candidate: PanelCandidate,
  biggest: PanelCandidate | undefined,
): string | null {
  if (!biggest || boxArea(candidate) >= boxArea(biggest) * SECONDARY_COMPONENT_MIN_FRACTION) return null;
  const share = Math.floor((100 * boxArea(candidate)) / boxArea(biggest));
  const beside =
    biggest.panel === undefined || biggest.panel === candidate.panel
      ? "the strip's biggest character"
      : `panel ${biggest.panel}'s character, the strip's biggest`;
  return `character too small beside ${beside} (its box ${share} % of that one's: under a fifth, a strip's part is taken for a remnant, a sound effect's or a prop's; crop that panel if it is a character)`;
}

/**
 * The characters of a webtoon strip's panels worth keeping, in order: those not {@link overshadowedReason
 * overshadowed} by the strip's biggest character box; each overshadowed one is replaced by what `leftOut` makes
 * of it and the reason (a rejection to list), or dropped where that is null (the default). A manga page's panels
 * are framed: a small figure alone in its panel is that panel's character, and no panel's characters are
 * weighed against another's (analyse-file.ts).
 */
export function strongestCandidates<T extends PanelCandidate>(
  candidates: readonly T[],
  leftOut: (candidate: T, reason: string) => T | null = () => null,
): T[] {
  const biggest = biggestCandidate(candidates);
  return candidates.flatMap((c) => {
    const reason = overshadowedReason(c, biggest);
    if (reason === null) return [c];
    const rejected = leftOut(c, reason);
    return rejected ? [rejected] : [];
  });
}
