// src/prep/split-figures.test.ts — touching characters on synthetic masks: two figures standing
// shoulder to shoulder (hands touching) become two parts; one figure in a wide pose stays one.
import { describe, expect, it } from 'vitest';
import { capsule, disc, drawMask, figure, type Shape } from '../../test/fixtures/figure-masks.js';
import { findMaskContours, selectCharacterContours } from './mask-contours.js';
import { splitTouchingFigures } from './split-figures.js';

describe('splitTouchingFigures', () => {
  it('cuts two figures standing side by side, hands touching, into two parts', async () => {
    // figure A at x 110 reaches right to x 200, figure B at x 290 reaches left to x 196: one mask part
    const mask = drawMask(400, 360, [...figure(110, 60, 200), ...figure(290, 196, 340)]);
    expect(selectCharacterContours(await findMaskContours(mask), 'all')).toHaveLength(1);
    const { mask: split, splits } = await splitTouchingFigures(mask);
    expect(splits).toBe(1);
    const parts = selectCharacterContours(await findMaskContours(split), 'all');
    expect(parts).toHaveLength(2);
    const [left, right] = [...parts].sort((a, b) => a.box.x - b.box.x);
    // each part is one whole figure: head to feet, split near the hands
    for (const part of [left, right]) expect(part?.box.height).toBeGreaterThan(280);
    expect(left?.box.x).toBeLessThan(70);
    expect((left?.box.x ?? 0) + (left?.box.width ?? 0)).toBeLessThan(215);
    expect(right?.box.x).toBeGreaterThan(185);
    // only a thin seam was cleared
    const cleared = mask.data.reduce((n, v, i) => n + (v && !split.data[i] ? 1 : 0), 0);
    expect(cleared).toBeLessThan(60);
  });

  it('cuts an adult and a child (half to 0.7 x its size) holding hands into two parts', async () => {
    // the child's torso is 0.5-0.7 x as thick as the adult's and it is 0.5-0.7 x as tall as the part
    for (const scale of [0.5, 0.6, 0.7]) {
      const childX = 230 + 60 * scale;
      const handY = 340 - 170 * scale;
      const mask = drawMask(400, 360, [
        ...figure(130, 60, 216, 1, handY),
        ...figure(childX, 212, childX + 50 * scale, scale),
      ]);
      expect(selectCharacterContours(await findMaskContours(mask), 'all')).toHaveLength(1);
      const { mask: split, splits } = await splitTouchingFigures(mask);
      expect(splits, `child at ${scale}`).toBe(1);
      const parts = selectCharacterContours(await findMaskContours(split), 'all');
      expect(parts).toHaveLength(2);
      const [adult, child] = [...parts].sort((a, b) => a.box.x - b.box.x);
      expect(adult?.box.height).toBeGreaterThan(280);
      expect(child?.box.height).toBeGreaterThan(300 * scale - 10);
      expect(child?.box.height).toBeLessThan(300 * scale + 10);
    }
  });

  it('keeps one figure as one when a thick piece hangs on a narrow neck (raised fist, hair bun, held bag)', async () => {
    const poses: Record<string, Shape[]> = {
      'raised fist': [...figure(200, 140, 200), capsule(222, 120, 290, 30, 8), disc(295, 25, 20)],
      'hair bun': [...figure(200, 140, 260), capsule(225, 60, 270, 40, 5), disc(290, 40, 24)],
      // a big round bag on a thin strap, as thick as a child's torso and half the figure's height down
      'held bag': [...figure(200, 140, 270), capsule(270, 170, 280, 230, 4), disc(285, 270, 40)],
    };
    for (const [pose, shapes] of Object.entries(poses)) {
      const mask = drawMask(400, 360, shapes);
      expect(selectCharacterContours(await findMaskContours(mask), 'all'), pose).toHaveLength(1);
      expect((await splitTouchingFigures(mask)).splits, pose).toBe(0);
    }
  });

  it('keeps one figure whose arms are spread wide and legs apart as one part', async () => {
    const wide = [
      ...figure(200, 40, 360),
      capsule(186, 200, 120, 330, 11), // legs wide apart
      capsule(214, 200, 280, 330, 11),
      disc(40, 170, 20), // big fists at the arms' ends: thick enough to be cores of their own
      disc(360, 170, 20),
    ];
    const mask = drawMask(400, 360, wide);
    const result = await splitTouchingFigures(mask);
    expect(result.splits).toBe(0);
    expect(result.mask).toBe(mask);
  });

  it('keeps two figures that stand pressed together along their whole side as one (no clear evidence)', async () => {
    // two torsos overlapping by half: one wide body to the distance transform
    const mask = drawMask(400, 360, [...figure(170, 100, 240), ...figure(230, 160, 300)]);
    expect((await splitTouchingFigures(mask)).splits).toBe(0);
  });
});
