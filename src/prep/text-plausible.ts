// src/prep/text-plausible.ts — whether a detected text region looks like text at all. PaddleOCR's
// detector also fires on art: a face (eyes, mouth) or a pair of legs can come back as a "text line",
// and removing it erases the character's face or legs. Real text sits on a light bubble, or is drawn in
// dense high-contrast strokes; a region with neither is refused (left in the image). Pure.
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
 * hair) reach 0.118, so those are not refused: this only catches plain art, and the erased-character
 * warning (erased-character.ts) covers the rest.
 */
export const MIN_STROKE_EDGE_DENSITY = 0.05;

const luma = (image: RgbImage, i: number) =>
  0.299 * (image.data[i * 3] as number) +
  0.587 * (image.data[i * 3 + 1] as number) +
  0.114 * (image.data[i * 3 + 2] as number);

/** What a region's pixels say: the light share of its ring and the stroke-edge density inside it. */
export interface TextEvidence {
  readonly ringLight: number;
  readonly edgeDensity: number;
}

/** The evidence for `box` (clipped to the image). */
export function textEvidence(image: RgbImage, box: Box): TextEvidence {
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(image.width, Math.ceil(box.x + box.width));
  const y1 = Math.min(image.height, Math.ceil(box.y + box.height));
  let edges = 0;
  let inside = 0;
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      const i = y * image.width + x;
      const l = luma(image, i);
      inside++;
      const right = x + 1 < x1 ? Math.abs(l - luma(image, i + 1)) : 0;
      const down = y + 1 < y1 ? Math.abs(l - luma(image, i + image.width)) : 0;
      if (Math.max(right, down) >= EDGE_LUMA_STEP) edges++;
    }
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
  return { ringLight: ring ? light / ring : 0, edgeDensity: inside ? edges / inside : 0 };
}

/** Text on a bubble, or dense strokes: see {@link BUBBLE_RING_MIN_LIGHT} and {@link MIN_STROKE_EDGE_DENSITY}. */
export function looksLikeText(evidence: TextEvidence): boolean {
  return evidence.ringLight >= BUBBLE_RING_MIN_LIGHT || evidence.edgeDensity >= MIN_STROKE_EDGE_DENSITY;
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
