import { describe, expect, it } from 'vitest';
import { makeRgb, WHITE } from '../../test/helpers/images.js';
import { looksLikeText, MAX_STROKE_COHERENCE, splitPlausibleText, textEvidence } from './text-plausible.js';
import type { TextRegion } from './stage-types.js';

const box = { x: 20, y: 20, width: 60, height: 20 };
const region = (b = box): TextRegion => ({
  box: b,
  score: 0.9,
  polygon: [
    [b.x, b.y],
    [b.x + b.width, b.y],
    [b.x + b.width, b.y + b.height],
    [b.x, b.y + b.height],
  ],
});
const SKIN = [242, 201, 160] as const;
const inBox = (x: number, y: number) =>
  x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;
/** Letter-like "E"s inside the box, 10 px apart: a 2 px stem and three 2 px bars each (strokes down and across). */
const stroke = (x: number, y: number) => {
  if (!inBox(x, y) || y <= box.y + 2 || y >= box.y + box.height - 3) return false;
  const u = (x - box.x) % 10;
  const v = y - box.y - 3;
  return u < 2 || (u < 7 && (v < 2 || (v >= 6 && v < 8) || v >= 12));
};
/** Fine hatching over the whole image (shading, or hair strands): anti-aliased dark lines 5 px apart, at 18° from vertical. */
const hatch = (x: number, y: number): [number, number, number] => {
  const ink = Math.min(
    1,
    Math.max(0, (Math.cos((2 * Math.PI * (x + 3 * y)) / Math.hypot(1, 3) / 5) - 0.2) * 2),
  );
  return SKIN.map((c, k) => Math.round(c + (([60, 40, 30][k] as number) - c) * ink)) as [
    number,
    number,
    number,
  ];
};

describe('text plausibility', () => {
  it('keeps text on paper, and dense strokes over art', () => {
    const onPaper = makeRgb(100, 60, (x, y) => (stroke(x, y) ? [0, 0, 0] : WHITE));
    expect(looksLikeText(textEvidence(onPaper, box))).toBe(true);
    const overArt = makeRgb(100, 60, (x, y) => (stroke(x, y) ? [255, 40, 40] : SKIN));
    expect(textEvidence(overArt, box).ringLight).toBe(0);
    expect(looksLikeText(textEvidence(overArt, box))).toBe(true);
  });
  it('refuses a plain skin area with two eyes (no paper around, few strokes)', () => {
    const eye = (x: number, y: number, cx: number) => (x - cx) ** 2 + (y - 30) ** 2 <= 16;
    const face = makeRgb(100, 60, (x, y) => (eye(x, y, 35) || eye(x, y, 65) ? [0, 0, 0] : SKIN));
    const evidence = textEvidence(face, box);
    expect(evidence.edgeDensity).toBeLessThan(0.05);
    expect(splitPlausibleText(face, [region()])).toEqual({ text: [], refused: [region()] });
  });
  it('refuses dense strokes that all run one way (hatching, hair strands), but not letters over that art', () => {
    const hatched = makeRgb(100, 60, hatch);
    const evidence = textEvidence(hatched, box);
    expect(evidence.ringLight).toBe(0);
    expect(evidence.edgeDensity).toBeGreaterThan(0.05); // dense enough to pass for text on density alone
    expect(evidence.strokeCoherence).toBeGreaterThan(MAX_STROKE_COHERENCE);
    expect(splitPlausibleText(hatched, [region()])).toEqual({ text: [], refused: [region()] });
    // red letters drawn over the same hatching are still text
    const lettered = makeRgb(100, 60, (x, y) => (stroke(x, y) ? [255, 40, 40] : hatch(x, y)));
    expect(textEvidence(lettered, box).strokeCoherence).toBeLessThan(MAX_STROKE_COHERENCE);
    expect(looksLikeText(textEvidence(lettered, box))).toBe(true);
  });
});
