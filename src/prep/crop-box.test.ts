import { describe, expect, it } from 'vitest';
import {
  boxContains,
  characterTooSmallReason,
  computeCropBox,
  cutSquare,
  intersectBoxes,
  sideRuleOnce,
} from './crop-box.js';
import { rejectedCropNote } from './file-notes.js';

describe('computeCropBox', () => {
  const big = { width: 1000, height: 1000 };
  it('centres a square with the margin on the longer side', () => {
    // 100x200 box at (150, 40): side = 200 * 1.2 = 240, centre (200, 140)
    expect(computeCropBox({ x: 150, y: 40, width: 100, height: 200 }, 0.1, big)).toEqual({
      x: 80,
      y: 20,
      width: 240,
      height: 240,
    });
  });
  it('moves the square into the image where it fits instead of padding white', () => {
    // centred it would start at x = -20; the image is wide enough, so it starts at 0
    expect(computeCropBox({ x: 50, y: 40, width: 100, height: 200 }, 0.1, big)).toMatchObject({
      x: 0,
      y: 20,
    });
    // the probe's case: 824x1024 night panel, character near the left edge
    const box = computeCropBox({ x: 66, y: 321, width: 232, height: 597 }, 0.1, { width: 824, height: 1024 });
    expect(box).toEqual({ x: 0, y: 262, width: 716, height: 716 });
    // near the right and bottom edges
    expect(computeCropBox({ x: 900, y: 900, width: 90, height: 90 }, 0.5, big)).toMatchObject({
      x: 820,
      y: 820,
    });
  });
  it('pads only on an axis the image is shorter than the square, keeping the image covered', () => {
    // 800x300 strip, 250 px tall character: a 350 px square cannot fit the height
    const box = computeCropBox({ x: 10, y: 20, width: 100, height: 250 }, 0.2, { width: 800, height: 300 });
    expect(box).toEqual({ x: 0, y: -30, width: 350, height: 350 });
  });
  it('always contains the character box', () => {
    for (const [w, h, m, iw, ih] of [
      [7, 3, 0, 30, 40],
      [301, 77, 0.25, 320, 120],
      [64, 640, 0.1, 100, 700],
      [64, 640, 0.1, 2000, 2000],
    ] as const) {
      const character = { x: 13, y: 29, width: w, height: h };
      expect(boxContains(computeCropBox(character, m, { width: iw, height: ih }), character)).toBe(true);
    }
  });
  it('rejects an empty box', () => {
    expect(() => computeCropBox({ x: 0, y: 0, width: 0, height: 5 }, 0.1, big)).toThrow(
      /positive size, got 0x5/,
    );
  });
});

describe('characterTooSmallReason', () => {
  it('is an absolute size rule: 64 px, or a quarter of the training resolution', () => {
    expect(characterTooSmallReason({ x: 0, y: 0, width: 40, height: 63 }, 256)).toMatch(
      /40x63 px.*at least 64 px$/,
    );
    expect(characterTooSmallReason({ x: 0, y: 0, width: 100, height: 100 }, 512)).toMatch(
      /100x100 px, the longer side must be at least 128 px \(a quarter of the 512 px training resolution/,
    );
    expect(characterTooSmallReason({ x: 0, y: 0, width: 300, height: 400 }, 512)).toBeNull();
    // a full-size character in a 800x30000 webtoon strip or a 4K screenshot is not small
    expect(characterTooSmallReason({ x: 0, y: 20000, width: 477, height: 709 }, 512)).toBeNull();
    expect(characterTooSmallReason({ x: 0, y: 0, width: 100, height: 130 }, 768)).toMatch(/at least 192 px/);
  });
});

describe('a panel with no figure, and a page of small characters', () => {
  const box = (width: number, height: number) => ({ x: 0, y: 0, width, height });
  it('calls a speck blank, not a character too small (before: "character too small: 8x4 px")', () => {
    expect(characterTooSmallReason(box(8, 4), 512)).toBe('blank: only a 8x4 px mark, no figure');
    expect(characterTooSmallReason(box(12, 3), 512)).toBe('blank: only a 12x3 px mark, no figure');
    // a small figure is still one: too small
    expect(characterTooSmallReason(box(15, 42), 512)).toMatch(
      /^character too small: 15x42 px, the longer side/,
    );
  });

  it('says the 128 px rule once for a page whose panels are all too small (before: once per panel)', () => {
    const notes = [
      { panel: 1, reason: characterTooSmallReason(box(17, 45), 512) ?? '' },
      { panel: 2, reason: characterTooSmallReason(box(8, 4), 512) ?? '' },
      { panel: 3, reason: characterTooSmallReason(box(15, 42), 512) ?? '' },
    ].map(rejectedCropNote);
    const once = sideRuleOnce(notes, 512).join('; ');
    expect(once).toBe(
      'panel 1: character too small: 17x45 px; panel 2: blank: only a 8x4 px mark, no figure; ' +
        "panel 3: character too small: 15x42 px; a character's longer side must be at least 128 px " +
        '(a quarter of the 512 px training resolution: smaller would be upscaled into blur)',
    );
    expect(once.match(/128 px/g)).toHaveLength(1);
    // one too-small note keeps its rule
    expect(sideRuleOnce(notes.slice(0, 2), 512)).toEqual(notes.slice(0, 2));
  });
});

describe('cutSquare', () => {
  it('copies the inside and pads white outside', () => {
    // 2x2 image: red, green / blue, black
    const image = { width: 2, height: 2, data: new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0]) };
    const out = cutSquare(image, { x: -1, y: 0, width: 3, height: 3 });
    expect(Array.from(out.data)).toEqual([
      255, 255, 255, 255, 0, 0, 0, 255, 0, 255, 255, 255, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 255, 255,
      255, 255, 255,
    ]);
  });
  it('intersects boxes', () => {
    expect(
      intersectBoxes({ x: 0, y: 0, width: 10, height: 10 }, { x: 5, y: -5, width: 10, height: 10 }),
    ).toEqual({
      x: 5,
      y: 0,
      width: 5,
      height: 5,
    });
  });
});
