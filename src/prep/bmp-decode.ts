// src/prep/bmp-decode.ts — a Windows bitmap (.bmp) decoded to 8-bit RGB (pure): sharp (libvips) has no BMP reader,
// and the trainer (Pillow) trains .bmp, so prep and the upload read the kinds screenshot tools and Paint save:
// uncompressed 24-bit, 32-bit (BI_RGB: the 4th byte unused, as Pillow reads it; BI_BITFIELDS with an alpha mask:
// alpha flattened on white, as decodeToRgb flattens other formats) and 8-bit palette images, bottom-up or top-down.
// The pixels are decoded by the bmp-ts package; this file checks the header first and refuses, naming the kind,
// what bmp-ts decodes wrongly (RLE: pixels misplaced; 4-bit odd widths: one row; 16-bit: scaled unlike Pillow)
// and the rest (1-bit, OS/2 headers), so every file it accepts decodes to Pillow's pixels.
import { decode as bmpTsDecode } from 'bmp-ts';
import type { RgbImage } from '../vision/image.js';
import { sniffImageFormat } from '../vision/image-sniff.js';

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

/**
 * The header of the BMP in `bytes` (BITMAPINFOHEADER or a later V4 / V5 header).
 * @throws BmpDecodeError not-bmp (no "BM"), truncated (headers cut off), unsupported (OS/2 header, zero size)
 */
export function readBmpHeader(bytes: Uint8Array): BmpHeader {
  if (sniffImageFormat(bytes) !== 'bmp')
    throw new BmpDecodeError('not a BMP file (no "BM" signature)', 'not-bmp');
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
      `${kind} BMP is not supported (toonlora reads uncompressed 24-bit, 32-bit and 8-bit palette BMP)`,
      'unsupported',
    );
  }
  checkBmpSize(header);
}

/**
 * Refuses a size no BMP has (a width of 0 or below, a height of 0): checked before any size limit, so a width of
 * -100 is named as such, not as an image too small.
 * @throws BmpDecodeError unsupported
 */
export function checkBmpSize(header: Pick<BmpHeader, 'width' | 'height'>): void {
  if (header.width <= 0 || header.height === 0) {
    throw new BmpDecodeError(`BMP declares ${header.width}x${header.height} pixels`, 'unsupported');
  }
}

/**
 * Where bmp-ts starts reading pixels: right after the headers, the BI_BITFIELDS masks of a 40-byte header and
 * the palette (it does not follow the file's pixel-data offset).
 */
function pixelsStartFor(header: BmpHeader): number {
  const masks = header.infoSize === 40 && header.compression === BI_BITFIELDS ? 12 : 0;
  const alphaMask = header.infoSize === 40 && header.compression === BI_ALPHABITFIELDS ? 16 : 0;
  const paletteEntries =
    header.bitsPerPixel <= 8 || header.paletteSize > 0
      ? header.paletteSize === 0
        ? 2 ** header.bitsPerPixel
        : header.paletteSize
      : 0;
  return 14 + header.infoSize + masks + alphaMask + paletteEntries * 4;
}

/**
 * The file as bmp-ts reads it: a gap between the palette and the pixel-data offset (some writers leave one)
 * removed, and a BI_RGB file's V2+ mask fields set to the standard BGR masks (the format says they are ignored
 * there; bmp-ts would apply them, and zeros give black).
 */
function forBmpTs(bytes: Uint8Array, header: BmpHeader): Buffer {
  const start = pixelsStartFor(header);
  if (start > header.dataOffset) {
    throw new BmpDecodeError('BMP pixel data offset points inside its headers', 'unsupported');
  }
  const ignoredMasks = header.compression === BI_RGB && header.infoSize > 40;
  if (start === header.dataOffset && !ignoredMasks) {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  const head = Buffer.from(bytes.subarray(0, start)); // a copy: the caller's bytes stay as they are
  if (ignoredMasks) {
    head.writeUInt32LE(0x00ff0000, 54);
    head.writeUInt32LE(0x0000ff00, 58);
    head.writeUInt32LE(0x000000ff, 62);
    if (header.infoSize >= 56) head.writeUInt32LE(0, 66);
  }
  return Buffer.concat([head, bytes.subarray(header.dataOffset)]);
}

/** bmp-ts's decode, its errors (it reads past the end as a RangeError) as a BmpDecodeError. */
function decodeAbgr(bytes: Buffer): Uint8Array {
  try {
    return bmpTsDecode(bytes).data;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new BmpDecodeError(`BMP cannot be decoded (${reason})`, 'truncated');
  }
}

/**
 * Decodes the BMP in `bytes` to 8-bit RGB, rows top to bottom. An alpha channel (32-bit with an alpha mask) is
 * flattened on white; one that is 0 everywhere is taken as unused (writers that fill it with 0 mean opaque).
 * @throws BmpDecodeError (see readBmpHeader; truncated when the palette or pixel rows are cut off)
 */
export function decodeBmp(bytes: Uint8Array): RgbImage {
  const header = readBmpHeader(bytes);
  checkSupported(header);
  const { width, height, bitsPerPixel } = header;
  const stride = Math.ceil((width * bitsPerPixel) / 32) * 4;
  if (pixelsStartFor(header) > bytes.length) throw new BmpDecodeError('BMP palette is cut off', 'truncated');
  if (header.dataOffset + stride * height > bytes.length) {
    throw new BmpDecodeError(
      `BMP pixel data is cut off (${bytes.length} bytes, ${width}x${height} needs ${header.dataOffset + stride * height})`,
      'truncated',
    );
  }
  // bmp-ts's default layout: 4 bytes a pixel, A B G R (A is 255 where the file has no alpha mask)
  const abgr = decodeAbgr(forBmpTs(bytes, header));
  const hasAlpha = bitsPerPixel === 32 && header.masks.a !== 0;
  const pixels = width * height;
  const rgb = new Uint8Array(pixels * 3);
  let anyAlpha = false;
  for (let i = 0; i < pixels; i++) {
    rgb[i * 3] = abgr[i * 4 + 3] ?? 0;
    rgb[i * 3 + 1] = abgr[i * 4 + 2] ?? 0;
    rgb[i * 3 + 2] = abgr[i * 4 + 1] ?? 0;
    if (hasAlpha && abgr[i * 4] !== 0) anyAlpha = true;
  }
  if (anyAlpha) flattenOnWhite(rgb, abgr);
  return { width, height, data: rgb };
}

/** Composites `rgb` over white with the alpha of each ABGR pixel in `abgr`, in place. */
function flattenOnWhite(rgb: Uint8Array, abgr: Uint8Array): void {
  for (let i = 0; i < rgb.length / 3; i++) {
    const a = abgr[i * 4] ?? 255;
    if (a === 255) continue;
    for (let c = 0; c < 3; c++) {
      const at = i * 3 + c;
      rgb[at] = Math.round(((rgb[at] ?? 0) * a + 255 * (255 - a)) / 255);
    }
  }
}
