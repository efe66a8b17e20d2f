import { describe, expect, it } from 'vitest';
import { hatchLines, hatchPage, textLine } from '../../test/helpers/hatching.js';
import { makeRgb, WHITE } from '../../test/helpers/images.js';
import { renderSvgToRgb } from '../vision/sharp-io.js';
import type { TextRegion } from './stage-types.js';
import {
  looksLikeText,
  MAX_REPEAT_RESIDUE,
  MAX_STROKE_COHERENCE,
  repeatResidue,
  splitPlausibleText,
  textEvidence,
} from './text-plausible.js';

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
  it('on a light ring, refuses a box that is mostly dark inside with few strokes (a head with a black hair cap)', () => {
    const LAVENDER = [238, 238, 255] as const;
    // a black cap over the box's upper half, skin below: flat colours, one edge between them
    const headBox = { x: 10, y: 10, width: 80, height: 40 };
    const inHead = (x: number, y: number) => x >= 10 && x < 90 && y >= 10 && y < 50;
    const head = makeRgb(100, 60, (x, y) => (!inHead(x, y) ? LAVENDER : y < 30 ? [34, 34, 34] : SKIN));
    const evidence = textEvidence(head, headBox);
    expect(evidence.ringLight).toBeGreaterThan(0.7); // as light around as a bubble
    expect(evidence.insideLight).toBe(0);
    expect(evidence.edgeDensity).toBeLessThan(0.05);
    expect(looksLikeText(evidence)).toBe(false);
    // letters on paper in the same box are still text
    const onPaper = makeRgb(100, 60, (x, y) => (stroke(x, y) ? [0, 0, 0] : LAVENDER));
    expect(textEvidence(onPaper, box).insideLight).toBeGreaterThan(0.45);
    expect(looksLikeText(textEvidence(onPaper, box))).toBe(true);
  });
  it('on a light ring, refuses strokes that all run one way (a panel background of parallel lines)', () => {
    // grey lines 8 px apart, nearly horizontal, on white
    const lines = makeRgb(100, 60, (x, y) => ((y * 20 - x) % 160 < 40 ? [153, 153, 153] : WHITE));
    const evidence = textEvidence(lines, box);
    expect(evidence.ringLight).toBeGreaterThan(0.7);
    expect(evidence.insideLight).toBeGreaterThan(0.45);
    expect(evidence.strokeCoherence).toBeGreaterThan(MAX_STROKE_COHERENCE);
    expect(looksLikeText(evidence)).toBe(false);
  });
});

/** A 240 x 120 page drawn by `body` over skin (or `ground`); the detector's box is 210 x 45 around a text line at y 75. */
const page = (body: string, ground?: string) => renderSvgToRgb(hatchPage(240, 120, body, ground));
const lineBox = { x: 15, y: 40, width: 210, height: 45 };
const crossHatch = (a: number, b: number, spacing: number, thick: number) =>
  hatchLines(240, 120, a, spacing, thick) + hatchLines(240, 120, b, spacing, thick);
const WORDS = ['LET US GO NOW', 'WHAT?! NO WAY', '같이 가자', '좋아! 정말', 'ㅋㅋㅋㅋㅋㅋㅋ'];

describe('cross-hatching is not text', () => {
  it('refuses a cross-hatched shadow: two line families at several angles, spacings and thicknesses', async () => {
    for (const [a, b] of [
      [45, -45],
      [30, 120],
      [0, 90],
      [20, 70],
      [60, 150],
    ] as const)
      for (const spacing of [4, 6, 11])
        for (const thick of [1, 3]) {
          if (thick >= spacing - 1) continue;
          const name = `${a}/${b}° ${spacing} px apart, ${thick} px`;
          const evidence = textEvidence(await page(crossHatch(a, b, spacing, thick)), lineBox);
          // dense strokes two ways: letters for the stroke rules; before, removed as text
          expect(evidence.edgeDensity, name).toBeGreaterThan(0.25);
          expect(evidence.strokeCoherence, name).toBeLessThan(MAX_STROKE_COHERENCE);
          expect(evidence.repeatResidue, name).toBeLessThan(MAX_REPEAT_RESIDUE); // measured 0.00-0.19
          expect(looksLikeText(evidence), name).toBe(false);
        }
  }, 120_000);

  it('keeps Latin capitals and Hangul in a bubble, on skin, and over cross-hatching', async () => {
    for (const word of WORDS) {
      const inBubble = textEvidence(await page(textLine(word, 20, 75, 32, '#000'), '#fff'), lineBox);
      expect(looksLikeText(inBubble), word).toBe(true);
      const onSkin = textEvidence(await page(textLine(word, 20, 75, 32, '#000')), lineBox);
      // a row of one glyph (ㅋㅋㅋ) repeats along the line only, not two ways
      expect(onSkin.repeatResidue, word).toBe(MAX_REPEAT_RESIDUE);
      expect(looksLikeText(onSkin), word).toBe(true);
      for (const [over, name] of [
        [crossHatch(45, -45, 6, 2) + textLine(word, 20, 75, 32, '#ff2828'), 'red over 6 px'],
        [crossHatch(30, 120, 8, 1) + textLine(word, 20, 75, 32, '#000', 'bold'), 'black bold over 8 px'],
        [crossHatch(45, -45, 5, 2) + textLine(word, 20, 75, 32, '#fff', 'bold'), 'white bold over 5 px'],
      ] as const) {
        const evidence = textEvidence(await page(over), lineBox);
        expect(evidence.repeatResidue, `${word} ${name}`).toBe(MAX_REPEAT_RESIDUE);
        expect(looksLikeText(evidence), `${word} ${name}`).toBe(true);
      }
    }
  }, 120_000);

  it('keeps a line of text over screentone, and refuses the screentone alone', async () => {
    // dark dots 5 px apart: too dark around the box for a bubble's paper, so the repeat rule decides
    const tone =
      '<defs><pattern id="tone" width="5" height="5" patternUnits="userSpaceOnUse"><circle cx="2.5" cy="2.5" r="1.8" fill="#444"/></pattern></defs><rect width="240" height="120" fill="url(#tone)"/>';
    const screentone = textEvidence(await page(tone, '#fff'), lineBox);
    expect(screentone.ringLight).toBeLessThan(0.7);
    expect(screentone.repeatResidue).toBeLessThan(MAX_REPEAT_RESIDUE);
    expect(looksLikeText(screentone)).toBe(false);
    for (const word of WORDS) {
      const evidence = textEvidence(
        await page(tone + textLine(word, 20, 75, 32, '#000', 'bold'), '#fff'),
        lineBox,
      );
      expect(evidence.repeatResidue, word).toBe(MAX_REPEAT_RESIDUE);
      expect(looksLikeText(evidence), word).toBe(true);
    }
  }, 60_000);

  it('letters over parallel hatching do not repeat two ways; the hatching alone does', async () => {
    const span = {
      x0: lineBox.x,
      y0: lineBox.y,
      x1: lineBox.x + lineBox.width,
      y1: lineBox.y + lineBox.height,
    };
    const hatching = await page(hatchLines(240, 120, 70, 6, 2));
    expect(repeatResidue(hatching, span, textEvidence(hatching, lineBox).edgeDensity)).toBe(0);
    for (const word of WORDS) {
      const lettered = await page(hatchLines(240, 120, 70, 6, 2) + textLine(word, 20, 75, 32, '#ff2828'));
      const { edgeDensity } = textEvidence(lettered, lineBox);
      expect(repeatResidue(lettered, span, edgeDensity), word).toBe(MAX_REPEAT_RESIDUE);
    }
  }, 60_000);
});
