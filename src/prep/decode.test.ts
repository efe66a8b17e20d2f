// src/prep/decode.test.ts — decodeImage on the bad inputs of issue 4 ("Bad input") and on the
// colour / orientation / animation cases it must normalise. Fixtures are made with sharp in a temp dir.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pngHeaderOnly } from '../../test/helpers/png-header.js';
import { ToonloraError } from '../errors.js';
import type { RgbImage } from '../vision/image.js';
import { decodeImage } from './decode.js';

const MAX_PIXELS = 40_000_000;
/** The ftyp and meta boxes of a real 1024x1024 iPhone-style HEIC (HEVC-coded), 372 bytes. */
const HEVC_HEIC_HEADER =
  '0000001c6674797068656963000000006d696631686569636d696166000001586d657461000000000000002168646c72' +
  '0000000000000000706963740000000000000000000000000000000022696c6f630000000044400001000100000000017c' +
  '000100000000000111e60000002369696e6600000000000100000015696e6665020000000001000068766331000000000e' +
  '7069746d000000000001000000d869707270000000b96970636f0000007a6876634301037000000090000000000078f000' +
  'fcfdf8f800000f03600001001840010c01ffff037000000300900000030000030078ba0240610001002d42010103700000' +
  '0300900000030000030078a0020080100596ea4929ae6e021a0c0800000300c800000300084062000100074401c172b062' +
  '4000000013636f6c726e636c780001000d000680000000146973706500000000000004000000040000000010706978690000' +
  '0000030808080000001769706d61000000000000000100010481020304';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'toonlora-decode-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Top half red, bottom half blue, `w` x `h`. */
function twoTone(w: number, h: number): Buffer {
  const data = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set(i < (w * h) / 2 ? [220, 20, 20] : [20, 20, 220], i * 3);
  return data;
}

function pixel(image: RgbImage, x: number, y: number): number[] {
  const i = (y * image.width + x) * 3;
  return [...image.data.subarray(i, i + 3)];
}

async function expectDecodeError(path: string, reason: string, text: RegExp): Promise<void> {
  const error = await decodeImage(path, { maxPixels: MAX_PIXELS }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ToonloraError);
  const te = error as ToonloraError;
  expect(te.code).toBe('TL_ERR_IMAGE_DECODE');
  expect(te.details.reason).toBe(reason);
  expect(te.details.file).toBe(path);
  expect(te.message).toMatch(text);
}

