import { describe, expect, it } from 'vitest';
import { BLACK, WHITE, makeRgb, onnxFixture } from '../../test/helpers/images.js';
import { createIsnetSegmenter, cropPlacement, isnetPlacement, packIsnetInput, probabilitiesToMask } from './segment-isnet.js';

describe('isnet-anime preprocessing (SkyTNT get_mask)', () => {
  it('keeps the aspect, long side = size, centred with int() sizes', () => {
    expect(isnetPlacement(3, 2, 3)).toEqual({ x: 0, y: 0, width: 3, height: 2 }); // ph = 1 -> ph // 2 = 0
    expect(isnetPlacement(2, 3, 4)).toEqual({ x: 1, y: 0, width: 2, height: 4 }); // w = int(4*2/3) = 2
    expect(isnetPlacement(1000, 300, 1024)).toEqual({ x: 0, y: 358, width: 1024, height: 307 });
  });
  it('packs /255 NCHW on a zero canvas (2x3 image -> 3x3 tensor by hand)', () => {
    // 3 wide, 2 high; pixel (x, y) = (10x + y, 100, 255 - x)
    const image = makeRgb(3, 2, (x, y) => [10 * x + y, 100, 255 - x]);
    const t = packIsnetInput(image, 3, isnetPlacement(3, 2, 3));
    expect(t.length).toBe(27);
    const r = Array.from(t.subarray(0, 9)).map((v) => Math.round(v * 255));
    const g = Array.from(t.subarray(9, 18)).map((v) => Math.round(v * 255));
    const b = Array.from(t.subarray(18, 27)).map((v) => Math.round(v * 255));
    expect(r).toEqual([0, 10, 20, 1, 11, 21, 0, 0, 0]);
    expect(g).toEqual([100, 100, 100, 100, 100, 100, 0, 0, 0]);
    expect(b).toEqual([255, 254, 253, 255, 254, 253, 0, 0, 0]);
    expect(t[1]).toBeCloseTo(10 / 255, 7);
  });
  it('cuts the padding off the output and quantises', () => {
    const map = Float32Array.from([0, 0, 0, 0, 0.5, 1, 2, -1, 0]);
    const window = cropPlacement(map, 3, { x: 1, y: 1, width: 2, height: 2 });
    expect(Array.from(window)).toEqual([0.5, 1, -1, 0]);
    expect(Array.from(probabilitiesToMask(window, 2, 2).data)).toEqual([128, 255, 0, 0]);
  });
});

describe('isnet-anime on the tiny fixture model', () => {
  it('returns an input-sized mask with the padding removed', async () => {
    // left half black (-> ~1 in the fixture), right half white (-> ~0); 40x20 pads 512 rows of zeros
    const image = makeRgb(40, 20, (x) => (x < 20 ? BLACK : WHITE));
    const mask = await createIsnetSegmenter({ modelPath: onnxFixture('isnet-anime.onnx') }).segment(image);
    expect([mask.width, mask.height]).toEqual([40, 20]);
    expect(mask.data[0]).toBeGreaterThan(250);
    expect(mask.data[5 * 40 + 10]).toBeGreaterThan(250);
    // top-right and bottom-right corners sit next to the zero padding: must still read white -> 0
    expect(mask.data[39]).toBeLessThan(5);
    expect(mask.data[19 * 40 + 35]).toBeLessThan(5);
  });
  it('names the model and the pull command when the file is missing', async () => {
    const segmenter = createIsnetSegmenter({ modelPath: '/nonexistent/isnetis.onnx' });
    await expect(segmenter.segment(makeRgb(4, 4, () => WHITE))).rejects.toThrow(/isnet-anime.*toonlora models pull isnet-anime/);
  });
});
