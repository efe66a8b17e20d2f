// src/prep/decode.ts — prep stage 0: turns one input file into 8-bit sRGB pixels, or a
// TL_ERR_IMAGE_DECODE error that names the file and says why (empty, truncated, not an image,
// too many pixels, too small), so one bad file can be reported and skipped.
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { ToonloraError } from '../errors.js';
import type { RgbImage } from '../vision/image.js';
import { decodeToRgb, type ImageHeader, readImageHeader } from '../vision/sharp-io.js';

/** Images whose shorter side is below this are refused: nothing usable can be cropped at 512 px. */
export const MIN_IMAGE_SIDE_PX = 64;

export interface DecodeOptions {
  /** Largest accepted width x height (prep.maxInputPixels), checked on the header before decoding. */
  readonly maxPixels: number;
  /** Smallest accepted shorter side in pixels; default {@link MIN_IMAGE_SIDE_PX}. */
  readonly minSidePx?: number;
}

/** Why a file could not be decoded; stable strings the manifest records. */
export type DecodeFailure =
  | 'empty'
  | 'not-found'
  | 'not-an-image'
  | 'truncated'
  | 'too-many-pixels'
  | 'too-small';

function decodeError(path: string, reason: DecodeFailure, message: string, cause?: unknown): ToonloraError {
  return new ToonloraError('TL_ERR_IMAGE_DECODE', `${basename(path)}: ${message}`, {
    cause,
    details: { file: path, reason },
  });
}

const READABLE_FORMATS = 'PNG, JPEG, WebP, GIF, TIFF or AVIF';

/** Formats people export screenshots in that sharp (libvips) cannot decode: extension -> name. */
const UNSUPPORTED_FORMATS: Readonly<Record<string, string>> = { '.bmp': 'BMP' };

/** Reads the header; words sharp's "unsupported format" as not-an-image (naming BMP when that is what it is). */
async function readHeaderOrThrow(path: string): Promise<ImageHeader> {
  try {
    return await readImageHeader(path);
  } catch (error) {
    const known = UNSUPPORTED_FORMATS[extname(path).toLowerCase()];
    const message = known
      ? `${known} files are not supported (the image decoder, sharp, has no ${known} reader). Convert it to PNG.`
      : `not an image toonlora can read (${(error as Error).message}). Use ${READABLE_FORMATS}.`;
    throw decodeError(path, 'not-an-image', message, error);
  }
}

/** A decoded image, and how many frames (pages) the file holds: only the first is read. */
export type DecodedImage = RgbImage & { readonly frames: number };

/** A long strip (one side 3+ times the other) is split, not downscaled: its characters would shrink under the minimum. */
export function tooManyPixelsAdvice(width: number, height: number): string {
  const raise =
    'raise it with `maxInputPixels = <pixels>` under `[prep]` in a --config file if the file is genuine';
  if (Math.max(width, height) >= 3 * Math.min(width, height)) {
    return `A long strip (a webtoon episode) is best split into parts of a few thousand pixels each (downscaling it shrinks the characters under the size prep needs), or ${raise}.`;
  }
  return `Downscale the image, or ${raise}.`;
}

/**
 * Decodes `path` to an RGB image: EXIF orientation applied, alpha flattened on white, CMYK / grey /
 * 16-bit converted to 8-bit sRGB, animated files -> first frame (`frames` says how many it has).
 * @throws ToonloraError TL_ERR_IMAGE_DECODE (details.reason is a {@link DecodeFailure}).
 */
export async function decodeImage(path: string, options: DecodeOptions): Promise<DecodedImage> {
  const minSide = options.minSidePx ?? MIN_IMAGE_SIDE_PX;
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    throw decodeError(
      path,
      'not-found',
      `cannot read the file (${(error as NodeJS.ErrnoException).code}).`,
      error,
    );
  }
  if (size === 0)
    throw decodeError(path, 'empty', 'the file is empty (0 bytes). Re-export or re-download it.');

  const header = await readHeaderOrThrow(path);
  // Decompression-bomb guard on the declared size: a 20-byte header can claim 60000x60000.
  const declared = header.width * header.height;
  if (declared > options.maxPixels) {
    throw decodeError(
      path,
      'too-many-pixels',
      `declares ${header.width}x${header.height} = ${declared} pixels, more than the limit of ${options.maxPixels} ` +
        `(prep.maxInputPixels). ${tooManyPixelsAdvice(header.width, header.height)}`,
    );
  }
  if (Math.min(header.width, header.height) < minSide) {
    throw decodeError(
      path,
      'too-small',
      `is ${header.width}x${header.height} pixels; the shorter side must be at least ${minSide} px. Use a larger screenshot.`,
    );
  }

  try {
    // sharp's own limitInputPixels stays on as a second guard (e.g. formats whose header lies).
    return {
      ...(await decodeToRgb(path, { maxPixels: options.maxPixels })),
      frames: Math.max(1, header.pages),
    };
  } catch (error) {
    const message = (error as Error).message;
    const reason: DecodeFailure = /pixel limit/i.test(message) ? 'too-many-pixels' : 'truncated';
    throw decodeError(
      path,
      reason,
      `${header.format} data is truncated or corrupt (${message.split('\n')[0]}). Re-export or re-download it.`,
      error,
    );
  }
}
