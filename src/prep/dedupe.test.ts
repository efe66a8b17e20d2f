import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../vision/image.js';
import {
  colourThumbnail,
  differenceHash,
  findNearDuplicate,
  gridLuminance,
  hammingDistance,
  NEAR_DUPLICATE_MAX_DIFF,
  thumbnailDistance,
} from './dedupe.js';

function image(width: number, height: number, pixel: (x: number, y: number) => number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data.fill(pixel(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { width, height, data };
}

describe('differenceHash', () => {
  it('sets a bit where the left cell is brighter than the right one', () => {
    // brightness falls left to right: every comparison is "left brighter" -> all 64 bits set
    expect(differenceHash(image(18, 8, (x) => 255 - x * 10))).toBe('ffffffffffffffff');
    expect(differenceHash(image(18, 8, (x) => x * 10))).toBe('0000000000000000');
    // one bright column at grid col 0 only: bit 7 of every row byte -> 0x80
    expect(differenceHash(image(9, 8, (x) => (x === 0 ? 255 : 0)))).toBe('8080808080808080');
  });
  it('averages cells', () => {
    const grid = gridLuminance(
      image(4, 2, (x) => (x < 2 ? 100 : 200)),
      2,
      1,
    );
    expect(Array.from(grid).map((v) => Math.round(v))).toEqual([100, 200]);
  });
  it('counts differing bits', () => {
    expect(hammingDistance('ff00000000000000', '0f00000000000001')).toBe(5);
  });
});

describe('near-duplicates by colour thumbnail', () => {
  it('averages each cell per channel', () => {
    const thumb = colourThumbnail(
      image(4, 2, (x) => (x < 2 ? 100 : 200)),
      2,
    );
    // 2x2 grid over 4x2: left cells 100, right cells 200, all three channels
    expect(Array.from(thumb)).toEqual([100, 100, 100, 200, 200, 200, 100, 100, 100, 200, 200, 200]);
    expect(thumbnailDistance(Float64Array.from([0, 10]), Float64Array.from([4, 0]))).toBe(7);
  });
  it('matches the closest kept crop within the budget', () => {
    const grey = (v: number) => colourThumbnail(image(16, 16, () => v));
    const kept = [
      { thumbnail: grey(100), name: 'a.png' },
      { thumbnail: grey(104), name: 'b.png' },
    ];
    expect(findNearDuplicate(grey(105), kept)?.match.name).toBe('b.png');
    expect(findNearDuplicate(grey(105), kept)?.distance).toBe(1);
    expect(findNearDuplicate(grey(120), kept)).toBeUndefined();
  });
});

/** A 512 px "character": white page, a skin-coloured body with black outlines, and hair of `hair` colour. */
function character(hair: [number, number, number]): RgbImage {
  const side = 512;
  const data = new Uint8Array(side * side * 3).fill(255);
  const paint = (x0: number, y0: number, w: number, h: number, rgb: readonly number[]) => {
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) data.set(rgb, (y * side + x) * 3);
  };
  paint(150, 150, 212, 330, [0, 0, 0]); // outline
  paint(156, 156, 200, 318, [250, 220, 200]); // body
  paint(190, 40, 132, 120, hair); // hair: 6% of the picture
  paint(220, 200, 20, 20, [40, 40, 40]); // eyes
  paint(290, 200, 20, 20, [40, 40, 40]);
  return { width: side, height: side, data };
}

async function roundTrip(image: RgbImage, edit: (s: Sharp) => Sharp): Promise<RgbImage> {
  const raw = { raw: { width: image.width, height: image.height, channels: 3 as const } };
  const encoded = await edit(sharp(Buffer.from(image.data), raw)).toBuffer();
  const { data, info } = await sharp(encoded)
    .resize(image.width, image.height)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

describe('near-duplicates: only the same picture again', () => {
  const base = character([20, 20, 20]);
  const baseThumbnail = colourThumbnail(base);
  const kept = [{ thumbnail: baseThumbnail, name: 'base.png' }];

  it('keeps the same drawing with other hair (the 8x8 thumbnail dropped it: mean 5.2/255)', () => {
    const purple = colourThumbnail(character([140, 40, 160]));
    expect(thumbnailDistance(purple, baseThumbnail)).toBeGreaterThan(NEAR_DUPLICATE_MAX_DIFF);
    expect(findNearDuplicate(purple, kept)).toBeUndefined();
  });

  it('drops a JPEG re-encode and a resized copy of the same picture', async () => {
    const jpeg = await roundTrip(base, (s) => s.jpeg({ quality: 60 }));
    expect(findNearDuplicate(colourThumbnail(jpeg), kept)?.match.name).toBe('base.png');
    const resized = await roundTrip(base, (s) => s.resize(300, 300).jpeg({ quality: 75 }));
    expect(findNearDuplicate(colourThumbnail(resized), kept)?.match.name).toBe('base.png');
  });
});
