// src/prep/text-plausible.ts — whether a detected text region looks like text at all. PaddleOCR's
// detector also fires on art: a face (eyes, mouth) or a pair of legs can come back as a "text line",
// and removing it erases the character's face or legs. Real text sits on a light bubble (light around
// the box and mostly light inside it: a head with a black hair cap on a light background is light only
// around), or is drawn in dense high-contrast strokes running several ways (letters); a region with
// neither, whose strokes all run one way (hatching, hair strands), or whose pattern repeats itself along
// two directions (cross-hatching, screentone; on a bubble or not) is refused (left in the image). Pure.
import type { Box, RgbImage } from '../vision/image.js';
import type { TextRegion } from './stage-types.js';

/** Width (px) of the band around a region's box sampled for a bubble background. */
const RING_PX = 4;
/** A pixel is bubble paper when every channel is at least this (0..255): white or light grey, not skin. */
const PAPER_MIN_CHANNEL = 215;
/**
 * A region is on a bubble when at least this share of its ring is paper. Measured: detected text lines
 * in bubbles (examples/screens, the synthetic panels) 0.82-1.00; outlined sound effects over screentone
 * 0.42-0.45; boxes over a figure's face and legs (test/fixtures/prep-quality/) 0.00-0.28.
 */
export const BUBBLE_RING_MIN_LIGHT = 0.7;
/**
 * ... and at least this share of the box itself is paper: letters cover a bubble's paper only in part.
 * Measured: detected text lines in bubbles (examples/screens) 0.62-0.89; a figure's head (black hair
 * cap, skin) on a light panel background, whose ring is light too (0.75), 0.24-0.30
 * (test/fixtures/prep-quality/). A region with a light ring and a dark inside is judged by its strokes.
 */
export const BUBBLE_INSIDE_MIN_LIGHT = 0.45;
/** A pixel is a stroke edge when its luminance differs from its right or lower neighbour by this much. */
const EDGE_LUMA_STEP = 64;
/**
 * A region not on a bubble is text when at least this share of its pixels are stroke edges. Measured:
 * detected text lines and sound effects (examples/screens, synthetic panels, outlined SFX) 0.074-0.199;
 * boxes over a plain face (eyes only) or legs 0.035-0.041. Boxes over busy art (the synthetic panels'
 * hair) reach 0.118, and hatching 0.354: dense art is told from letters by its strokes' direction
 * (MAX_STROKE_COHERENCE); the erased-character warning (erased-character.ts) covers the rest.
 */
export const MIN_STROKE_EDGE_DENSITY = 0.05;
/**
 * A region is art when its stroke edges all run one way, on a bubble or not: the coherence (0..1) of their
 * luminance gradients (structure tensor: 0 = every direction alike, 1 = one direction) is at least
 * this. Letters have strokes across and down. Measured: every detection in examples/screens and the
 * synthetic panels 0.01-0.43; outlined sound effects over screentone 0.05; a face shaded with fine
 * diagonal hatching (test/fixtures/prep-quality/) 0.94; anti-aliased line gratings 4-8 px apart at
 * 18-72° 0.90-1.00, and small letters drawn over those 0.37-0.75; a panel's background hatching (grey
 * parallel lines on a light background, a light ring) 0.98. Cross-hatching (two directions) is left to
 * MAX_REPEAT_RESIDUE.
 */
