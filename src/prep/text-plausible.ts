// src/prep/text-plausible.ts — whether a detected text region looks like text at all. PaddleOCR's
// detector also fires on art: a face (eyes, mouth) or a pair of legs can come back as a "text line",
// and removing it erases the character's face or legs. Real text sits on a light bubble, or is drawn in
// dense high-contrast strokes running several ways (letters); a region with neither, or whose dense
// strokes all run one way (hatching, hair strands), is refused (left in the image). Pure.
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
 * A region not on a bubble is art when its stroke edges all run one way: the coherence (0..1) of their
 * luminance gradients (structure tensor: 0 = every direction alike, 1 = one direction) is at least
 * this. Letters have strokes across and down. Measured: every detection in examples/screens and the
 * synthetic panels 0.01-0.43; outlined sound effects over screentone 0.05; a face shaded with fine
 * diagonal hatching (test/fixtures/prep-quality/) 0.94; anti-aliased line gratings 4-8 px apart at
 * 18-72° 0.90-1.00, and small letters drawn over those 0.37-0.75. Cross-hatching (two directions) is
 * not caught.
 */
export const MAX_STROKE_COHERENCE = 0.82;

const luma = (image: RgbImage, i: number) =>
  0.299 * (image.data[i * 3] as number) +
  0.587 * (image.data[i * 3 + 1] as number) +
  0.114 * (image.data[i * 3 + 2] as number);

/** What a region's pixels say: the light share of its ring, the stroke-edge density inside it and
 * how much those edges run one way (see MAX_STROKE_COHERENCE). */
export interface TextEvidence {
  readonly ringLight: number;
  readonly edgeDensity: number;
  readonly strokeCoherence: number;
}

/** The evidence for `box` (clipped to the image). */
export function textEvidence(image: RgbImage, box: Box): TextEvidence {
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(image.width, Math.ceil(box.x + box.width));
  const y1 = Math.min(image.height, Math.ceil(box.y + box.height));
  let edges = 0;
  let inside = 0;
  // the structure tensor of the edges' gradients (forward differences)
  let jxx = 0;
  let jyy = 0;
  let jxy = 0;
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      const i = y * image.width + x;
      const l = luma(image, i);
      inside++;
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
      const p = (y * image.width + x) * 3;
      if (
        Math.min(image.data[p] as number, image.data[p + 1] as number, image.data[p + 2] as number) >=
        PAPER_MIN_CHANNEL
      )
        light++;
    }
  return { ringLight: ring ? light / ring : 0, edgeDensity: inside ? edges / inside : 0, strokeCoherence };
}

/**
 * Text on a bubble, or dense strokes that run several ways: see {@link BUBBLE_RING_MIN_LIGHT},
 * {@link MIN_STROKE_EDGE_DENSITY} and {@link MAX_STROKE_COHERENCE}.
 */
export function looksLikeText(evidence: TextEvidence): boolean {
  if (evidence.ringLight >= BUBBLE_RING_MIN_LIGHT) return true;
  return evidence.edgeDensity >= MIN_STROKE_EDGE_DENSITY && evidence.strokeCoherence < MAX_STROKE_COHERENCE;
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
