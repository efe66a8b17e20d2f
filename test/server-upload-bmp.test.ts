// test/server-upload-bmp.test.ts — BMP screenshots through the REST upload (fastify `inject`, no port): before,
// every .bmp was refused 415 "a BMP image; the upload takes PNG, JPEG, WebP or GIF" while prep and the trainer
// read it. Now a BMP prep decodes is stored as .bmp, its pixels decoded at upload as prep decodes them; a kind
// prep refuses (RLE) is refused naming it, and a cut-off one as truncated.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { multipartBody } from './helpers/server-fixtures.js';
import { appsClosedAfterEach, createCharacter } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('upload-bmp');

/** A 24-bit BMP (40-byte header, bottom-up rows padded to 4 bytes) of a red-to-green gradient. */
function bmp24(width: number, height: number, compression = 0): Buffer {
  const stride = Math.ceil((width * 24) / 32) * 4;
  const file = Buffer.alloc(54 + stride * height);
  file.write('BM', 0);
  file.writeUInt32LE(file.length, 2);
  file.writeUInt32LE(54, 10);
  file.writeUInt32LE(40, 14);
  file.writeInt32LE(width, 18);
  file.writeInt32LE(height, 22);
  file.writeUInt16LE(1, 26);
  file.writeUInt16LE(24, 28);
  file.writeUInt32LE(compression, 30);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) file.set([40, y % 256, x % 256], 54 + y * stride + x * 3);
  return file;
}

describe('BMP uploads', () => {
  it('stores a 24-bit BMP as .bmp with its size, served back as image/bmp', async () => {
    const app = await makeApp();
    const id = await createCharacter(app);
    const data = bmp24(66, 64);
    const res = await app.inject({
      method: 'POST',
      url: `/api/characters/${id}/images`,
      ...multipartBody([{ filename: 'scan.bmp', contentType: 'image/bmp', data }]),
    });
    expect(res.statusCode, res.body).toBe(201);
    const [image] = res.json().uploaded;
    expect(image).toMatchObject({ originalName: 'scan.bmp', format: 'bmp', width: 66, height: 64 });
    expect(readdirSync(join(app.dataDir, 'characters', id, 'uploads'))).toEqual([`${image.id}.bmp`]);
    const file = await app.inject({ method: 'GET', url: image.url });
    expect(file.headers['content-type']).toBe('image/bmp');
    expect(file.rawPayload.equals(data)).toBe(true);
  });

  it('refuses an RLE BMP naming the kind (415) and a cut-off BMP as truncated, storing neither', async () => {
    const app = await makeApp();
    const id = await createCharacter(app);
    const rle = bmp24(64, 64, 1);
    rle.writeUInt16LE(8, 28);
    const res = await app.inject({
      method: 'POST',
      url: `/api/characters/${id}/images`,
      ...multipartBody([{ filename: 'rle.bmp', data: rle }]),
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.message).toMatch(
      /^rle\.bmp: RLE-compressed 8-bit BMP is not supported .*Convert it to PNG\.$/,
    );
    const cut = await app.inject({
      method: 'POST',
      url: `/api/characters/${id}/images`,
      ...multipartBody([{ filename: 'cut.bmp', data: bmp24(64, 64).subarray(0, 4000) }]),
    });
    expect(cut.statusCode).toBe(422);
    expect(cut.json().error).toMatchObject({
      code: 'TL_ERR_IMAGE_DECODE',
      message: expect.stringMatching(/^cut\.bmp: bmp pixels cannot be decoded \(BMP pixel data is cut off/),
    });
    expect(existsSync(join(app.dataDir, 'characters', id, 'uploads'))).toBe(false);
  });
});
