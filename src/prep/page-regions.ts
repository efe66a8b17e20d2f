// src/prep/page-regions.ts — the second cut of a manga page, for a piece the XY-cut (page-panels.ts) left whole:
// slanted gutters, an L-shaped layout. The piece's gutter is the region of the page's gutter colours connected to
// the piece's edge (the XY-cut cut it at gutters or margins, so its outside is gutter; a page with no margin takes a
// light colour found between panels along the piece's edges, edgeColours); its panels are the large
// connected components of the rest, each one cut off from the others by that gutter (OpenCV: inRange,
// floodFill, connectedComponentsWithStats, findContours, approxPolyDP), each with a border of one colour along the
// gutter (a frame line or a flat fill: a white stroke across borderless art has art along it). A panel's crop is
// its bounding box; the
// pixels in it outside the panel's own region (a neighbour's corner across a slanted gutter) are painted the
// gutter's colour. Also the reading order of such panels.
import type { Box, RgbImage } from '../vision/image.js';
import { loadOpenCv, type Mat, matFromRgb, withMats } from '../vision/opencv.js';
import { panelImage } from './strip-panels.js';

type Rgb = readonly [number, number, number];

/** Largest per-channel difference from a gutter colour that still counts as gutter: JPEG q60-q95 leaves a white
 * gutter beside a black frame line a few levels off, its ringing at a slanted line up to ~20; a panel's light
 * grey (220) or yellow fill is further off. (The XY-cut's lines take 10, with 2 % of a line allowed off.) */
export const REGION_GUTTER_TOLERANCE = 24;

/** A panel's outline, approximated as a polygon within this share of its perimeter (at least
 * {@link REGION_MIN_EPSILON_PX}), has at most {@link REGION_MAX_CORNERS} corners: panels are drawn with straight
 * sides (a slanted quadrilateral, an L's six corners). A figure, a ring or a bubble on the page needs more. */
export const REGION_EPSILON_SHARE = 0.006;
export const REGION_MIN_EPSILON_PX = 3;
export const REGION_MAX_CORNERS = 8;

/** A panel's border, the ring of its own pixels 2-3 px in from its outline where that faces the gutter (a frame
 * line, or a borderless panel's fill along its edge), is at least this share of one colour (within
 * {@link REGION_GUTTER_TOLERANCE} of its median): a blank band that cuts borderless art in two (a white stroke
 * across a picture) has the art itself along both its sides. Measured: the framed, flat-filled and borderless
 * panels of the page-panel tests (PNG and JPEG) 0.957-1.00; a picture (a sky shading blue to sand, a figure)
 * crossed by a 20 px white stroke edge to edge 0.00-0.70 (page-regions.test.ts). Art of one flat colour along
 * both sides of such a stroke cannot be told from a gutter and is still cut. */
export const REGION_BORDER_MIN_SHARE = 0.85;
/** The ring {@link REGION_BORDER_MIN_SHARE} samples: pixels this far in from a panel's outline (chessboard
 * distance; the outermost pixel, 1, is anti-aliased against the gutter). */
const BORDER_RING_PX = [2, 3] as const;

/** The panels found must together cover at least this share of the piece (gutters are a small part of a page;
 * a few shapes on a white picture are not). */
export const REGION_MIN_COVER = 0.5;

/** A gutter colour guessed from the piece's edges (a page framed to its edges has no margin to give it) is taken
 * only when the gutter it makes is at most this share of the piece: a panel's fill or a picture's sky reaching the
 * edge makes a large one. */
export const REGION_GUESSED_GUTTER_MAX_SHARE = 0.1;
/** ...and only a light one (paper: each channel at least this): a frame line's black along the edge makes a thin
 * "gutter" too, and the white gutter between two frames would be cut out as a panel. */
export const REGION_GUESSED_GUTTER_MIN_LEVEL = 200;
/** ...and only on a piece with at most this many light colours along its edges (more: a picture's, not paper's;
 * each guess costs a pass over the piece). */
export const REGION_MAX_GUESSES = 4;

/** The colours of the runs of at least `minRun` pixels, each within `tolerance` of its first, along the four edge
 * lines of `box` that other colours bound on both sides (a gutter reaching the piece's edge shows there, between
 * two panels), without repeats ({@link distinct}). */