export const MAX_STROKE_COHERENCE = 0.82;
/** Longest shift (px, on each axis; at most half the box's side) at which a region is compared with itself. */
const REPEAT_MAX_SHIFT = 24;
/** Shortest shift (px): nearer, every stroke overlaps itself. */
const REPEAT_MIN_SHIFT = 3;
/** A pixel differs from the one a shift away when one of its channels differs by this much (0..255). */
const REPEAT_CHANNEL_STEP = 64;
/**
 * ... and by this share of the channel's range over the region (rounded up), where that is more: a pattern
 * whose period is not a whole number of pixels (cross-hatching 11 px apart at 45° repeats every 7.78 px)
 * is a fraction of a pixel off its copy at every whole-pixel shift, which changes its anti-aliased pixels
 * by that fraction of the ink's contrast: 64-70 levels for 1 px lines on white paper 0.3 px off, which read
 * as letters (on skin the contrast is lower: under 64); a letter's stroke moved onto paper differs by
 * nearly all of it. Measured (synthetic; boxes 80 x 80 and 210 x 45 on white and on skin, cross-hatching at
 * 0-85°, 4-12 px apart, 1-3 px thick, 1440 cases): read as text 29 before, 3 now (1 px lines 11 px apart
 * at 15° or 75° in a box 45 px high). Letters 9-32 px, normal and bold, 10 lines, on white, on skin, over
 * cross-hatching on skin or white (640 cases): 595 kept before, 591 now (red '...!!' 14/16 px bold and
 * 'wait' 9/12 px over dense cross-hatching on skin, each just under the cap). 0.4 lost 30 of those.
 */
export const REPEAT_CONTRAST_SHARE = 0.34;
/** Two shifts run two ways when the sine of the angle between them is at least this (30°). */
const REPEAT_MIN_SINE = 0.5;
/**
 * A region is art when its pattern repeats along two directions, on a bubble or not: shifted by some
 * vector, and by another at least 30° from it, at most this share of the region's stroke-edge density
 * of its pixels differs from the shifted copy (a channel by 64 or more, see REPEAT_CONTRAST_SHARE).
 * Cross-hatching and screentone repeat; letters do not, and a row of one glyph (ㅋㅋㅋ, !!!) repeats one
 * way only. Measured without the cap (synthetic, text-plausible.test.ts, boxes 210 x 45; before
 * REPEAT_CONTRAST_SHARE): cross-hatching of two line families at 0-150°, 4-11 px apart, 1-3 px thick
 * 0.00-0.21; Latin capitals and Hangul on paper or skin 0.99-2.3, over parallel or cross-hatching
 * 0.41-1.36, over screentone dots 3-8 px apart above the cap; a row of dots over cross-hatching 0.05-0.14
 * (refused). Hand-drawn hatching whose lines wander by 1 px or more does not repeat exactly (0.60) and is
 * not caught. On white paper (a light ring, often a light inside: what the bubble rule alone kept as
 * text), boxes 80 x 80: cross-hatching at 0-120°, 4-11 px apart, 1-3 px thick 0.00-0.30 (at the cap
 * before REPEAT_CONTRAST_SHARE: 1 px lines 11-12 px apart), screentone dots 3-8 px apart 0.00; Latin
 * capitals and Hangul on paper 0.99+ (text-plausible.test.ts).
 */
export const MAX_REPEAT_RESIDUE = 0.3;

const luma = (image: RgbImage, i: number) =>
  0.299 * (image.data[i * 3] as number) +
  0.587 * (image.data[i * 3 + 1] as number) +
  0.114 * (image.data[i * 3 + 2] as number);

/** Whether pixel `i` is bubble paper (see PAPER_MIN_CHANNEL). */
const isPaper = (image: RgbImage, i: number) =>
  Math.min(image.data[i * 3] as number, image.data[i * 3 + 1] as number, image.data[i * 3 + 2] as number) >=
  PAPER_MIN_CHANNEL;

/** What a region's pixels say: the light share of its ring and of its box, the stroke-edge density
 * inside it, how much those edges run one way (see MAX_STROKE_COHERENCE) and how well it repeats itself
 * along two directions (see MAX_REPEAT_RESIDUE: null where the other rules already decide, measured
 * wherever they would keep a region with strokes; at most MAX_REPEAT_RESIDUE: a region that does not
 * repeat reads as that). */
export interface TextEvidence {
  readonly ringLight: number;
  readonly insideLight: number;
  readonly edgeDensity: number;
  readonly strokeCoherence: number;
  readonly repeatResidue: number | null;
}

