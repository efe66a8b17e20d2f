import { describe, expect, it } from 'vitest';
import { hatchLines, hatchPage, textLine, whitePatch } from '../../test/helpers/hatching.js';
import { makeRgb, WHITE } from '../../test/helpers/images.js';
import type { RgbImage } from '../vision/image.js';
import { renderSvgToRgb } from '../vision/sharp-io.js';
import type { TextRegion } from './stage-types.js';
import {
  looksLikeText,
  MAX_REPEAT_RESIDUE,
  MAX_STROKE_COHERENCE,
  REPEAT_CONTRAST_SHARE,
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

/** A 200 x 200 page of `ground` with an 80 x 80 patch at (60, 60) drawn by `patch` (patch coordinates) over white. */
const patchPage = (patch: string, ground = '#fff') =>
  renderSvgToRgb(
    `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200"><rect width="200" height="200" fill="${ground}"/><svg x="60" y="60" width="80" height="80"><rect width="80" height="80" fill="#fff"/>${patch}</svg></svg>`,
  );
const patchBox = { x: 60, y: 60, width: 80, height: 80 };
const patchCrossHatch = (a: number, spacing: number, thick: number) =>
  hatchLines(80, 80, a, spacing, thick) + hatchLines(80, 80, a + 90, spacing, thick);
/** Dark dots `spacing` px apart, radius `r` (screentone). */
const dots = (spacing: number, r: number) =>
  `<defs><pattern id="dots" width="${spacing}" height="${spacing}" patternUnits="userSpaceOnUse"><circle cx="${spacing / 2}" cy="${spacing / 2}" r="${r}" fill="#000"/></pattern></defs><rect width="80" height="80" fill="url(#dots)"/>`;

describe('cross-hatching and screentone on a light panel (white around them) are not text', () => {
  it("the review's repro: dense cross-hatching with white around it is refused, as on a grey ground", async () => {
    for (const ground of ['#fff', '#888']) {
      const evidence = textEvidence(await patchPage(patchCrossHatch(45, 4, 2), ground), patchBox);
      // white around, mostly ink inside: judged by its strokes, which run two ways
      expect(evidence.insideLight, ground).toBeLessThan(0.45);
      expect(evidence.strokeCoherence, ground).toBeLessThan(MAX_STROKE_COHERENCE);
      // before: on white the repeat was not measured (null) and the patch passed as text
      expect(evidence.repeatResidue, ground).toBe(0);
      expect(looksLikeText(evidence), ground).toBe(false);
    }
  }, 60_000);

  it('refuses sparser cross-hatching and screentone whose inside is mostly white (as light as a bubble)', async () => {
    const patches: [string, string][] = [
      ['cross-hatching 45° 6 px apart, 1 px', patchCrossHatch(45, 6, 1)],
      ['cross-hatching 0° 11 px apart, 2 px', patchCrossHatch(0, 11, 2)],
      ['cross-hatching 30° 11 px apart, 3 px', patchCrossHatch(30, 11, 3)],
      ['dots 5 px apart, r 1', dots(5, 1)],
      ['dots 6 px apart, r 1.5', dots(6, 1.5)],
      ['dots 8 px apart, r 2', dots(8, 2)],
    ];
    for (const [name, patch] of patches) {
      const evidence = textEvidence(await patchPage(patch), patchBox);
      expect(evidence.ringLight, name).toBe(1);
      expect(evidence.insideLight, name).toBeGreaterThanOrEqual(0.45); // the bubble rule alone kept it
      expect(evidence.repeatResidue, name).toBeLessThan(MAX_REPEAT_RESIDUE);
      expect(looksLikeText(evidence), name).toBe(false);
    }
  }, 60_000);

  it('refuses 1 px cross-hatching 11-12 px apart on white, whose period is a fraction of a pixel off any shift', async () => {
    // 80 x 80 patches and 210 x 45 boxes; before, these 8 read as text (repeat residue at the cap): each copy of a
    // line a whole-pixel shift away is 0.2-0.4 px off, and on white that changes its anti-aliased pixels by 64+
    const cases: [number, number, number, number][] = [
      [80, 80, 20, 12],
      [80, 80, 40, 12],
      [80, 80, 50, 12],
      [80, 80, 70, 12],
      [210, 45, 20, 12],
      [210, 45, 45, 11],
      [210, 45, 50, 12],
      [210, 45, 75, 11],
    ];
    for (const [w, h, angle, spacing] of cases) {
      const name = `${w} x ${h}, ${angle}°, ${spacing} px apart, 1 px`;
      const hatching = hatchLines(w, h, angle, spacing, 1) + hatchLines(w, h, angle + 90, spacing, 1);
      const image = await renderSvgToRgb(
        hatchPage(w + 40, h + 40, whitePatch(20, 20, w, h, hatching), '#fff'),
      );
      const evidence = textEvidence(image, { x: 20, y: 20, width: w, height: h });
      expect(evidence.ringLight, name).toBe(1);
      expect(evidence.repeatResidue, name).toBeLessThan(MAX_REPEAT_RESIDUE);
      expect(looksLikeText(evidence), name).toBe(false);
    }
  }, 60_000);

  it('keeps small letters (10-14 px, 1 px strokes) on white, and over 1 px cross-hatching 11 px apart', async () => {
    for (const size of [10, 11, 12, 14])
      for (const word of [...WORDS, 'Hello there, friend'])
        for (const [over, fill] of [
          ['', '#000'],
          [hatchLines(250, 60, 30, 11, 1) + hatchLines(250, 60, 120, 11, 1), '#ff2828'],
        ] as const) {
          const name = `${word} ${size} px${over ? ' over cross-hatching' : ''}`;
          const height = Math.round(size * 1.4);
          const image = await renderSvgToRgb(
            hatchPage(250, 60, over + textLine(word, 22, 20 + size * 1.05, size, fill), '#fff'),
          );
          const evidence = textEvidence(image, { x: 20, y: 20, width: 210, height });
          expect(evidence.repeatResidue, name).toBe(MAX_REPEAT_RESIDUE);
          expect(looksLikeText(evidence), name).toBe(true);
        }
  }, 60_000);

  it('keeps Latin capitals and Hangul in a bubble: they do not repeat two ways', async () => {
    for (const word of WORDS)
      for (const weight of ['normal', 'bold']) {
        const evidence = textEvidence(
          await page(textLine(word, 20, 75, 32, '#000', weight), '#fff'),
          lineBox,
        );
        expect(evidence.ringLight, word).toBeGreaterThan(0.7);
        expect(evidence.repeatResidue, word).toBe(MAX_REPEAT_RESIDUE);
        expect(looksLikeText(evidence), word).toBe(true);
      }
  }, 60_000);

  it('keeps letters too faint for a stroke edge on a bubble (nothing to repeat), as before', () => {
    const faint = makeRgb(100, 60, (x, y) => (stroke(x, y) ? [210, 210, 210] : WHITE));
    const evidence = textEvidence(faint, box);
    expect(evidence.edgeDensity).toBe(0);
    expect(evidence.repeatResidue).toBeNull();
    expect(looksLikeText(evidence)).toBe(true);
  });

  it('refuses to judge evidence that needs its repeat residue and has none', () => {
    const evidence = { ringLight: 1, insideLight: 0.25, edgeDensity: 0.5, strokeCoherence: 0.09 };
    expect(() => looksLikeText({ ...evidence, repeatResidue: null })).toThrow(/repeat residue/);
    expect(looksLikeText({ ...evidence, repeatResidue: 0 })).toBe(false);
    expect(looksLikeText({ ...evidence, repeatResidue: MAX_REPEAT_RESIDUE })).toBe(true);
  });
});

/** The repeat residue counted plainly (every pixel, row by row, no early stop), capped as repeatResidue is. */
function plainRepeatResidue(image: RgbImage, box: typeof lineBox, edgeDensity: number): number {
  const { x: x0, y: y0, width: w, height: h } = box;
  const reach = Math.min(24, Math.floor(w / 2), Math.floor(h / 2));
  const at = (x: number, y: number, c: number) =>
    image.data[((y0 + y) * image.width + x0 + x) * 3 + c] as number;
  // a channel differs by 64 and by REPEAT_CONTRAST_SHARE of its range over the box
  const step = [0, 1, 2].map((c) => {
    const values = Array.from({ length: w * h }, (_, p) => at(p % w, Math.floor(p / w), c));
    return Math.max(64, Math.ceil(REPEAT_CONTRAST_SHARE * (Math.max(...values) - Math.min(...values))));
  });
  const shifts: { dx: number; dy: number; residue: number }[] = [];
  for (let dy = 0; dy <= reach; dy++)
    for (let dx = -reach; dx <= reach; dx++) {
      if ((dy === 0 && dx <= 0) || dx * dx + dy * dy < 9) continue;
      const differs = new Set<number>();
      const counted = new Set<number>();
      for (let y = 0; y + dy < h; y++)
        for (let x = Math.max(0, -dx); x < Math.min(w, w - dx); x++) {
          counted.add(y * w + x).add((y + dy) * w + x + dx);
          if ([0, 1, 2].some((c) => Math.abs(at(x, y, c) - at(x + dx, y + dy, c)) >= (step[c] as number)))
            differs.add(y * w + x).add((y + dy) * w + x + dx);
        }
      shifts.push({
        dx,
        dy,
        residue: Math.min(MAX_REPEAT_RESIDUE, differs.size / counted.size / edgeDensity),
      });
    }
  const best = shifts.reduce((a, b) => (b.residue < a.residue ? b : a));
  const across = shifts
    .filter(
      (s) =>
        Math.abs(s.dx * best.dy - s.dy * best.dx) / Math.hypot(s.dx, s.dy) / Math.hypot(best.dx, best.dy) >=
        0.5,
    )
    .reduce((a, s) => Math.min(a, s.residue), MAX_REPEAT_RESIDUE);
  return Math.max(best.residue, across);
}

describe('repeatResidue', () => {
  it('is the plain count: comparing the ink first only stops a count sooner', async () => {
    const small = { x: 40, y: 45, width: 90, height: 34 };
    const span = { x0: small.x, y0: small.y, x1: small.x + small.width, y1: small.y + small.height };
    for (const [name, body, ground] of [
      ['cross-hatching', crossHatch(45, -45, 6, 2), undefined],
      [
        'a row of dots over cross-hatching (0.08: between 0 and the cap)',
        crossHatch(45, -45, 6, 1) + textLine('. . . . . .', 20, 75, 32, '#000'),
        undefined,
      ],
      ['letters on paper', textLine('WHAT?! NO', 20, 75, 32, '#000'), '#fff'],
      [
        'letters over cross-hatching',
        crossHatch(30, 120, 8, 1) + textLine('같이 가자', 20, 75, 32, '#000', 'bold'),
        undefined,
      ],
      [
        'a row of one glyph over cross-hatching',
        crossHatch(45, -45, 11, 1) + textLine('ㅋㅋㅋㅋ', 20, 75, 32, '#000'),
        undefined,
      ],
    ] as const) {
      const image = await page(body, ground);
      const { edgeDensity } = textEvidence(image, small);
      expect(repeatResidue(image, span, edgeDensity), name).toBe(
        plainRepeatResidue(image, small, edgeDensity),
      );
    }
  }, 120_000);
});