export function edgeColours(image: RgbImage, box: Box, minRun: number, tolerance: number): Rgb[] {
  const { width, data } = image;
  const pixel = (x: number, y: number): Rgb => {
    const i = (y * width + x) * 3;
    return [data[i] as number, data[i + 1] as number, data[i + 2] as number];
  };
  const right = box.x + box.width - 1;
  const bottom = box.y + box.height - 1;
  const lines: Array<(k: number) => Rgb> = [
    (k) => pixel(box.x + k, box.y),
    (k) => pixel(box.x + k, bottom),
    (k) => pixel(box.x, box.y + k),
    (k) => pixel(right, box.y + k),
  ];
  const found: Rgb[] = [];
  lines.forEach((at, i) => {
    const length = i < 2 ? box.width : box.height;
    let start = 0;
    for (let k = 1; k <= length; k++) {
      const first = at(start);
      if (k < length && at(k).every((v, c) => Math.abs(v - (first[c] as number)) <= tolerance)) continue;
      // a gutter crossing the edge has panels on both sides of it there: a run along the whole side is a frame line
      if (k - start >= minRun && start > 0 && k < length) found.push(first);
      start = k;
    }
  });
  return distinct(found);
}

/** Which way a row of panels is numbered: left to right, or right to left (manga's reading order). */
export type PageReadingOrder = 'left-to-right' | 'right-to-left';

/** A panel found by {@link findPageRegions}: its box in the page, and which of the box's pixels are its own
 * (`inside`, non-zero, one byte per pixel row by row) — the rest are painted `gutter` in its crop. */
export interface PageRegion {
  readonly box: Box;
  readonly inside: Uint8Array;
  readonly gutter: Rgb;
}

/** `colours` without repeats (a page's margins on four sides and its gutters are mostly one colour), each
 * within {@link REGION_GUTTER_TOLERANCE} / 4 of none kept before it. */
function distinct(colours: readonly Rgb[]): Rgb[] {
  const kept: Rgb[] = [];
  for (const c of colours)
    if (!kept.some((k) => k.every((v, i) => Math.abs(v - (c[i] as number)) <= REGION_GUTTER_TOLERANCE / 4)))
      kept.push(c);
  return kept;
}

interface Component {
  readonly label: number;
  readonly box: Box;
  readonly area: number;
}

/** Whether the component's outline (label `label` in `labels`, a CV_32S Mat of the padded piece) is a polygon
 * of few corners ({@link REGION_MAX_CORNERS}), and the pixels of its box that are its own. */
function panelShape(
  cv: Mat,
  keep: <M extends Mat>(m: M) => M,
  labels: Mat,
  c: Component,
): { polygon: boolean; inside: Uint8Array } {
  const { x, y, width, height } = c.box;
  const mask = keep(new cv.Mat());
  const label = keep(cv.matFromArray(4, 1, cv.CV_64F, [c.label, 0, 0, 0]));
  // the labels are the padded piece's: the box one pixel in
  cv.inRange(keep(labels.roi(new cv.Rect(x + 1, y + 1, width, height))), label, label, mask);
  const inside = new Uint8Array(mask.data);
  const contours = keep(new cv.MatVector());
  const hierarchy = keep(new cv.Mat());
  cv.findContours(mask, contours, hierarchy, cv.RETR_EXTERNAL, cv.CHAIN_APPROX_NONE);
  let outline: Mat | null = null;
  for (let i = 0; i < contours.size(); i++) {
    const contour = keep(contours.get(i));
    if (!outline || cv.contourArea(contour) > cv.contourArea(outline)) outline = contour;
  }
  if (!outline) return { polygon: false, inside };
  const epsilon = Math.max(REGION_MIN_EPSILON_PX, REGION_EPSILON_SHARE * cv.arcLength(outline, true));
  const polygon = keep(new cv.Mat());
  cv.approxPolyDP(outline, polygon, epsilon, true);
  return { polygon: polygon.rows <= REGION_MAX_CORNERS, inside };
}

/**
 * The panels of `piece` (a box of `image`) cut off from each other by its gutter: pixels within
 * {@link REGION_GUTTER_TOLERANCE} of one of `colours`, connected (4-way) to the piece's edge. The rest's
 * connected components (8-way) at least `minPanel` wide and high are panels when each is a polygon of few corners
 * ({@link panelShape}) and together they cover {@link REGION_MIN_COVER} of the piece; smaller ones (specks of
 * noise, a page number) are painted over. Null (the piece stays whole) when fewer than two panels are found, when
 * a large component is not panel-shaped (a character breaking out of its frame, borderless art) or when they
 * cover too little. An inset panel drawn inside a bigger one is enclosed by it (not reached by the gutter), so
 * it stays part of the bigger panel. Panels in page pixels, in no particular order.
 */
