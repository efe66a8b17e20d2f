// src/prep/stage-types.ts — the interfaces each dataset stage implements, so another model can
// replace one (CRAFT for PaddleOCR, LaMa for OpenCV inpaint, ...) without touching the pipeline.
import type { Box, GrayImage, RgbImage } from '../vision/image.js';

/** A detected text line: its polygon (pixel coords, clockwise) and detector confidence 0..1. */
export interface TextRegion {
  readonly polygon: ReadonlyArray<readonly [number, number]>;
  readonly box: Box;
  readonly score: number;
}

export interface TextDetector {
  readonly name: string;
  detect(image: RgbImage): Promise<TextRegion[]>;
}

export interface TextRemovalResult {
  readonly image: RgbImage;
  /** The (dilated) mask that was filled: 255 where text was removed. */
  readonly mask: GrayImage;
}

export interface TextRemover {
  readonly name: string;
  remove(image: RgbImage, regions: readonly TextRegion[]): Promise<TextRemovalResult>;
}

export interface CharacterSegmenter {
  readonly name: string;
  /** Foreground mask 0..255 (255 = character), same size as the input. */
  segment(image: RgbImage): Promise<GrayImage>;
}

export interface PersonDetection {
  readonly box: Box;
  readonly score: number;
}

export interface PersonDetector {
  readonly name: string;
  detect(image: RgbImage): Promise<PersonDetection[]>;
}