describe('decodeImage: bad input gets a per-file reason', () => {
  it('zero-byte file', async () => {
    const path = join(dir, 'empty.png');
    await writeFile(path, Buffer.alloc(0));
    await expectDecodeError(path, 'empty', /^empty\.png: the file is empty \(0 bytes\)/);
  });

  it('missing file', async () => {
    await expectDecodeError(
      join(dir, 'nope.png'),
      'not-found',
      /nope\.png: cannot read the file: no such file or folder \(ENOENT\)/,
    );
  });

  it('non-image data with a .png name', async () => {
    const path = join(dir, 'notes.png');
    await writeFile(path, 'this is a text file, not a picture\n'.repeat(20));
    await expectDecodeError(
      path,
      'not-an-image',
      /^notes\.png: it looks like a text file, not an image \(its first line reads "this is a text file, not a pictu…"\)\. Use PNG, JPEG/,
    );
  });

  it('a text file: its first line quoted safely (control and bidirectional characters as ?), or said blank', async () => {
    const path = join(dir, 'sneaky.png');
    await writeFile(path, '\uFEFF  evil\u202Egnp.exe\x7f\x1b[2J\there\nsecond line\n');
    await expectDecodeError(
      path,
      'not-an-image',
      /^sneaky\.png: its bytes are not an image \(it starts with the bytes ef bb bf 20 20 65 76 69, no image format's\)/,
    );
    await writeFile(path, '  evil\u202Egnp.exe\x7f\ttab\r\nsecond line\n');
    await expectDecodeError(
      path,
      'not-an-image',
      /^sneaky\.png: it looks like a text file, not an image \(its first line reads "evil\?gnp\.exe\? tab"\)\. Use PNG/,
    );
    await writeFile(path, ' \n\n\t\n');
    await expectDecodeError(
      path,
      'not-an-image',
      /^sneaky\.png: it looks like a text file, not an image \(it holds only blank lines at its start\)\. Use PNG/,
    );
  });

  it('an image in a format sharp does not read is named, not called "not an image"', async () => {
    const formats: Array<[string, string, Buffer]> = [
      [
        'layers.psd',
        'a Photoshop PSD image',
        Buffer.concat([Buffer.from('8BPS\0\x01', 'latin1'), Buffer.alloc(200)]),
      ],
      [
        'panel.jxl',
        'a JPEG XL image',
        Buffer.concat([Buffer.from([0xff, 0x0a, 0xfa, 0x1f]), Buffer.alloc(200, 7)]),
      ],
      [
        'boxed.jxl',
        'a JPEG XL image',
        Buffer.concat([Buffer.from('0000000c4a584c200d0a870a', 'hex'), Buffer.alloc(200)]),
      ],
      [
        'icon.ico',
        'an ICO image',
        Buffer.concat([Buffer.from([0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0]), Buffer.alloc(200)]),
      ],
      [
        'fast.qoi',
        'a QOI image',
        Buffer.concat([
          Buffer.from('qoif'),
          Buffer.from([0, 0, 0, 64, 0, 0, 0, 64, 3, 0]),
          Buffer.alloc(200),
        ]),
      ],
    ];
    for (const [name, what, bytes] of formats) {
      const path = join(dir, name);
      await writeFile(path, bytes);
      await expectDecodeError(
        path,
        'unsupported-format',
        new RegExp(
          `^${name.replace('.', '\\.')}: ${what}; prep takes PNG, JPEG, WebP, GIF, TIFF, AVIF or BMP: convert it to PNG\\.$`,
        ),
      );
    }
  });

  it('data that is no image and no text with a .png name: its first bytes named', async () => {
    const path = join(dir, 'blob.png');
    await writeFile(path, Buffer.from([0, 1, 2, 0xfe, 0xff, 9, 8, 7, 6, 5, ...new Array(200).fill(0)]));
    await expectDecodeError(
      path,
      'not-an-image',
      /^blob\.png: its bytes are not an image \(it starts with the bytes 00 01 02 fe ff 09 08 07, no image format's\)\. Use PNG/,
    );
  });

  // BMP files decode (bmp-decode.ts): tested in bmp-decode.test.ts

  it('an iPhone HEIC (HEVC-coded, which this sharp cannot decode) is named a format prep does not read', async () => {
    // the ftyp and meta boxes of a 1024x1024 HEVC HEIC, then an empty mdat: its header, no pixels
    const path = join(dir, 'IMG_0001.heic');
    await writeFile(
      path,
      Buffer.concat([Buffer.from(HEVC_HEIC_HEADER, 'hex'), Buffer.from('000000086d646174', 'hex')]),
    );
    await expectDecodeError(
      path,
      'unsupported-format',
      /^IMG_0001\.heic: a HEVC-coded HEIC image; prep takes PNG, JPEG, WebP, GIF, TIFF, AVIF or BMP: convert it to PNG\.$/,
    );
  });

  it('an SVG is refused by name before it is drawn, even with an XML prolog or a .png name', async () => {
    for (const [name, text] of [
      [
        'plain.svg',
        '<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512"><rect width="512" height="512"/></svg>',
      ],
      [
        'drawing.png',
        `\uFEFF<?xml version="1.0"?>\n<!-- ${'x'.repeat(1500)} -->\n<svg width="512" height="512"></svg>`,
      ],
    ] as const) {
      const path = join(dir, name);
      await writeFile(path, text);
      await expectDecodeError(
        path,
        'unsupported-format',
        new RegExp(
          `^${name.replace('.', '\\.')}: an SVG image; prep takes PNG, JPEG, WebP, GIF, TIFF, AVIF or BMP: convert it to PNG\\.$`,
        ),
      );
    }
  });

  it('truncated PNG', async () => {
    const full = await sharp(twoTone(256, 256), { raw: { width: 256, height: 256, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    const path = join(dir, 'truncated.png');
    await writeFile(path, full.subarray(0, Math.floor(full.length / 2)));
    await expectDecodeError(path, 'truncated', /truncated\.png: png data is truncated or corrupt/);
  });

  it('truncated JPEG', async () => {
    const full = await sharp(twoTone(256, 256), { raw: { width: 256, height: 256, channels: 3 } })
      .jpeg({ quality: 95 })
      .toBuffer();
    const path = join(dir, 'truncated.jpg');
    await writeFile(path, full.subarray(0, Math.floor(full.length / 2)));
    await expectDecodeError(
      path,
      'truncated',
      /truncated\.jpg: jpeg data is truncated or corrupt \(.*premature end/i,
    );
  });

  it('a PNG header declaring 60000x60000 pixels (decompression bomb) is refused before decoding', async () => {
    const path = join(dir, 'bomb.png');
    await writeFile(path, pngHeaderOnly(60000, 60000));
    await expectDecodeError(
      path,
      'too-many-pixels',
      /bomb\.png: declares 60000x60000 = 3600000000 pixels, more than the limit of 40000000 \(prep\.maxInputPixels\)/,
    );
  });

  it('a long strip over the limit is told to split it, and where the limit is raised', async () => {
    const path = join(dir, 'episode.png');
    await writeFile(path, pngHeaderOnly(690, 60000));
    await expectDecodeError(
      path,
      'too-many-pixels',
      /episode\.png: declares 690x60000 = 41400000 pixels, .*\(prep\.maxInputPixels\)\. A long strip \(a webtoon episode\) is best split into parts .* or raise it with `maxInputPixels = <pixels>` under `\[prep\]` in a --config file/,
    );
  });

  it('an 8x8 image is too small', async () => {
    const path = join(dir, 'tiny.png');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })
      .png()
      .toFile(path);
    await expectDecodeError(
      path,
      'too-small',
      /tiny\.png: is 8x8 pixels; the shorter side must be at least 64 px/,
    );
  });
});

describe('decodeImage: normalises to 8-bit sRGB RGB', () => {
  it('reads a file whose name has spaces and non-ASCII characters', async () => {
    const path = join(dir, 'my panel 한글 ü.png');
    await sharp(twoTone(80, 100), { raw: { width: 80, height: 100, channels: 3 } })
      .png()
      .toFile(path);
    const image = await decodeImage(path, { maxPixels: MAX_PIXELS });
    expect([image.width, image.height, image.data.length]).toEqual([80, 100, 80 * 100 * 3]);
    expect(pixel(image, 10, 10)).toEqual([220, 20, 20]);
  });

  it('flattens alpha on white', async () => {
    const rgba = Buffer.alloc(64 * 64 * 4);
    for (let i = 0; i < 64 * 64; i++) rgba.set([0, 0, 0, i < 64 * 32 ? 0 : 255], i * 4);
    const path = join(dir, 'alpha.png');
    await sharp(rgba, { raw: { width: 64, height: 64, channels: 4 } })
      .png()
      .toFile(path);
    const image = await decodeImage(path, { maxPixels: MAX_PIXELS });
    expect(pixel(image, 5, 5)).toEqual([255, 255, 255]);
    expect(pixel(image, 5, 60)).toEqual([0, 0, 0]);
  });

  it('converts a CMYK JPEG to sRGB', async () => {
    const path = join(dir, 'cmyk.jpg');
    await sharp(twoTone(96, 96), { raw: { width: 96, height: 96, channels: 3 } })
      .toColourspace('cmyk')
      .jpeg({ quality: 95 })
      .toFile(path);
    expect((await sharp(path).metadata()).space).toBe('cmyk');
    const image = await decodeImage(path, { maxPixels: MAX_PIXELS });
    expect(image.data.length).toBe(96 * 96 * 3);
    const [r, g, b] = pixel(image, 48, 10) as [number, number, number];
    expect(r).toBeGreaterThan(150);
    expect(g).toBeLessThan(90);
    expect(b).toBeLessThan(90);
  });

  it('converts a 16-bit PNG to 8 bits', async () => {
    const path = join(dir, 'deep.png');
    await sharp(twoTone(64, 64), { raw: { width: 64, height: 64, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toFile(path);
    expect((await sharp(path).metadata()).depth).toBe('ushort');
    const image = await decodeImage(path, { maxPixels: MAX_PIXELS });
    expect(image.data.length).toBe(64 * 64 * 3);
    expect(pixel(image, 3, 60)).toEqual([20, 20, 220]);
  });

  it('expands greyscale to three equal channels', async () => {
    const path = join(dir, 'grey.png');
    await sharp(twoTone(64, 64), { raw: { width: 64, height: 64, channels: 3 } })
      .toColourspace('b-w')
      .png()
      .toFile(path);
    expect((await sharp(path).metadata()).channels).toBe(1);
    const image = await decodeImage(path, { maxPixels: MAX_PIXELS });
    const [r, g, b] = pixel(image, 3, 3) as [number, number, number];
    expect(image.data.length).toBe(64 * 64 * 3);
    expect(r).toBe(g);
    expect(g).toBe(b);
  });

  it('applies EXIF orientation (6 = rotate 90° clockwise)', async () => {
    const path = join(dir, 'rotated.jpg');
    await sharp(twoTone(100, 200), { raw: { width: 100, height: 200, channels: 3 } })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toFile(path);
    expect((await sharp(path).metadata()).orientation).toBe(6);
    const image = await decodeImage(path, { maxPixels: MAX_PIXELS });
    expect([image.width, image.height]).toEqual([200, 100]);
    // Stored top (red) ends up on the right after a clockwise quarter turn.
    expect(pixel(image, 190, 50)[0]).toBeGreaterThan(150);
    expect(pixel(image, 10, 50)[2]).toBeGreaterThan(150);
  });

  it('takes the first page of a multi-page TIFF and says it is a TIFF (its frames are pages)', async () => {
    const path = join(dir, 'pages.tiff');
    await sharp(twoTone(96, 192), { raw: { width: 96, height: 192, channels: 3, pageHeight: 96 } })
      .tiff()
      .toFile(path);
    const image = await decodeImage(path, { maxPixels: MAX_PIXELS });
    expect([image.width, image.height, image.frames, image.format]).toEqual([96, 96, 2, 'tiff']);
  });

  it.each(['gif', 'webp'] as const)('takes the first frame of an animated %s', async (format) => {
    const path = join(dir, `animated.${format}`);
    const frames = twoTone(96, 192); // frame 1 red, frame 2 blue
    const animated = sharp(frames, { raw: { width: 96, height: 192, channels: 3, pageHeight: 96 } });
    await (format === 'gif' ? animated.gif() : animated.webp({ lossless: true })).toFile(path);
    expect((await sharp(path).metadata()).pages).toBe(2);
    const image = await decodeImage(path, { maxPixels: MAX_PIXELS });
    expect([image.width, image.height]).toEqual([96, 96]);
    expect(image.frames).toBe(2); // the run says only frame 1 of 2 was read
    expect(image.format).toBe(format);
    const [r, , b] = pixel(image, 48, 80) as [number, number, number];
    expect(r).toBeGreaterThan(150);
    expect(b).toBeLessThan(90);
  });
});
