// src/prep/text-detect-paddle.test.ts — detector wiring: missing model -> coded error naming the pull
// command; the glyph-growth step; the real model on a blank page finds nothing. Recall on drawn
// panels is measured in test/prep-text-removal.test.ts.
import { describe, expect, it } from 'vitest';
import { ToonloraError } from '../errors.js';
import type { TextRegion } from './stage-types.js';
import { createPaddleTextDetector, defaultPaddleDetModelPath, growRegion } from './text-detect-paddle.js';

describe('createPaddleTextDetector', () => {
  it('fails with TL_ERR_MODEL_MISSING and the pull command when the model file is absent', async () => {
    const error = await createPaddleTextDetector({ modelPath: '/nonexistent/det.onnx' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ToonloraError);
    expect((error as ToonloraError).code).toBe('TL_ERR_MODEL_MISSING');
    expect((error as ToonloraError).message).toMatch(
      /paddleocr-det-v4: model file not found at \/nonexistent\/det\.onnx\. Run: toonlora models pull paddleocr-det-v4/,
    );
  });

  it('resolves the bundled model through the registry', () => {
    expect(defaultPaddleDetModelPath()).toMatch(/ch_PP-OCRv4_det_infer\.onnx$/);
  });

  it('finds no text on a blank page', async () => {
    const detector = await createPaddleTextDetector();
    const blank = { width: 320, height: 240, data: new Uint8Array(320 * 240 * 3).fill(255) };
    expect(await detector.detect(blank)).toEqual([]);
  });
});

describe('growRegion', () => {
  const line: TextRegion = {
    polygon: [
      [100, 100],
      [300, 100],
      [300, 140],
      [100, 140],
    ],
    box: { x: 100, y: 100, width: 201, height: 41 },
    score: 0.9,
  };

  it('grows by ratio x the shorter side (40 px x 0.15 = 6 px) on every side', () => {
    const grown = growRegion(line, 0.15, 1000, 1000);
    expect(grown.box).toEqual({ x: 94, y: 94, width: 213, height: 53 });
    expect(grown.score).toBe(0.9);
  });

  it('clips the grown polygon to the image', () => {
    const grown = growRegion(line, 0.5, 310, 150);
    for (const [x, y] of grown.polygon) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(309);
      expect(y).toBeLessThanOrEqual(149);
    }
  });
});
