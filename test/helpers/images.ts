// test/helpers/images.ts — tiny in-memory images for prep tests.
import type { RgbImage } from '../../src/vision/image.js';

/** An RGB image whose pixel (x, y) is `colour(x, y)`. */
export function makeRgb(width: number, height: number, colour: (x: number, y: number) => readonly [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(colour(x, y), (y * width + x) * 3);
  }
  return { width, height, data };
}

export const WHITE = [255, 255, 255] as const;
export const BLACK = [0, 0, 0] as const;

/** Path of a generated ONNX fixture (scripts/make-onnx-fixtures.py). */
export function onnxFixture(name: string): string {
  return new URL(`../fixtures/onnx/${name}`, import.meta.url).pathname;
}