interface Span {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** A pixel is compared first when its luminance is this far (0..255) from the span's commonest. */
const INK_LUMA_STEP = 32;

/**
 * A span's pixels copied out (RGB, row by row), the ink among them (far from the commonest luminance:
 * letters on paper, lines on a tone) and its list. `state` is scratch, a byte a pixel.
 */
interface SpanPixels {
  readonly w: number;
  readonly h: number;
  readonly rgb: Uint8Array;
  /** Per channel, how much a pixel must differ from its copy to count (see repeatStep). */
  readonly step: readonly [number, number, number];
  readonly ink: Uint8Array;
  readonly inkList: Int32Array;
  readonly state: Uint8Array;
}

/** Whether pixels i and j of `px` differ: a channel by its step (see repeatStep) or more. */
const differs = (px: SpanPixels, i: number, j: number) =>
  Math.abs((px.rgb[i * 3] as number) - (px.rgb[j * 3] as number)) >= px.step[0] ||
  Math.abs((px.rgb[i * 3 + 1] as number) - (px.rgb[j * 3 + 1] as number)) >= px.step[1] ||
  Math.abs((px.rgb[i * 3 + 2] as number) - (px.rgb[j * 3 + 2] as number)) >= px.step[2];

/**
 * A span's channel differs from its copy when by REPEAT_CHANNEL_STEP or REPEAT_CONTRAST_SHARE of the
 * channel's range over the span, whichever is more (rounded up).
 */
function repeatStep(rgb: Uint8Array): [number, number, number] {
  const step = (c: number) => {
    let [least, most] = [255, 0];
    for (let i = c; i < rgb.length; i += 3) {
      const v = rgb[i] as number;
      if (v < least) least = v;
      if (v > most) most = v;
    }
    return Math.max(REPEAT_CHANNEL_STEP, Math.ceil(REPEAT_CONTRAST_SHARE * (most - least)));
  };
  return [step(0), step(1), step(2)];
}

/** The pixels of `span` in `image`, ready for shiftResidue (see SpanPixels). */
function spanPixels(image: RgbImage, span: Span): SpanPixels {
  const w = Math.max(0, span.x1 - span.x0);
  const h = Math.max(0, span.y1 - span.y0);
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const from = ((y + span.y0) * image.width + span.x0) * 3;
    rgb.set(image.data.subarray(from, from + w * 3), y * w * 3);
  }
  const lumas = new Float32Array(w * h);
  const bins = new Uint32Array(16);
  for (let i = 0; i < w * h; i++) {
    lumas[i] =
      0.299 * (rgb[i * 3] as number) +
      0.587 * (rgb[i * 3 + 1] as number) +
      0.114 * (rgb[i * 3 + 2] as number);
    const bin = Math.min(15, Math.floor((lumas[i] as number) / 16));
    bins[bin] = (bins[bin] as number) + 1;
  }
  const commonest = bins.indexOf(Math.max(...bins)) * 16 + 8;
  const ink = new Uint8Array(w * h);
  const list: number[] = [];
  for (let i = 0; i < w * h; i++)
    if (Math.abs((lumas[i] as number) - commonest) >= INK_LUMA_STEP) {
      ink[i] = 1;
      list.push(i);
    }
  return {
    w,
    h,
    rgb,
    step: repeatStep(rgb),
    ink,
    inkList: Int32Array.from(list),
    state: new Uint8Array(w * h),
  };
}

/**
 * The share of the span's pixels that differ (a channel by REPEAT_CHANNEL_STEP or more) from their copy
 * `dx, dy` away (either way), over `edgeDensity`, capped at MAX_REPEAT_RESIDUE (the count stops there).
 * Each pixel is compared once with its copy ahead: the ink first, where letters differ from their copy,
 * so a shift that does not repeat reaches the cap after a few of them; then the rest. The order changes
 * only how soon the count stops, never the residue.
 */
