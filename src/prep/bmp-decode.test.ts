// Tests for bmp-decode.ts and decode.ts' BMP path: prep reads 24-bit, 32-bit and 8-bit palette BMPs (the trainer
// trains .bmp; before, prep refused every .bmp: "sharp has no BMP reader"). Also decode.ts' firstLine: a corrupt
// HEIC's nine libvips "bad seek to N" lines no longer fill the one-line status and the manifest reason.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToonloraError } from '../errors.js';
import { BmpDecodeError, decodeBmp } from './bmp-decode.js';
import { decodeImage, firstLine } from './decode.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'toonlora-bmp-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The colour of pixel (x, y) of the test pattern: red grows along x, green along y, blue fixed. */
const colour = (x: number, y: number): [number, number, number] => [(x * 3) % 256, (y * 5) % 256, 77];

interface BmpSpec {
  width: number;
  height: number;
  bits: 8 | 24 | 32;
  topDown?: boolean;
  /** 32-bit only: write a V4 header with BI_BITFIELDS masks and this alpha per pixel. */
  alpha?: (x: number, y: number) => number;
  compression?: number;
}

/** A BMP file as Windows writes it (BITMAPINFOHEADER, or V4 with masks), rows padded to 4 bytes. */
function makeBmp(spec: BmpSpec): Buffer {
  const { width, height, bits } = spec;
  const infoSize = spec.alpha ? 108 : 40;
  const paletteBytes = bits === 8 ? 256 * 4 : 0;
  const offset = 14 + infoSize + paletteBytes;
  const stride = Math.ceil((width * bits) / 32) * 4;
  const file = Buffer.alloc(offset + stride * height);
  file.write('BM', 0);
  file.writeUInt32LE(file.length, 2);
  file.writeUInt32LE(offset, 10);
  file.writeUInt32LE(infoSize, 14);
  file.writeInt32LE(width, 18);
  file.writeInt32LE(spec.topDown ? -height : height, 22);
  file.writeUInt16LE(1, 26);
  file.writeUInt16LE(bits, 28);
  file.writeUInt32LE(spec.compression ?? (spec.alpha ? 3 : 0), 30);
  file.writeUInt32LE(stride * height, 34);
  if (spec.alpha) {
    file.writeUInt32LE(0x00ff0000, 54);
    file.writeUInt32LE(0x0000ff00, 58);
    file.writeUInt32LE(0x000000ff, 62);
    file.writeUInt32LE(0xff000000, 66);
  }
  // 8-bit: a grey ramp palette (entry i = grey i), pixel index = (x + y) % 256
  for (let i = 0; i < paletteBytes / 4; i++) file.set([i, i, i, 0], 14 + infoSize + i * 4);
  for (let y = 0; y < height; y++) {
    const row = offset + (spec.topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const [r, g, b] = colour(x, y);
      if (bits === 8) file[row + x] = (x + y) % 256;
      else if (bits === 24) file.set([b, g, r], row + x * 3);
      else file.set([b, g, r, spec.alpha ? spec.alpha(x, y) : 0], row + x * 4);
    }
  }
  return file;
}

function pixel(image: { width: number; data: Uint8Array }, x: number, y: number): number[] {
  const i = (y * image.width + x) * 3;
  return [...image.data.subarray(i, i + 3)];
}

describe('decodeBmp', () => {
  it('24-bit bottom-up, a width whose rows are padded: every pixel in place', () => {
    const image = decodeBmp(makeBmp({ width: 67, height: 65, bits: 24 }));
    expect([image.width, image.height]).toEqual([67, 65]);
    for (const [x, y] of [
      [0, 0],
      [66, 0],
      [0, 64],
      [66, 64],
      [33, 20],
    ] as const)
      expect(pixel(image, x, y), `${x},${y}`).toEqual(colour(x, y));
  });

  it('32-bit BI_RGB (4th byte unused, as Pillow reads it), top-down', () => {
    const image = decodeBmp(makeBmp({ width: 64, height: 66, bits: 32, topDown: true }));
    expect(pixel(image, 10, 0)).toEqual(colour(10, 0));
    expect(pixel(image, 63, 65)).toEqual(colour(63, 65));
  });

  it('32-bit BI_BITFIELDS with alpha: flattened on white, as other formats are', () => {
    const half = makeBmp({ width: 64, height: 64, bits: 32, alpha: (x) => (x < 32 ? 255 : 0) });
    const image = decodeBmp(half);
    expect(pixel(image, 5, 5)).toEqual(colour(5, 5)); // opaque
    expect(pixel(image, 40, 5)).toEqual([255, 255, 255]); // transparent: white
    // an alpha of 0 everywhere means "unused" (writers that never fill it): the colours, not a white image
    const unused = decodeBmp(makeBmp({ width: 64, height: 64, bits: 32, alpha: () => 0 }));
    expect(pixel(unused, 40, 5)).toEqual(colour(40, 5));
  });

  it('8-bit palette', () => {
    const image = decodeBmp(makeBmp({ width: 70, height: 64, bits: 8 }));
    expect(pixel(image, 3, 4)).toEqual([7, 7, 7]);
    expect(pixel(image, 69, 63)).toEqual([132, 132, 132]);
  });

  it('RLE and cut-off files are refused saying what they are', () => {
    expect(() => decodeBmp(makeBmp({ width: 64, height: 64, bits: 8, compression: 1 }))).toThrow(
      /RLE-compressed 8-bit BMP is not supported/,
    );
    const cut = makeBmp({ width: 64, height: 64, bits: 24 }).subarray(0, 3000);
    expect(() => decodeBmp(cut)).toThrow(BmpDecodeError);
    expect(() => decodeBmp(cut)).toThrow(/pixel data is cut off/);
  });
});

