// src/vision/image.ts — the raw pixel types every prep stage passes around (no product rules here).

/** 8-bit RGB, row-major HWC, `data.length === width * height * 3`. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** 8-bit single channel (masks: 0 = background, 255 = foreground), `data.length === width * height`. */
export interface GrayImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Axis-aligned box in pixels; `x`, `y` top-left. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}