function shiftResidue(px: SpanPixels, dx: number, dy: number, edgeDensity: number) {
  const { w, h, ink, inkList, state } = px;
  // the pixels with a copy inside: those whose +shift or -shift lies in the span
  const area = (a: number, b: number) => Math.max(0, a) * Math.max(0, b);
  const ax = Math.abs(dx);
  const counted = 2 * area(w - ax, h - dy) - area(w - 2 * ax, h - 2 * dy);
  state.fill(0);
  let differing = 0;
  const shift = dy * w + dx;
  for (let k = 0; k < inkList.length; k++) {
    const i = inkList[k] as number;
    const x = i % w;
    const j = i + shift;
    if (x + dx < 0 || x + dx >= w || j >= w * h || !differs(px, i, j)) continue;
    differing += 2 - (state[i] as number) - (state[j] as number);
    state[i] = 1;
    state[j] = 1;
    if (differing / counted / edgeDensity >= MAX_REPEAT_RESIDUE) return MAX_REPEAT_RESIDUE;
  }
  for (let y = 0; y + dy < h; y++)
    for (let x = Math.max(0, -dx); x < Math.min(w, w - dx); x++) {
      const i = y * w + x;
      const j = i + shift;
      if (ink[i] || !differs(px, i, j)) continue;
      differing += 2 - (state[i] as number) - (state[j] as number);
      state[i] = 1;
      state[j] = 1;
      if (differing / counted / edgeDensity >= MAX_REPEAT_RESIDUE) return MAX_REPEAT_RESIDUE;
    }
  return differing / counted / edgeDensity;
}

/**
 * How well `span` repeats itself along two directions: the larger residue (see shiftResidue) of the
 * best shift and of the best one at least 30° from it, over shifts of REPEAT_MIN_SHIFT to
 * REPEAT_MAX_SHIFT px (and at most half the span's side). MAX_REPEAT_RESIDUE where nothing repeats.
 */
export function repeatResidue(image: RgbImage, span: Span, edgeDensity: number): number {
  const w = span.x1 - span.x0;
  const h = span.y1 - span.y0;
  const reach = Math.min(REPEAT_MAX_SHIFT, Math.floor(w / 2), Math.floor(h / 2));
  const px = spanPixels(image, span);
  const shifts: { dx: number; dy: number; residue: number }[] = [];
  for (let dy = 0; dy <= reach; dy++)
    for (let dx = -reach; dx <= reach; dx++) {
      if ((dy === 0 && dx <= 0) || dx * dx + dy * dy < REPEAT_MIN_SHIFT ** 2) continue;
      shifts.push({ dx, dy, residue: shiftResidue(px, dx, dy, edgeDensity) });
    }
  let best = shifts[0];
  for (const s of shifts) if (best && s.residue < best.residue) best = s;
  if (!best) return MAX_REPEAT_RESIDUE;
  let across = MAX_REPEAT_RESIDUE;
  const length = Math.hypot(best.dx, best.dy);
  for (const s of shifts) {
    const sine = Math.abs(s.dx * best.dy - s.dy * best.dx) / Math.hypot(s.dx, s.dy) / length;
    if (sine >= REPEAT_MIN_SINE && s.residue < across) across = s.residue;
  }
  return Math.max(best.residue, across);
}

type Measured = Omit<TextEvidence, 'repeatResidue'>;

/** Whether a region is on a bubble: paper around its box and mostly paper inside (see BUBBLE_INSIDE_MIN_LIGHT). */
const onBubble = (e: Measured) =>
  e.ringLight >= BUBBLE_RING_MIN_LIGHT && e.insideLight >= BUBBLE_INSIDE_MIN_LIGHT;

/**
 * What the rules before the repeat residue say: `art` (strokes all one way; off a bubble, too few strokes
 * for letters), `text` (on a bubble, no stroke edge at all: letters too faint for one; nothing to repeat)
 * or `repeat`: the repeat residue decides (textEvidence measures it only then).
 */
function verdictBeforeRepeat(e: Measured): 'art' | 'text' | 'repeat' {
  if (e.strokeCoherence >= MAX_STROKE_COHERENCE) return 'art';
  if (onBubble(e)) return e.edgeDensity > 0 ? 'repeat' : 'text';
  return e.edgeDensity >= MIN_STROKE_EDGE_DENSITY ? 'repeat' : 'art';
}

