import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { makeRgb } from '../../test/helpers/images.js';
import type { RgbImage } from '../vision/image.js';
import { decodeToRgb } from '../vision/sharp-io.js';
import { boxContains } from './crop-box.js';
import {
  findMaskContours,
  selectCharacterContours,
  tightenToMask,
  whiteFractionWithin,
} from './mask-contours.js';
import {
  createClassicSegmenter,
  dominantColours,
  floodBackground,
  seedTolerance,
} from './segment-classic.js';

/** 200x160 panel: off-white paper, a dark 4 px frame, a black-outlined red "character" at (60..119, 40..139), a speck. */
function panel(background: (x: number, y: number) => readonly [number, number, number]): RgbImage {
  return makeRgb(200, 160, (x, y) => {
    if (x < 4 || y < 4 || x >= 196 || y >= 156) return [20, 20, 20];
    const inBody = x >= 60 && x < 120 && y >= 40 && y < 140;
    const inFill = x >= 63 && x < 117 && y >= 43 && y < 137;
    if (inFill) return [220, 60, 60];
    if (inBody) return [10, 10, 10];
    if (x === 170 && y === 20) return [0, 0, 0];
    return background(x, y);
  });
}

describe('classic segmenter', () => {
  it('finds the character inside a panel frame, drops specks', async () => {
    const mask = await createClassicSegmenter().segment(panel(() => [250, 248, 240]));
    const contours = await findMaskContours(mask);
    expect(contours[0]?.box).toEqual({ x: 60, y: 40, width: 60, height: 100 });
    expect(contours).toHaveLength(1);
  });
  it('follows a smooth vertical gradient background', async () => {
    const sky = (_x: number, y: number) =>
      [150 + Math.round(y * 0.6), 190 + Math.round(y * 0.25), 240 - Math.round(y * 0.3)] as const;
    const mask = await createClassicSegmenter().segment(panel(sky));
    const box = (await findMaskContours(mask))[0]?.box;
    // the gradient's far end drifts past the tolerance: pixels touching the outline may stay (1 px halo)
    expect(box?.x).toBeGreaterThanOrEqual(58);
    expect(box?.y).toBeGreaterThanOrEqual(38);
    expect(box?.width).toBeLessThanOrEqual(64);
    expect(box?.height).toBeLessThanOrEqual(104);
    expect(
      boxContains(box ?? { x: 0, y: 0, width: 0, height: 0 }, { x: 60, y: 40, width: 60, height: 100 }),
    ).toBe(true);
  });
  it('segments large panels at the working size and scales the mask back (box within 4 px)', async () => {
    // the same layout drawn 6x larger: 1200x960, character at (360..719, 240..839), outline 18 px
    const big = makeRgb(1200, 960, (x, y) => {
      if (x < 24 || y < 24 || x >= 1176 || y >= 936) return [20, 20, 20];
      if (x >= 378 && x < 702 && y >= 258 && y < 822) return [220, 60, 60];
      if (x >= 360 && x < 720 && y >= 240 && y < 840) return [10, 10, 10];
      return [250, 248, 240];
    });
    const mask = await createClassicSegmenter().segment(big);
    expect([mask.width, mask.height]).toEqual([1200, 960]);
    const box = (await findMaskContours(mask))[0]?.box;
    for (const [got, want] of [
      [box?.x, 360],
      [box?.y, 240],
      [box?.width, 360],
      [box?.height, 600],
    ] as const) {
      expect(Math.abs((got ?? 0) - want)).toBeLessThanOrEqual(4);
    }
  });
  it('returns an empty mask for a blank page', async () => {
    const mask = await createClassicSegmenter().segment(makeRgb(120, 90, () => [255, 255, 255]));
    expect(mask.data.every((v) => v === 0)).toBe(true);
    expect(await findMaskContours(mask)).toEqual([]);
  });
  it('picks the colours that dominate the border', () => {
    const image = makeRgb(10, 1, (x) => (x < 7 ? [255, 255, 255] : [0, 0, 0]));
    expect(dominantColours(image, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])).toEqual([
      [255, 255, 255],
      [0, 0, 0],
    ]);
    expect(dominantColours(image, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 0.5)).toEqual([[255, 255, 255]]);
  });
  it('keeps the dark legs of a character in a night scene saved as a JPEG (q75)', async () => {
    // night sky (31,34,65), dark trousers (52,51,67: within 40 of the sky) inside a 3 px black outline;
    // 4:2:0 chroma pulls the outline's blue towards the sky. Before, the fill leaked through it into the legs.
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1024" height="1024">
      <rect width="1024" height="1024" fill="#1f2241"/>
      <circle cx="512" cy="300" r="70" fill="#f5d0b5" stroke="#000" stroke-width="3"/>
      <rect x="440" y="380" width="144" height="220" rx="20" fill="#3a6f96" stroke="#000" stroke-width="3"/>
      <rect x="462" y="600" width="40" height="260" rx="8" fill="#343343" stroke="#000" stroke-width="3"/>
      <rect x="522" y="600" width="40" height="260" rx="8" fill="#343343" stroke="#000" stroke-width="3"/>
    </svg>`;
    const jpeg = await sharp(Buffer.from(svg)).jpeg({ quality: 75, chromaSubsampling: '4:2:0' }).toBuffer();
    const mask = await createClassicSegmenter().segment(await decodeToRgb(jpeg, { maxPixels: 1e8 }));
    const box = (await findMaskContours(mask))[0]?.box;
    expect(box?.y).toBeLessThanOrEqual(235);
    expect((box?.y ?? 0) + (box?.height ?? 0)).toBeGreaterThanOrEqual(855); // down to the feet (863)
  });
  it('narrows the tolerance around a dark background colour only', () => {
    expect(seedTolerance([255, 255, 255], 40)).toBe(40);
    expect(seedTolerance([90, 90, 90], 40)).toBe(40);
    expect(seedTolerance([31, 34, 65], 40)).toBe(33);
    expect(seedTolerance([0, 0, 0], 40)).toBe(16);
  });
  it('floods only what is connected to the border', () => {
    // 5x5 white with a black ring around the centre pixel (also white): the centre stays foreground
    const image = makeRgb(5, 5, (x, y) =>
      x >= 1 && x <= 3 && y >= 1 && y <= 3 && !(x === 2 && y === 2) ? [0, 0, 0] : [255, 255, 255],
    );
    const bg = floodBackground(image);
    expect(bg.data[0]).toBe(255);
    expect(bg.data[6]).toBe(0);
    expect(bg.data[12]).toBe(0);
  });
});

describe('mask contours', () => {
  it('selects the largest, or every part at least 20% of it', () => {
    const contours = [
      { box: { x: 0, y: 0, width: 10, height: 10 }, area: 100 },
      { box: { x: 20, y: 0, width: 5, height: 5 }, area: 25 },
      { box: { x: 40, y: 0, width: 3, height: 3 }, area: 9 },
    ];
    expect(selectCharacterContours(contours, 'largest')).toEqual([contours[0]]);
    expect(selectCharacterContours(contours, 'all')).toEqual([contours[0], contours[1]]);
    expect(selectCharacterContours([], 'all')).toEqual([]);
  });
  it('measures how white a mask part is (speech bubbles)', () => {
    const image = makeRgb(4, 1, (x) => (x < 3 ? [250, 250, 250] : [30, 30, 30]));
    const mask = { width: 4, height: 1, data: Uint8Array.from([255, 255, 255, 255]) };
    expect(whiteFractionWithin(image, mask, { x: 0, y: 0, width: 4, height: 1 })).toBe(0.75);
  });
  it('tightens a detector box to the mask only when the mask agrees', () => {
    const mask = { width: 10, height: 10, data: new Uint8Array(100) };
    for (let y = 1; y < 8; y++) for (let x = 2; x < 8; x++) mask.data[y * 10 + x] = 255;
    // mask bounds 6x7 = 42% of the 10x10 box: tightened
    expect(tightenToMask(mask, { x: 0, y: 0, width: 10, height: 10 })).toEqual({
      x: 2,
      y: 1,
      width: 6,
      height: 7,
    });
    // a 4x6 part of a 10x10 box is 24%, below 30%: the detector's box stands
    const sparse = { width: 10, height: 10, data: new Uint8Array(100) };
    for (let y = 2; y < 8; y++) for (let x = 3; x < 7; x++) sparse.data[y * 10 + x] = 255;
    expect(tightenToMask(sparse, { x: 0, y: 0, width: 10, height: 10 })).toEqual({
      x: 0,
      y: 0,
      width: 10,
      height: 10,
    });
  });
});
