import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Box, GrayImage } from '../vision/image.js';
import { labelMaskComponents } from './character-isolate.js';
import { cropClutter, withoutWholeComponents } from './crop-clutter.js';

const W = 64;
const H = 48;
const gray = (data: Uint8Array): GrayImage => ({ width: W, height: H, data });

/** Deterministic blobs: `count` filled rectangles and discs at pseudo-random places, 0/255. */
function blobs(seed: number, count: number): Uint8Array {
  const data = new Uint8Array(W * H);
  let s = seed;
  const next = (n: number) => {
    s = (s * 1103515245 + 12345) >>> 0;
    return (s >>> 8) % n;
  };
  for (let k = 0; k < count; k++) {
    const [cx, cy, r] = [next(W), next(H), 2 + next(7)];
    const disc = next(2) === 0;
    for (let y = Math.max(0, cy - r); y < Math.min(H, cy + r); y++)
      for (let x = Math.max(0, cx - r); x < Math.min(W, cx + r); x++)
        if (!disc || (x - cx) ** 2 + (y - cy) ** 2 <= r * r) data[y * W + x] = 255;
  }
  return data;
}

const sameComponents = (a: unknown, b: unknown) => isDeepStrictEqual(a, b);

describe('cropClutter components', () => {
  it("are the cleaned mask's own labelling when the bubbles leave whole parts", async () => {
    let given = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const raw = blobs(seed, 9);
      // the character mask: the raw mask less a few stripes (figures cut apart), so inside it
      const split = raw.map((v, p) => ((p % W) % 11 === 5 ? 0 : v));
      const parts = await labelMaskComponents(gray(split));
      const boxes = parts.boxes.slice(1);
      // one interior pixel in a few raw parts; some parts are characters, one was left out as a bubble
      const interiors = new Uint8Array(W * H);
      for (const [i, b] of boxes.entries())
        if (i % 3 === 0) interiors[(b.y + (b.height >> 1)) * W + b.x + (b.width >> 1)] = 255;
      const characters: Box[] = boxes.filter((_, i) => i % 2 === 1);
      const bubbleParts: Box[] = boxes.filter((_, i) => i % 4 === 2);
      const text = gray(new Uint8Array(W * H));
      const result = await cropClutter(
        gray(raw),
        gray(interiors),
        gray(split),
        text,
        characters,
        bubbleParts,
      );
      if (!result.components) continue;
      given++;
      expect(sameComponents(result.components, await labelMaskComponents(result.mask)), `seed ${seed}`).toBe(
        true,
      );
    }
    expect(given).toBe(12);
  });

  it('are left out when a bubble takes part of a component only', async () => {
    // two raw parts side by side; the character mask bridges them into one part, only the left holds an interior
    const raw = new Uint8Array(W * H);
    const split = new Uint8Array(W * H);
    for (let y = 10; y < 20; y++)
      for (let x = 5; x < 40; x++) {
        if (x !== 20) raw[y * W + x] = 255;
        split[y * W + x] = 255;
      }
    const interiors = new Uint8Array(W * H);
    interiors[15 * W + 8] = 255;
    const result = await cropClutter(
      gray(raw),
      gray(interiors),
      gray(split),
      gray(new Uint8Array(W * H)),
      [],
      [],
    );
    expect(result.components).toBeUndefined();
    expect(result.mask.data[15 * W + 8]).toBe(0);
    expect(result.mask.data[15 * W + 30]).toBe(255);
  });
});

describe('withoutWholeComponents', () => {
  it('renumbers the components left in scan order and grows the background box', async () => {
    const data = new Uint8Array(W * H);
    const fill = (x0: number, y0: number, x1: number, y1: number) => {
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[y * W + x] = 255;
    };
    fill(0, 0, 10, 5); // label 1, touches the corner: the background box starts after it
    fill(30, 2, 40, 8); // label 2
    fill(5, 20, 60, 30); // label 3
    const components = await labelMaskComponents(gray(data));
    const removed = new Uint8Array(W * H);
    for (let p = 0; p < W * H; p++) if (components.labels[p] === 1) removed[p] = 1;
    const left = withoutWholeComponents(components, removed);
    const cleaned = data.map((v, p) => (removed[p] ? 0 : v));
    expect(sameComponents(left, await labelMaskComponents(gray(cleaned)))).toBe(true);
    expect(left?.boxes.length).toBe(3);
    expect(left?.boxes[0]).toEqual({ x: 0, y: 0, width: W, height: H });
    removed[2 * W + 30] = 1; // one pixel of label 2 as well: part of a component
    expect(withoutWholeComponents(components, removed)).toBeUndefined();
  });
});
