import { describe, expect, it } from 'vitest';
import {
  doubleSpeedLineSquare,
  horizonSquare,
  kinds,
} from '../../test/fixtures/prep-quality/paint-squares.js';
import { makeRgb } from '../../test/helpers/images.js';
import { backgroundPeriod, paintOverRuns } from './paint-over.js';
import { byteMedian } from './paint-over-sides.js';

describe('paintOverRuns', () => {
  it('carries screentone on through a hole instead of smearing it', () => {
    // dots every 6 px on grey; a 30x30 hole of red "text" in the middle of a 90x90 square
    const tone = (x: number, y: number) => (x % 6 < 2 && y % 6 < 2 ? 80 : 210);
    const hole = (x: number, y: number) => x >= 30 && x < 60 && y >= 30 && y < 60;
    const square = makeRgb(90, 90, (x, y) =>
      hole(x, y) ? [255, 0, 0] : [tone(x, y), tone(x, y), tone(x, y)],
    );
    const kind = kinds(90, 90, hole);
    expect(backgroundPeriod(square, kind)).toBe(6);
    const out = paintOverRuns(square, kind);
    for (let y = 30; y < 60; y++)
      for (let x = 30; x < 60; x++) expect(out.data[(y * 90 + x) * 3]).toBe(tone(x, y));
  });

  it('does not streak a line just beside a hole across it', () => {
    // white paper; a black band at x 8-20 (wider than the side samples) right against a hole at x 21-40, rows 10-29
    const hole = (x: number, y: number) => x >= 21 && x <= 40 && y >= 10 && y < 30;
    const square = makeRgb(60, 40, (x, y) =>
      hole(x, y) ? [255, 0, 0] : x >= 8 && x <= 20 ? [0, 0, 0] : [250, 250, 250],
    );
    const out = paintOverRuns(square, kinds(60, 40, hole));
    for (let y = 10; y < 30; y++)
      for (let x = 21; x <= 40; x++)
        expect([...out.data.subarray((y * 60 + x) * 3, (y * 60 + x) * 3 + 3)]).toEqual([250, 250, 250]);
  });

  it('does not streak a shallow line that ends at a hole across it to the square edge', () => {
    // white paper; a 2 px black line rising 1 px every 20 (a speed line) ends at a hole in the top right
    // corner (x 40-59, rows 0-29: no paper above it to go by): the 15 px left of the hole on the line's
    // rows were all ink, and those rows were painted black out to the edge; now the rows beside outvote it
    const hole = (x: number, y: number) => x >= 40 && y < 30;
    const line = (x: number, y: number) => Math.abs(y - (20 - x / 20)) < 1;
    const square = makeRgb(60, 40, (x, y) =>
      hole(x, y) ? [255, 0, 0] : line(x, y) ? [0, 0, 0] : [250, 250, 250],
    );
    const out = paintOverRuns(square, kinds(60, 40, hole));
    let dark = 0;
    for (let y = 0; y < 30; y++)
      for (let x = 40; x < 60; x++) if ((out.data[(y * 60 + x) * 3] as number) < 200) dark++;
    expect(dark).toBe(0);
  });

  it('does not streak a double speed line that runs into a hole at the square edge', () => {
    // white paper; two 4 px lines 3 px apart rising 1 px every 2 (a double speed line) run into a hole
    // in the top right corner (x 40-59, rows 0-29): the sides beside the lines were mostly ink on every
    // row of the band, and their median was painted as a dark streak out to the edge; the sides hold
    // paper too, and paper is carried in
    const { square, kind } = doubleSpeedLineSquare();
    const out = paintOverRuns(square, kind);
    let dark = 0;
    for (let y = 0; y < 30; y++)
      for (let x = 40; x < 60; x++) if ((out.data[(y * 60 + x) * 3] as number) < 200) dark++;
    expect(dark).toBe(0);
  });

  it('carries a wall and a floor beside a hole at the square edge on through it, up to the horizon', () => {
    // a dark grey floor (rows 30+) under a white wall (the commonest colour); a hole at the right edge
    // across both: the rows just below the horizon, whose side bands hold wall and floor, stay floor
    const { square, kind } = horizonSquare();
    const out = paintOverRuns(square, kind);
    for (let y = 20; y < 50; y++) expect(out.data[(y * 60 + 55) * 3]).toBe(y >= 30 ? 60 : 250);
  });

  it('blends a sky gradient across a hole from row to row', () => {
    // a vertical gradient (blue-ish at the top, light at the bottom), a hole in the middle
    const sky = (y: number): [number, number, number] => [100 + y * 2, 150 + y, 230];
    const hole = (x: number, y: number) => x >= 20 && x < 40 && y >= 10 && y < 50;
    const square = makeRgb(60, 60, (x, y) => (hole(x, y) ? [0, 0, 0] : sky(y)));
    const out = paintOverRuns(square, kinds(60, 60, hole));
    for (const y of [10, 30, 49])
      expect([...out.data.subarray((y * 60 + 30) * 3, (y * 60 + 30) * 3 + 3)]).toEqual(sky(y));
  });
});

describe('byteMedian', () => {
  it('is the value at length >> 1 of the sorted values, over the first `length` only', () => {
    let seed = 7;
    for (let n = 1; n <= 140; n++) {
      const values = new Uint8Array(n + 5).map(() => {
        seed = (seed * 1103515245 + 12345) >>> 0;
        return seed % 7 === 0 ? 255 : seed >>> 24;
      });
      const sorted = [...values.subarray(0, n)].sort((a, b) => a - b);
      expect(byteMedian(values, n), `n ${n}`).toBe(sorted[n >> 1]);
    }
    expect(byteMedian(new Uint8Array([9, 1, 255, 255]))).toBe(255);
    expect(byteMedian(new Uint8Array([0]))).toBe(0);
  });
});
