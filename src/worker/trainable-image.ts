// src/worker/trainable-image.ts — whether the trainer trains on a dataset image: the worker's rule
// (trainer/toonlora_trainer/data.py _decode_problem: PIL opens the file and decodes all of it) applied on this
// side, so `train --dry-run` counts the images the run trains and names each one it leaves out. sharp decodes
// what PIL decodes (a file cut off anywhere fails in both); BMP, which PIL reads and sharp cannot, is checked
// from its header: a known layout and all the pixel rows it declares.
import { open } from 'node:fs/promises';
import { decodeFully, readImageHeader } from '../vision/sharp-io.js';

/** What the check found: why the trainer leaves the image out (null: it trains it) and its size as seen. */
export interface ImageCheck {
  /** The reason, as `<path>: cannot read image (<reason>)` words it; null when the image decodes. */
  readonly problem: string | null;
  /** Width and height with the EXIF orientation applied (what picks its aspect-ratio bucket); null when unknown. */
  readonly size: readonly [number, number] | null;
}

/**
 * PIL refuses an image of more than twice Image.MAX_IMAGE_PIXELS (89,478,485) as a decompression bomb before
 * decoding it (DecompressionBombError, which the trainer catches and leaves the image out for).
 */
export const PIL_BOMB_PIXELS = 2 * 89_478_485;
/** EXIF orientations that turn the stored pixels a quarter turn (data.py QUARTER_TURN_ORIENTATIONS). */
const QUARTER_TURNS = new Set([5, 6, 7, 8]);

/** Checks `path` as the trainer's scan does; never throws (an unreadable file is a problem, named). */
export async function checkTrainableImage(path: string): Promise<ImageCheck> {
  let head: Buffer;
  let fileSize: number;
  try {
    const file = await open(path, 'r');
    try {
      fileSize = (await file.stat()).size;
      head = Buffer.alloc(Math.min(fileSize, 64));
      await file.read(head, 0, head.length, 0);
    } finally {
      await file.close();
    }
  } catch (error) {
    return { problem: (error as Error).message, size: null };
  }
  if (head[0] === 0x42 && head[1] === 0x4d) return checkBmp(head, fileSize);
  let size: readonly [number, number];
  try {
    const header = await readImageHeader(path);
    const pixels = header.width * header.height;
    if (pixels > PIL_BOMB_PIXELS) {
      return {
        problem: `Image size (${pixels} pixels) exceeds limit of ${PIL_BOMB_PIXELS} pixels, could be decompression bomb DOS attack.`,
        size: null,
      };
    }
    const turned = QUARTER_TURNS.has(header.orientation);
    size = turned ? [header.height, header.width] : [header.width, header.height];
    await decodeFully(path);
  } catch (error) {
    return { problem: sharpReason(error), size: null };
  }
  return { problem: null, size };
}

/** sharp's message on one line, without libvips' `VipsForeignLoad...:` prefixes repeated on every line. */
function sharpReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return [...new Set(lines)].join('; ') || 'not an image';
}

/** BITMAPCOREHEADER (OS/2 1.x) and the Windows BITMAPINFOHEADER sizes PIL's BmpImagePlugin reads. */
const BMP_HEADER_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);
const BMP_DEPTHS = new Set([1, 2, 4, 8, 16, 24, 32]);
/** BI_RGB and BI_BITFIELDS: uncompressed rows, so the file size tells a cut-off file. */
const BMP_UNCOMPRESSED = new Set([0, 3]);
/** BI_RLE8 and BI_RLE4: decoded by PIL; their length is only known by decoding them, so they count. */
const BMP_RLE = new Set([1, 2]);

/** A BMP as PIL reads it (BmpImagePlugin): a known header, depth and compression, and every row in the file. */
function checkBmp(head: Buffer, fileSize: number): ImageCheck {
  if (head.length < 26) return { problem: 'image file is truncated', size: null };
  const headerSize = head.readUInt32LE(14);
  if (!BMP_HEADER_SIZES.has(headerSize)) {
    return { problem: `Unsupported BMP header type (${headerSize})`, size: null };
  }
  const core = headerSize === 12;
  if (head.length < (core ? 26 : 34)) return { problem: 'image file is truncated', size: null };
  const width = core ? head.readUInt16LE(18) : head.readInt32LE(18);
  const height = Math.abs(core ? head.readInt16LE(20) : head.readInt32LE(22));
  const depth = head.readUInt16LE(core ? 24 : 28);
  const compression = core ? 0 : head.readUInt32LE(30);
  if (!BMP_DEPTHS.has(depth)) return { problem: `Unsupported BMP pixel depth (${depth})`, size: null };
  if (!BMP_UNCOMPRESSED.has(compression) && !BMP_RLE.has(compression)) {
    return { problem: `Unsupported BMP compression (${compression})`, size: null };
  }
  if (width <= 0 || height === 0) return { problem: `Unsupported BMP size (${width}x${height})`, size: null };
  const rowBytes = Math.ceil((width * depth) / 32) * 4;
  const needed = head.readUInt32LE(10) + rowBytes * height;
  if (BMP_UNCOMPRESSED.has(compression) && fileSize < needed) {
    return { problem: 'image file is truncated', size: null };
  }
  return { problem: null, size: [width, height] };
}
