import { describe, expect, it } from 'vitest';
import { WHITE, makeRgb, onnxFixture } from '../../test/helpers/images.js';
import { rgbToUnitPlanes } from '../vision/tensor-pack.js';
import { createPersonDetector, decodeYoloOutput, roundHalfEven } from './person-detect.js';

describe('person detector preprocessing (imgutils rgb_encode)', () => {
  it('packs RGB / 255 NCHW', () => {
    const t = rgbToUnitPlanes(makeRgb(2, 1, (x) => (x === 0 ? [255, 51, 0] : [0, 102, 255])));
    expect(Array.from(t).map((v) => Math.round(v * 255))).toEqual([255, 0, 51, 102, 0, 255]);
  });
});

describe('decodeYoloOutput', () => {
  it('rounds halves to even like numpy', () => {
    expect([402.5, 403.5, 0.5, 1.5, 2.4, 2.6].map(roundHalfEven)).toEqual([402, 404, 0, 2, 2, 3]);
  });
  it('filters by confidence, runs NMS and scales back to the image', () => {
    // rows: cx, cy, w, h, score; 3 candidates (channel-major)
    const cx = [50, 52, 150];
    const cy = [50, 50, 50];
    const w = [20, 20, 40];
    const h = [40, 40, 40];
    const s = [0.9, 0.8, 0.2];
    const output = Float32Array.from([...cx, ...cy, ...w, ...h, ...s]);
    const found = decodeYoloOutput(output, 5, 3, {
      confThreshold: 0.3,
      iouThreshold: 0.5,
      modelWidth: 200,
      modelHeight: 100,
      imageWidth: 400,
      imageHeight: 100,
    });
    // box 0 corners (40,30)-(60,70) -> x 2x: (80,30)-(120,70); box 1 IoU 0.82 suppressed; box 2 below 0.3
    expect(found).toHaveLength(1);
    expect(found[0]?.box).toEqual({ x: 80, y: 30, width: 40, height: 40 });
    expect(found[0]?.score).toBeCloseTo(0.9, 6);
  });
  it('rejects a malformed output', () => {
    expect(() =>
      decodeYoloOutput(new Float32Array(4), 4, 1, {
        confThreshold: 0.3,
        iouThreshold: 0.5,
        modelWidth: 1,
        modelHeight: 1,
        imageWidth: 1,
        imageHeight: 1,
      }),
    ).toThrow(/4\+classes/);
  });
});

describe('person detector on the tiny fixture model', () => {
  it('finds the two separate people of the fixture, scaled to a 1280x640 panel', async () => {
    const detector = createPersonDetector({ modelPath: onnxFixture('anime-person-detector.onnx') });
    const people = await detector.detect(makeRgb(1280, 640, () => WHITE));
    // fixture boxes (model px): A (60,120)-(260,520) score .9; B (400,140)-(560,500) score .6; x scale 2
    expect(people.map((p) => p.box)).toEqual([
      { x: 120, y: 120, width: 400, height: 400 },
      { x: 800, y: 140, width: 320, height: 360 },
    ]);
    expect(people.map((p) => Math.round(p.score * 100))).toEqual([90, 60]);
  });
});
