import { describe, expect, it } from 'vitest';
import { BLACK, WHITE, makeRgb, onnxFixture } from '../../test/helpers/images.js';
import { createU2netSegmenter, normaliseU2netOutput, packU2netInput } from './segment-u2net.js';

describe('u2net preprocessing (rembg BaseSession.normalize)', () => {
  it('divides by the image max, then ImageNet mean/std, NCHW (2x1 image by hand)', () => {
    const image = makeRgb(2, 1, (x) => (x === 0 ? [100, 200, 50] : [0, 0, 0]));
    const t = packU2netInput(image);
    // max = 200: R 100/200 = 0.5 -> (0.5 - 0.485) / 0.229; G 1.0 -> (1 - 0.456) / 0.224; B 0.25 -> (0.25 - 0.406) / 0.225
    expect(t[0]).toBeCloseTo((0.5 - 0.485) / 0.229, 5);
    expect(t[1]).toBeCloseTo(-0.485 / 0.229, 5);
    expect(t[2]).toBeCloseTo((1 - 0.456) / 0.224, 5);
    expect(t[3]).toBeCloseTo(-0.456 / 0.224, 5);
    expect(t[4]).toBeCloseTo((0.25 - 0.406) / 0.225, 5);
    expect(t[5]).toBeCloseTo(-0.406 / 0.225, 5);
  });
  it('min-max normalises the output to 0..255 and truncates like astype(uint8)', () => {
    expect(Array.from(normaliseU2netOutput(Float32Array.from([0.2, 0.6, 1.0, 0.201]), 2, 2).data)).toEqual([0, 127, 255, 0]);
    expect(Array.from(normaliseU2netOutput(Float32Array.from([3, 3]), 2, 1).data)).toEqual([0, 0]);
  });
});

describe('u2net on the tiny fixture model', () => {
  it('returns an input-sized mask, dark = foreground in the fixture', async () => {
    const image = makeRgb(60, 30, (x) => (x < 30 ? BLACK : WHITE));
    const mask = await createU2netSegmenter({ modelPath: onnxFixture('u2net.onnx') }).segment(image);
    expect([mask.width, mask.height]).toEqual([60, 30]);
    expect(mask.data[15 * 60 + 5]).toBeGreaterThan(240);
    expect(mask.data[15 * 60 + 55]).toBeLessThan(15);
  });
});
