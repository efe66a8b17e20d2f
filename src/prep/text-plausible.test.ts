import { describe, expect, it } from 'vitest';
import { makeRgb, WHITE } from '../../test/helpers/images.js';
import { looksLikeText, splitPlausibleText, textEvidence } from './text-plausible.js';
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
const inBox = (x: number, y: number) =>
  x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;
/** Vertical 2 px strokes every 5 px inside the box: dense like letters. */
const stroke = (x: number, y: number) =>
  inBox(x, y) && x % 5 < 2 && y > box.y + 2 && y < box.y + box.height - 2;
const SKIN = [242, 201, 160] as const;

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
});
