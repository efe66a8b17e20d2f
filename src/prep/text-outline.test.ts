import { describe, expect, it } from 'vitest';
import { makeRgb } from '../../test/helpers/images.js';
import { measureOutlinePx } from './text-outline.js';

const area = { x: 10, y: 10, width: 40, height: 30 };
/** A red 12x10 block (the letter fill) at (24, 20), with a black band `band` px wide around it, on grey dots. */
function page(band: number) {
  const inBlock = (x: number, y: number, grow: number) =>
    x >= 24 - grow && x < 36 + grow && y >= 20 - grow && y < 30 + grow;
  const image = makeRgb(60, 50, (x, y) =>
    inBlock(x, y, 0)
      ? [230, 40, 40]
      : inBlock(x, y, band)
        ? [0, 0, 0]
        : (x + y) % 4 === 0
          ? [120, 120, 120]
          : [220, 220, 220],
  );
  const fill = new Uint8Array(area.width * area.height);
  for (let y = 0; y < area.height; y++)
    for (let x = 0; x < area.width; x++)
      if (inBlock(x + area.x, y + area.y, 0)) fill[y * area.width + x] = 255;
  // the ring: a 2 px frame just outside the area
  const ringBox = { x: area.x - 2, y: area.y - 2, width: area.width + 4, height: area.height + 4 };
  const ring = new Uint8Array(ringBox.width * ringBox.height);
  for (let y = 0; y < ringBox.height; y++)
    for (let x = 0; x < ringBox.width; x++)
      if (x < 2 || y < 2 || x >= ringBox.width - 2 || y >= ringBox.height - 2)
        ring[y * ringBox.width + x] = 1;
  const inArea = (i: number) => {
    const x = i % image.width;
    const y = Math.floor(i / image.width);
    return x >= area.x && y >= area.y && x < area.x + area.width && y < area.y + area.height;
  };
  return measureOutlinePx(image, area, fill, inArea, ring, ringBox);
}

describe('measureOutlinePx', () => {
  it('measures a one-colour outline around the letter fill', () => {
    expect(page(5)).toBe(5);
    expect(page(2)).toBe(2);
  });
  it('finds none when the fill sits directly on the art', () => {
    expect(page(0)).toBe(0);
  });
});
