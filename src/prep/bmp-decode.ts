// src/prep/bmp-decode.ts — a Windows bitmap (.bmp) decoded to 8-bit RGB (pure): sharp (libvips) has no BMP reader,
// and the trainer (Pillow) trains .bmp, so prep reads the kinds screenshot tools and Paint save: uncompressed 24-bit,
// 32-bit (BI_RGB: the 4th byte unused, as Pillow reads it; BI_BITFIELDS with an alpha mask: alpha flattened on white,
// as decodeToRgb flattens other formats) and 8-bit palette images, bottom-up or top-down. RLE and 1/4/16-bit files
// are refused naming what they are.
import type { RgbImage } from '../vision/image.js';

/** The fields of a BMP's headers that decoding needs. */
export interface BmpHeader {
  readonly width: number;
  readonly height: number;
  readonly bitsPerPixel: number;
  /** 0 BI_RGB, 1 BI_RLE8, 2 BI_RLE4, 3 BI_BITFIELDS, 6 BI_ALPHABITFIELDS. */
  readonly compression: number;
  readonly topDown: boolean;
  readonly dataOffset: number;
  readonly infoSize: number;
  readonly paletteSize: number;
  readonly masks: { readonly r: number; readonly g: number; readonly b: number; readonly a: number };
}

/** A BMP this decoder cannot read, or a damaged one; the message says which, without the file name. */
export class BmpDecodeError extends Error {
  constructor(
    message: string,
    readonly kind: 'unsupported' | 'truncated' | 'not-bmp',
  ) {
    super(message);
  }
}

const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;

/** Whether `bytes` start with the BMP signature "BM". */
export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

/**
 * The header of the BMP in `bytes` (BITMAPINFOHEADER or a later V4 / V5 header).
 * @throws BmpDecodeError not-bmp (no "BM"), truncated (headers cut off), unsupported (OS/2 header, zero size)
 */
export function readBmpHeader(bytes: Uint8Array): BmpHeader {
  if (!isBmp(bytes)) throw new BmpDecodeError('not a BMP file (no "BM" signature)', 'not-bmp');
  if (bytes.length < 26) throw new BmpDecodeError('BMP header is cut off', 'truncated');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const infoSize = view.getUint32(14, true);
  if (infoSize < 40) {
    throw new BmpDecodeError(`BMP with an OS/2 ${infoSize}-byte header is not supported`, 'unsupported');
  }
  if (bytes.length < 14 + infoSize) throw new BmpDecodeError('BMP header is cut off', 'truncated');
  const rawHeight = view.getInt32(22, true);
  const compression = view.getUint32(30, true);
  const bitsPerPixel = view.getUint16(28, true);
  // BI_BITFIELDS masks follow a 40-byte header, or sit inside a V4 / V5 one; an alpha mask only in V4+ / ALPHABITFIELDS
  const maskCount = compression === BI_ALPHABITFIELDS || infoSize >= 56 ? 4 : 3;
  const hasMasks = compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS;
  if (hasMasks && bytes.length < 54 + maskCount * 4)
    throw new BmpDecodeError('BMP masks are cut off', 'truncated');
  const mask = (i: number) => (hasMasks && i < maskCount ? view.getUint32(54 + i * 4, true) : 0);
  return {
    width: view.getInt32(18, true),
    height: Math.abs(rawHeight),
    bitsPerPixel,
    compression,
    topDown: rawHeight < 0,
    dataOffset: view.getUint32(10, true),
    infoSize,
    paletteSize: view.getUint32(46, true),
    masks: { r: mask(0), g: mask(1), b: mask(2), a: mask(3) },
  };
}

/** The value of `pixel` under `mask`, scaled to 0..255 (a 0 mask gives undefined). */
function channel(pixel: number, mask: number): number | undefined {
  if (mask === 0) return undefined;
  const shift = 31 - Math.clz32(mask & -mask); // the mask's trailing zero bits
  const bits = 32 - Math.clz32(mask >>> shift);
  const max = 2 ** bits - 1;
  return Math.round((((pixel & mask) >>> shift) / max) * 255);
}

/** A pixel's BGR(A) bytes in a 32-bit row, read through the header's masks (BI_RGB: B, G, R, unused). */
function pixel32(header: BmpHeader, word: number): [number, number, number, number | undefined] {
  if (header.compression === BI_RGB) return [(word >>> 16) & 255, (word >>> 8) & 255, word & 255, undefined];
  const { masks } = header;
  return [
    channel(word, masks.r) ?? 0,
    channel(word, masks.g) ?? 0,
    channel(word, masks.b) ?? 0,
    channel(word, masks.a),
  ];
}