describe('decodeImage of a .bmp (prep)', () => {
  it('decodes 24-bit and 32-bit BMP files as it does PNG', async () => {
    for (const bits of [24, 32] as const) {
      const path = join(dir, `scan${bits}.bmp`);
      await writeFile(path, makeBmp({ width: 96, height: 80, bits }));
      const image = await decodeImage(path, { maxPixels: 40_000_000 });
      expect([image.width, image.height, image.frames]).toEqual([96, 80, 1]);
      expect(pixel(image, 50, 70)).toEqual(colour(50, 70));
    }
  });

  it('keeps the size checks and words a damaged BMP as truncated', async () => {
    const big = join(dir, 'big.bmp');
    await writeFile(big, makeBmp({ width: 200, height: 100, bits: 24 }));
    await expect(decodeImage(big, { maxPixels: 10_000 })).rejects.toMatchObject({
      details: { reason: 'too-many-pixels' },
    });
    const small = join(dir, 'small.bmp');
    await writeFile(small, makeBmp({ width: 32, height: 100, bits: 24 }));
    await expect(decodeImage(small, { maxPixels: 40_000_000 })).rejects.toMatchObject({
      details: { reason: 'too-small' },
    });
    const cut = join(dir, 'cut.bmp');
    await writeFile(cut, makeBmp({ width: 96, height: 96, bits: 24 }).subarray(0, 5000));
    const error = await decodeImage(cut, { maxPixels: 40_000_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToonloraError);
    expect(error).toMatchObject({ code: 'TL_ERR_IMAGE_DECODE', details: { reason: 'truncated', file: cut } });
    expect((error as Error).message).toMatch(
      /^cut\.bmp: BMP data is truncated or corrupt \(BMP pixel data is cut off/,
    );
  });

  it('names a BMP declaring a negative width as the upload does, not as too small', async () => {
    const path = join(dir, 'negw.bmp');
    const bytes = makeBmp({ width: 100, height: 100, bits: 24 });
    bytes.writeInt32LE(-100, 18);
    await writeFile(path, bytes);
    await expect(decodeImage(path, { maxPixels: 40_000_000 })).rejects.toMatchObject({
      message: 'negw.bmp: BMP declares -100x100 pixels. Convert it to PNG.',
      details: { reason: 'unsupported-format' },
    });
  });
});

describe('firstLine', () => {
  it("a corrupt HEIC's libvips message: the header line and the cause, no bad-seek lines", () => {
    const file = '/tmp/in/F.heic';
    const seeks = [512, 256, 128, 120, 116, 114, 113].map((n) => `${file}: bad seek to ${n}`);
    const message = [
      `Input file has corrupt header: ${file}: bad seek to 1024`,
      ...seeks,
      'heif: Invalid input: Unspecified: No meta box found (2.0)',
      '',
    ].join('\n');
    expect(firstLine(message)).toBe(
      'Input file has corrupt header: heif: Invalid input: Unspecified: No meta box found (2.0)',
    );
  });

  it('a one-line message stays as it is; of several plain lines, the first', () => {
    expect(firstLine('Input buffer contains unsupported image format')).toBe(
      'Input buffer contains unsupported image format',
    );
    expect(firstLine('VipsJpeg: Premature end of input file\nread gave 2 warnings')).toBe(
      'VipsJpeg: Premature end of input file',
    );
  });
});