/** The evidence for `box` (clipped to the image). */
export function textEvidence(image: RgbImage, box: Box): TextEvidence {
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(image.width, Math.ceil(box.x + box.width));
  const y1 = Math.min(image.height, Math.ceil(box.y + box.height));
  let edges = 0;
  let inside = 0;
  let insideLight = 0;
  // the structure tensor of the edges' gradients (forward differences)
  let jxx = 0;
  let jyy = 0;
  let jxy = 0;
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      const i = y * image.width + x;
      const l = luma(image, i);
      inside++;
      if (isPaper(image, i)) insideLight++;
      const gx = x + 1 < x1 ? luma(image, i + 1) - l : 0;
      const gy = y + 1 < y1 ? luma(image, i + image.width) - l : 0;
      if (Math.max(Math.abs(gx), Math.abs(gy)) < EDGE_LUMA_STEP) continue;
      edges++;
      if (x + 1 >= x1 || y + 1 >= y1) continue;
      // the gradient over the 2x2 pixels from here: one-pixel differences alone see a thin diagonal
      // line's edge across at one pixel and down at the next, never both, and read it as no direction
      const diagonal = luma(image, i + image.width + 1);
      const below = luma(image, i + image.width);
      const right = luma(image, i + 1);
      const ax = (right - l + diagonal - below) / 2;
      const ay = (below - l + diagonal - right) / 2;
      jxx += ax * ax;
      jyy += ay * ay;
      jxy += ax * ay;
    }
  const energy = jxx + jyy;
  const strokeCoherence = energy > 0 ? Math.sqrt((jxx - jyy) ** 2 + 4 * jxy * jxy) / energy : 0;
  let ring = 0;
  let light = 0;
  for (let y = Math.max(0, y0 - RING_PX); y < Math.min(image.height, y1 + RING_PX); y++)
    for (let x = Math.max(0, x0 - RING_PX); x < Math.min(image.width, x1 + RING_PX); x++) {
      if (x >= x0 && x < x1 && y >= y0 && y < y1) continue;
      ring++;
      if (isPaper(image, y * image.width + x)) light++;
    }
  const measured: Measured = {
    ringLight: ring ? light / ring : 0,
    insideLight: inside ? insideLight / inside : 0,
    edgeDensity: inside ? edges / inside : 0,
    strokeCoherence,
  };
  // before, only a region off a bubble (a dark ring) was checked: cross-hatching or screentone on white paper
  // (a light ring) passed as text, and its box was inpainted away
  const repeat =
    verdictBeforeRepeat(measured) === 'repeat'
      ? repeatResidue(image, { x0, y0, x1, y1 }, measured.edgeDensity)
      : null;
  return { ...measured, repeatResidue: repeat };
}

/**
 * Strokes that run several ways and do not repeat along two directions, on a bubble (light around and
 * mostly light inside) or dense enough for letters off one: see {@link BUBBLE_RING_MIN_LIGHT},
 * {@link MIN_STROKE_EDGE_DENSITY}, {@link MAX_STROKE_COHERENCE} and {@link MAX_REPEAT_RESIDUE}. Evidence
 * that needs its repeat residue and has none (not textEvidence's) is an error, not text.
 */
export function looksLikeText(evidence: TextEvidence): boolean {
  const verdict = verdictBeforeRepeat(evidence);
  if (verdict !== 'repeat') return verdict === 'text';
  if (evidence.repeatResidue === null)
    throw new Error('text evidence without the repeat residue it needs (see textEvidence)');
  return evidence.repeatResidue >= MAX_REPEAT_RESIDUE;
}

/** The regions split into those that look like text and those refused as art (see {@link looksLikeText}). */
export function splitPlausibleText(
  image: RgbImage,
  regions: readonly TextRegion[],
): { text: TextRegion[]; refused: TextRegion[] } {
  const text: TextRegion[] = [];
  const refused: TextRegion[] = [];
  for (const region of regions)
    (looksLikeText(textEvidence(image, region.box)) ? text : refused).push(region);
  return { text, refused };
}