function checkSupported(header: BmpHeader): void {
  const { bitsPerPixel: bits, compression } = header;
  const ok =
    (bits === 24 && compression === BI_RGB) ||
    (bits === 32 &&
      (compression === BI_RGB || compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS)) ||
    (bits === 8 && compression === BI_RGB);
  if (!ok) {
    const kind = compression === 1 || compression === 2 ? `RLE-compressed ${bits}-bit` : `${bits}-bit`;
    throw new BmpDecodeError(
      `${kind} BMP is not supported (prep reads uncompressed 24-bit, 32-bit and 8-bit palette BMP)`,
      'unsupported',
    );
  }
  if (header.width <= 0 || header.height === 0) {
    throw new BmpDecodeError(`BMP declares ${header.width}x${header.height} pixels`, 'unsupported');
  }
}

/**
 * Decodes the BMP in `bytes` to 8-bit RGB, rows top to bottom. An alpha channel (32-bit with an alpha mask) is
 * flattened on white; one that is 0 everywhere is taken as unused (writers that fill it with 0 mean opaque).
 * @throws BmpDecodeError (see readBmpHeader; truncated when the pixel rows are cut off)
 */
export function decodeBmp(bytes: Uint8Array): RgbImage {
  const header = readBmpHeader(bytes);
  checkSupported(header);
  const { width, height, bitsPerPixel } = header;
  const stride = Math.ceil((width * bitsPerPixel) / 32) * 4;
  if (header.dataOffset + stride * height > bytes.length) {
    throw new BmpDecodeError(
      `BMP pixel data is cut off (${bytes.length} bytes, ${width}x${height} needs ${header.dataOffset + stride * height})`,
      'truncated',
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const palette = bitsPerPixel === 8 ? readPalette(bytes, header) : undefined;
  const rgb = new Uint8Array(width * height * 3);
  const alpha = new Uint8Array(width * height).fill(255);
  let anyAlpha = false;
  for (let y = 0; y < height; y++) {
    const row = header.dataOffset + (header.topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const out = (y * width + x) * 3;
      if (palette) {
        const index = (bytes[row + x] ?? 0) * 3;
        rgb.set(palette.subarray(index, index + 3), out);
      } else if (bitsPerPixel === 24) {
        const at = row + x * 3;
        rgb[out] = bytes[at + 2] ?? 0;
        rgb[out + 1] = bytes[at + 1] ?? 0;
        rgb[out + 2] = bytes[at] ?? 0;
      } else {
        const [r, g, b, a] = pixel32(header, view.getUint32(row + x * 4, true));
        rgb[out] = r;
        rgb[out + 1] = g;
        rgb[out + 2] = b;
        if (a !== undefined) {
          alpha[y * width + x] = a;
          anyAlpha ||= a !== 0;
        }
      }
    }
  }
  if (anyAlpha) flattenOnWhite(rgb, alpha);
  return { width, height, data: rgb };
}

/** The 8-bit image's palette as RGB triples (256 entries; missing ones black). */
function readPalette(bytes: Uint8Array, header: BmpHeader): Uint8Array {
  const entries = header.paletteSize === 0 ? 256 : Math.min(header.paletteSize, 256);
  const start = 14 + header.infoSize;
  if (start + entries * 4 > bytes.length) throw new BmpDecodeError('BMP palette is cut off', 'truncated');
  const palette = new Uint8Array(256 * 3);
  for (let i = 0; i < entries; i++) {
    palette[i * 3] = bytes[start + i * 4 + 2] ?? 0;
    palette[i * 3 + 1] = bytes[start + i * 4 + 1] ?? 0;
    palette[i * 3 + 2] = bytes[start + i * 4] ?? 0;
  }
  return palette;
}

/** Composites `rgb` over white with `alpha` (0..255), in place. */
function flattenOnWhite(rgb: Uint8Array, alpha: Uint8Array): void {
  for (let i = 0; i < alpha.length; i++) {
    const a = alpha[i] ?? 255;
    if (a === 255) continue;
    for (let c = 0; c < 3; c++) {
      const at = i * 3 + c;
      rgb[at] = Math.round(((rgb[at] ?? 0) * a + 255 * (255 - a)) / 255);
    }
  }
}
