// src/vision/opencv.ts — the only module that loads OpenCV (WASM build `@techstark/opencv-js`).
// Loads it once, and converts between toonlora's pixel types and cv.Mat. Callers own the Mats
// they get and must `.delete()` them (WASM heap); `withMats` does that for them.
import { createRequire } from 'node:module';
import type { GrayImage, RgbImage } from './image.js';

// The package ships loose types; the surface toonlora uses is typed at the call sites.
// biome-ignore lint/suspicious/noExplicitAny: OpenCV.js has no usable type declarations for Node.
export type OpenCv = any;
// biome-ignore lint/suspicious/noExplicitAny: see above.
export type Mat = any;

let loading: Promise<OpenCv> | undefined;

/**
 * Resolves to the ready OpenCV module (first call ~0.5-1 s to compile the WASM).
 * The module object is a thenable: resolving a Promise with it would hang forever, so its `then`
 * is removed once the runtime is initialised (DEPENDENCY-NOTES.md).
 */
export function loadOpenCv(): Promise<OpenCv> {
  loading ??= new Promise<OpenCv>((resolve, reject) => {
    const require = createRequire(import.meta.url);
    const cv: OpenCv = require('@techstark/opencv-js');
    const ready = (): void => {
      if (typeof cv.then === 'function') delete cv.then;
      resolve(cv);
    };
    if (cv.Mat) ready();
    else cv.onRuntimeInitialized = ready;
    setTimeout(() => reject(new Error('OpenCV (WASM) did not initialise within 60 s')), 60_000).unref();
  });
  return loading;
}

/** RGB image -> new CV_8UC3 Mat (caller deletes). */
export function matFromRgb(cv: OpenCv, image: RgbImage): Mat {
  const mat = new cv.Mat(image.height, image.width, cv.CV_8UC3);
  mat.data.set(image.data);
  return mat;
}

/** Gray image -> new CV_8UC1 Mat (caller deletes). */
export function matFromGray(cv: OpenCv, image: GrayImage): Mat {
  const mat = new cv.Mat(image.height, image.width, cv.CV_8UC1);
  mat.data.set(image.data);
  return mat;
}

/** CV_8UC3 Mat -> RGB image (copies the pixels out of the WASM heap). */
export function rgbFromMat(mat: Mat): RgbImage {
  return { width: mat.cols, height: mat.rows, data: new Uint8Array(mat.data) };
}

/** CV_8UC1 Mat -> gray image (copies). */
export function grayFromMat(mat: Mat): GrayImage {
  return { width: mat.cols, height: mat.rows, data: new Uint8Array(mat.data) };
}

/** Runs `work` and deletes every Mat it registered through `keep`, also when it throws. */
export async function withMats<T>(work: (keep: <M extends Mat>(mat: M) => M) => T | Promise<T>): Promise<T> {
  const mats: Mat[] = [];
  try {
    return await work((mat) => {
      mats.push(mat);
      return mat;
    });
  } finally {
    for (const mat of mats) if (!mat.isDeleted()) mat.delete();
  }
}
