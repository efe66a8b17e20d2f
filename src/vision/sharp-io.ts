// src/vision/sharp-io.ts — the only module that imports sharp: reads image headers, decodes files to
// 8-bit sRGB pixels, resizes, and writes PNGs. No product rules (limits, messages) live here.
import sharp, { type Sharp } from 'sharp';
import type { GrayImage, RgbImage } from './image.js';
import { withVipsErrorText } from './vips-error-retry.js';

/** What an image's header declares, read without decoding the pixels. */
export interface ImageHeader {
  /** sharp's format name (`png`, `jpeg`, `webp`, `gif`, `heif`, `svg`, ...). */
  readonly format: string;
  /** How a HEIF file's image is coded (`av1` for AVIF, `hevc` for an iPhone HEIC); undefined for other formats. */
  readonly compression?: string;
  /** Stored width and height in pixels (before EXIF orientation). */
  readonly width: number;
  readonly height: number;
  /** EXIF orientation 1-8 (1 when absent). */
  readonly orientation: number;
  /** Frames in an animated / multi-page file (1 when not animated). */
  readonly pages: number;
  /** Colour space as libvips names it (`srgb`, `cmyk`, `b-w`, `rgb16`, `grey16`). */
  readonly space: string;
  readonly channels: number;
  readonly hasAlpha: boolean;
}

/**
 * Reads the header of an image file or buffer; throws sharp's error when it is not an image (its text kept when
 * other reads run at once: vips-error-retry.ts).
 */
export async function readImageHeader(input: string | Buffer): Promise<ImageHeader> {
  // limitInputPixels off here: the header is only read, and the caller compares the size itself.
  const meta = await withVipsErrorText(() => sharp(input, { limitInputPixels: false }).metadata());
  return {
    format: meta.format ?? 'unknown',
    ...(meta.compression ? { compression: meta.compression } : {}),
    width: meta.width ?? 0,
    height: meta.height ?? 0,
    orientation: meta.orientation ?? 1,
    pages: meta.pages ?? 1,
    space: meta.space ?? 'unknown',
    channels: meta.channels ?? 0,
    hasAlpha: meta.hasAlpha ?? false,
  };
}

export interface DecodeRgbOptions {
  /** Refuse images with more pixels than this (sharp's `limitInputPixels`, checked before decoding). */
  readonly maxPixels: number;
  /** Background the alpha channel is flattened on, 0..255 per channel. Default white. */
  readonly background?: { r: number; g: number; b: number };
}

/**
 * Decodes the first frame of an image to 8-bit sRGB: EXIF orientation applied, alpha flattened,
 * CMYK / grey / 16-bit converted. Throws sharp's error unchanged (the caller words it), its text kept when other
 * reads run at once (vips-error-retry.ts).
 */
export async function decodeToRgb(input: string | Buffer, options: DecodeRgbOptions): Promise<RgbImage> {
  const { data, info } = await withVipsErrorText(() =>
    sharp(input, {
      limitInputPixels: options.maxPixels,
      failOn: 'error',
      pages: 1,
      autoOrient: true,
    })
      .flatten({ background: options.background ?? { r: 255, g: 255, b: 255 } })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true }),
  );
  const pixels = new Uint8Array(data.buffer, data.byteOffset, data.length);
  if (info.channels === 3) return { width: info.width, height: info.height, data: pixels };
  return { width: info.width, height: info.height, data: expandToRgb(pixels, info.channels) };
}

/** Packs 1- or 2-channel (grey, grey+alpha) pixels into RGB; 4-channel drops the 4th. */
function expandToRgb(src: Uint8Array, channels: number): Uint8Array {
  const count = src.length / channels;
  const out = new Uint8Array(count * 3);
  for (let i = 0; i < count; i++) {
    const base = i * channels;
    const grey = channels < 3;
    out[i * 3] = src[base] ?? 0;
    out[i * 3 + 1] = grey ? (src[base] ?? 0) : (src[base + 1] ?? 0);
    out[i * 3 + 2] = grey ? (src[base] ?? 0) : (src[base + 2] ?? 0);
  }
  return out;
}

function channelsOf(image: RgbImage | GrayImage): 1 | 3 {
  const channels = image.data.length / (image.width * image.height);
  if (channels !== 1 && channels !== 3) {
    throw new RangeError(
      `image data: expected width*height*1 or *3 bytes, got ${image.data.length} for ${image.width}x${image.height}`,
    );
  }
  return channels;
}

/** sharp pipeline over raw RGB or gray pixels. */
function fromRaw(image: RgbImage | GrayImage): Sharp {
  const channels = channelsOf(image);
  const pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels } });
  // Without this, libvips writes gray masks as 3-channel files (3x larger PNGs).
  return channels === 1 ? pipeline.toColourspace('b-w') : pipeline;
}

/** Encodes an RGB or gray image as PNG (compression 6: ~3x faster than 9, files ~5% larger). */
export async function encodePngBuffer(image: RgbImage | GrayImage, compressionLevel = 6): Promise<Buffer> {
  return fromRaw(image).png({ compressionLevel }).toBuffer();
}

/** Writes an RGB or gray image to `path` as PNG (overwrites; callers decide whether that is allowed). */
export async function encodePng(
  image: RgbImage | GrayImage,
  path: string,
  compressionLevel = 6,
): Promise<void> {
  await fromRaw(image).png({ compressionLevel }).toFile(path);
}

/** Writes an RGB image to `path` as JPEG at the given quality 1-100. */
export async function encodeJpeg(image: RgbImage, path: string, quality = 90): Promise<void> {
  await fromRaw(image).jpeg({ quality, mozjpeg: true }).toFile(path);
}

/**
 * Resizes an RGB image to exactly `width` x `height` (no aspect handling) with libvips (native, SIMD):
 * `lanczos3` for shrinking, `cubic` for enlarging, `linear` where speed beats sharpness.
 */
export async function resizeRgb(
  image: RgbImage,
  width: number,
  height: number,
  kernel: 'linear' | 'cubic' | 'lanczos3' = 'linear',
): Promise<RgbImage> {
  if (image.width === width && image.height === height) return image;
  const { data, info } = await fromRaw(image)
    .resize(width, height, { fit: 'fill', kernel })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}

/** Rasterises an SVG document to RGB pixels on a white background (text needs installed fonts). */
export async function renderSvgToRgb(svg: string): Promise<RgbImage> {
  const { data, info } = await sharp(Buffer.from(svg))
    .flatten({ background: '#ffffff' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}

/** A rectangle in an image's pixels (after EXIF orientation). */
export interface PixelRegion {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Cuts `region` out of the first frame of an image file (EXIF orientation applied first, as decodeToRgb does)
 * and encodes it as PNG. The region must lie inside the image; throws sharp's error otherwise.
 */
export async function extractRegionPng(input: string | Buffer, region: PixelRegion): Promise<Buffer> {
  return sharp(input, { limitInputPixels: false, pages: 1, autoOrient: true })
    .extract({ left: region.x, top: region.y, width: region.width, height: region.height })
    .png()
    .toBuffer();
}