export async function findPageRegions(
  image: RgbImage,
  piece: Box,
  colours: readonly Rgb[],
  minPanel: { readonly width: number; readonly height: number },
  maxGutterShare = 1,
): Promise<PageRegion[] | null> {
  if (colours.length === 0) return null;
  const cv = await loadOpenCv();
  return withMats((keep) => {
    const src = keep(matFromRgb(cv, panelImage(image, piece)));
    const gutterMask = keep(cv.Mat.zeros(piece.height, piece.width, cv.CV_8UC1));
    const one = keep(new cv.Mat());
    let gutter = colours[0] as Rgb;
    let most = -1;
    for (const c of distinct(colours)) {
      // 4 x 1 CV_64F bounds are scalars to inRange: no picture-sized Mats of one colour
      const bound = (d: number) =>
        keep(cv.matFromArray(4, 1, cv.CV_64F, [...c.map((v) => Math.max(0, Math.min(255, v + d))), 0]));
      const low = bound(-REGION_GUTTER_TOLERANCE);
      const high = bound(REGION_GUTTER_TOLERANCE);
      cv.inRange(src, low, high, one);
      const count = cv.countNonZero(one);
      if (count > most) [gutter, most] = [c, count];
      cv.bitwise_or(gutterMask, one, gutterMask);
    }
    // a 1 px frame of gutter round the piece: its outside, joined to every gutter that reaches its edge
    const padded = keep(new cv.Mat());
    cv.copyMakeBorder(gutterMask, padded, 1, 1, 1, 1, cv.BORDER_CONSTANT, new cv.Scalar(255));
    // copyTo, not clone(): this build's Mat.clone() shares the pixels, and floodFill below would empty `padded`
    const reached = keep(new cv.Mat());
    padded.copyTo(reached);
    const fillMask = keep(cv.Mat.zeros(piece.height + 4, piece.width + 4, cv.CV_8UC1));
    cv.floodFill(
      reached,
      fillMask,
      new cv.Point(0, 0),
      new cv.Scalar(0),
      new cv.Rect(),
      new cv.Scalar(0),
      new cv.Scalar(0),
      4,
    );
    // the gutter: what the fill emptied, less the 1 px frame
    const frame = 2 * (piece.width + piece.height) + 4;
    const gutterPixels = cv.countNonZero(padded) - cv.countNonZero(reached) - frame;
    if (gutterPixels > maxGutterShare * piece.width * piece.height) return null;
    // not gutter: off the gutter colours, or gutter-coloured but enclosed (a white panel's inside)
    const rest = keep(new cv.Mat());
    cv.bitwise_not(padded, rest);
    cv.bitwise_or(rest, reached, rest);
    const labels = keep(new cv.Mat());
    const stats = keep(new cv.Mat());
    const centroids = keep(new cv.Mat());
    const count = cv.connectedComponentsWithStats(rest, labels, stats, centroids, 8, cv.CV_32S);
    const regions: PageRegion[] = [];
    let covered = 0;
    for (let label = 1; label < count; label++) {
      const at = (stat: number) => stats.intAt(label, stat) as number;
      // stats are in padded pixels: one more than the piece's
      const box = {
        x: at(cv.CC_STAT_LEFT) - 1,
        y: at(cv.CC_STAT_TOP) - 1,
        width: at(cv.CC_STAT_WIDTH),
        height: at(cv.CC_STAT_HEIGHT),
      };
      if (box.width < minPanel.width || box.height < minPanel.height) continue;
      const component = { label, box, area: at(cv.CC_STAT_AREA) };
      const { polygon, inside } = panelShape(cv, keep, labels, component);
      if (!polygon) return null;
      const region = { box: { ...box, x: box.x + piece.x, y: box.y + piece.y }, inside, gutter };
      // before, a white stroke across borderless art cut it as a slanted gutter: its two sides are art, no border
      if (borderUniformity(image, piece, region) < REGION_BORDER_MIN_SHARE) return null;
      covered += component.area;
      regions.push(region);
    }
    if (regions.length < 2 || covered < REGION_MIN_COVER * piece.width * piece.height) return null;
    return regions;
  });
}

