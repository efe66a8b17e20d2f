// test/helpers/images.ts — tiny in-memory images for prep tests, the ONNX fixtures and model caches
// holding them.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

/** Model-cache options (a toonlora home and HF cache under `root`) where no model is downloaded. */
export function emptyModelCache(root: string) {
  return { env: { TOONLORA_HOME: join(root, 'empty-home'), HF_HOME: join(root, 'empty-hf') } };
}

/**
 * Model-cache options for a toonlora home under `root` whose cache holds the tiny ONNX fixtures
 * (isnet-anime, WD14, the person detector, LaMa) under the registry's file names.
 */
export function fixtureModelCache(root: string) {
  const home = join(root, 'fixture-home');
  const place = (id: string, file: string, fixture: string) => {
    const path = join(home, 'models', id, file);
    mkdirSync(dirname(path), { recursive: true });
    copyFileSync(onnxFixture(fixture), path);
  };
  place('isnet-anime', 'isnet-anime.onnx', 'isnet-anime.onnx');
  place('wd-vit-tagger-v3', 'model.onnx', 'wd-vit-tagger-v3/model.onnx');
  place('wd-vit-tagger-v3', 'selected_tags.csv', 'wd-vit-tagger-v3/selected_tags.csv');
  place('anime-person-detector', 'person_detect_v1.3_s/model.onnx', 'anime-person-detector.onnx');
  place('lama', 'lama_fp32.onnx', 'lama.onnx');
  return { env: { TOONLORA_HOME: home, HF_HOME: join(root, 'empty-hf') } };
}