/** Which sides of a box lie on its piece's edge: the pixels past those are the piece's outside, not its gutter. */
interface OnPieceEdge {
  readonly left: boolean;
  readonly top: boolean;
  readonly right: boolean;
  readonly bottom: boolean;
}

/** Each pixel's chessboard distance (1 = on the outline) to the nearest pixel of the box that is not `inside`, or
 * past a side of the box not on the piece's edge (`onEdge`), for a `width` x `height` mask; 0 outside. */
export function distanceInside(
  inside: Uint8Array,
  width: number,
  height: number,
  onEdge: OnPieceEdge,
): Uint16Array {
  const d = new Uint16Array(width * height);
  const far = width + height;
  const at = (x: number, y: number) => {
    if (
      (x < 0 && onEdge.left) ||
      (x >= width && onEdge.right) ||
      (y < 0 && onEdge.top) ||
      (y >= height && onEdge.bottom)
    )
      return far;
    return x < 0 || y < 0 || x >= width || y >= height ? 0 : (d[y * width + x] as number);
  };
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (inside[y * width + x])
        d[y * width + x] = Math.min(
          far,
          1 + Math.min(at(x - 1, y), at(x - 1, y - 1), at(x, y - 1), at(x + 1, y - 1)),
        );
  for (let y = height - 1; y >= 0; y--)
    for (let x = width - 1; x >= 0; x--)
      if (inside[y * width + x])
        d[y * width + x] = Math.min(
          d[y * width + x] as number,
          1 + Math.min(at(x + 1, y), at(x + 1, y + 1), at(x, y + 1), at(x - 1, y + 1)),
        );
  return d;
}

/** The share of `region`'s border ring (see {@link REGION_BORDER_MIN_SHARE}; its sides on the edge of `piece`, cut
 * there by the XY-cut or the image's edge, left out) within {@link REGION_GUTTER_TOLERANCE} of the ring's median
 * colour; 1 for a region with no ring. */
export function borderUniformity(image: RgbImage, piece: Box, region: Omit<PageRegion, 'gutter'>): number {
  const { box, inside } = region;
  const distance = distanceInside(inside, box.width, box.height, {
    left: box.x <= piece.x,
    top: box.y <= piece.y,
    right: box.x + box.width >= piece.x + piece.width,
    bottom: box.y + box.height >= piece.y + piece.height,
  });
  const ring: number[] = [];
  for (let p = 0; p < distance.length; p++)
    if ((BORDER_RING_PX as readonly number[]).includes(distance[p] as number))
      ring.push(((box.y + Math.floor(p / box.width)) * image.width + box.x + (p % box.width)) * 3);
  if (ring.length === 0) return 1;
  const median = [0, 1, 2].map((c) => {
    const values = ring.map((i) => image.data[i + c] as number).sort((a, b) => a - b);
    return values[values.length >> 1] as number;
  });
  const same = ring.filter((i) =>
    median.every((m, c) => Math.abs((image.data[i + c] as number) - m) <= REGION_GUTTER_TOLERANCE),
  ).length;
  return same / ring.length;
}

/** `region`'s crop: its box of `image`, the pixels that are not its own painted its gutter colour. */
export function regionImage(image: RgbImage, region: PageRegion): RgbImage {
  const crop = panelImage(image, region.box);
  const [r, g, b] = region.gutter;
  for (let p = 0; p < region.inside.length; p++)
    if (!region.inside[p]) {
      crop.data[p * 3] = r;
      crop.data[p * 3 + 1] = g;
      crop.data[p * 3 + 2] = b;
    }
  return crop;
}

/**
 * `boxes` in reading order: in rows top to bottom (taken by their tops, a box whose middle lies in the height of
 * any box of the row so far joins that row), within a row by their middles left to right, or right to left.
 */
export function inReadingOrder<T extends { readonly box: Box }>(
  items: readonly T[],
  order: PageReadingOrder,
): T[] {
  const byTop = [...items].sort((a, b) => a.box.y - b.box.y || a.box.x - b.box.x);
  const rows: T[][] = [];
  for (const item of byTop) {
    const row = rows.at(-1);
    const middle = item.box.y + item.box.height / 2;
    if (row?.some((r) => middle < r.box.y + r.box.height)) row.push(item);
    else rows.push([item]);
  }
  const sign = order === 'right-to-left' ? -1 : 1;
  const centre = (t: T) => t.box.x + t.box.width / 2;
  return rows.flatMap((row) => row.sort((a, b) => sign * (centre(a) - centre(b))));
}
