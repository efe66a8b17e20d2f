// test/server-upload-tiff-avif.test.ts — TIFF, AVIF and HEIC screenshots through the REST upload (fastify
// `inject`, no port): before, a TIFF scan and an AVIF phone screenshot were refused 415 although prep reads both.
// Now an AVIF is stored as .avif (served as image/avif), a TIFF is converted to PNG on arrival under the user's base
// name with .png (a multi-page one: its first page) and the answer's `converted` says so; a HEIC, which this sharp
// build cannot decode, is refused with words saying to export it as JPEG or PNG.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { multipartBody } from './helpers/server-fixtures.js';
import { appsClosedAfterEach, createCharacter } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('upload-tiff-avif');

/** A solid image of `width` x `height` in the colour given, as PNG bytes. */
function solid(width: number, height: number, background: string): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background } })
    .png()
    .toBuffer();
}

async function upload(filename: string, data: Buffer) {
  const app = await makeApp();
  const id = await createCharacter(app);
  const res = await app.inject({
    method: 'POST',
    url: `/api/characters/${id}/images`,
    ...multipartBody([{ filename, data }]),
  });
  return { app, id, res };
}

describe('TIFF and AVIF uploads', () => {
  it('stores an AVIF as it is (.avif), served back as image/avif', async () => {
    const data = await sharp(await solid(96, 72, '#e04040'))
      .avif()
      .toBuffer();
    const { app, id, res } = await upload('phone.avif', data);
    expect(res.statusCode, res.body).toBe(201);
    const [image] = res.json().uploaded;
    expect(image).toMatchObject({ originalName: 'phone.avif', format: 'avif', width: 96, height: 72 });
    expect(res.json()).not.toHaveProperty('converted');
    expect(readdirSync(join(app.dataDir, 'characters', id, 'uploads'))).toEqual([`${image.id}.avif`]);
    const file = await app.inject({ method: 'GET', url: image.url });
    expect(file.headers['content-type']).toBe('image/avif');
    expect(file.rawPayload.equals(data)).toBe(true);
  });

  it('converts a TIFF to PNG on arrival, under the base name with .png, and says so in the answer', async () => {
    const data = await sharp(await solid(90, 70, '#40a040'))
      .tiff()
      .toBuffer();
    const { app, id, res } = await upload('scan.tif', data);
    expect(res.statusCode, res.body).toBe(201);
    const [image] = res.json().uploaded;
    expect(image).toMatchObject({ originalName: 'scan.png', format: 'png', width: 90, height: 70 });
    expect(res.json().converted).toEqual([
      {
        name: 'scan.tif',
        id: image.id,
        note: 'scan.tif: a TIFF image, converted to PNG and stored as scan.png',
      },
    ]);
    expect(readdirSync(join(app.dataDir, 'characters', id, 'uploads'))).toEqual([`${image.id}.png`]);
    const file = await app.inject({ method: 'GET', url: image.url });
    expect(file.headers['content-type']).toBe('image/png');
    expect(await sharp(file.rawPayload).metadata()).toMatchObject({ format: 'png', width: 90, height: 70 });
  });

  it('keeps the first page of a multi-page TIFF, and says so', async () => {
    const pages = [await solid(80, 70, '#ff0000'), await solid(80, 70, '#0000ff')];
    const data = await sharp(pages, { join: { animated: true } })
      .tiff()
      .toBuffer();
    const { app, res } = await upload('two pages.tiff', data);
    expect(res.statusCode, res.body).toBe(201);
    const [image] = res.json().uploaded;
    expect(image).toMatchObject({ originalName: 'two pages.png', format: 'png', width: 80, height: 70 });
    expect(res.json().converted[0].note).toBe(
      'two pages.tiff: a TIFF image, converted to PNG and stored as two pages.png; a multi-page TIFF: only page 1 of 2 was read',
    );
    const file = await app.inject({ method: 'GET', url: image.url });
    const { data: pixel } = await sharp(file.rawPayload).raw().toBuffer({ resolveWithObject: true });
    const [red, , blue] = pixel;
    expect({ red, blue }).toEqual({ red: expect.any(Number), blue: 0 }); // page 1's red, not page 2's blue
    expect(red).toBeGreaterThan(250);
  });

  it('refuses a TIFF it cannot read, naming the file and the formats taken', async () => {
    const cut = (
      await sharp(await solid(90, 70, '#40a040'))
        .tiff()
        .toBuffer()
    ).subarray(0, 40);
    const { res } = await upload('cut.tif', cut);
    expect(res.statusCode).toBe(422);
    expect(res.json().error.message).toMatch(
      /^cut\.tif: tiff header cannot be read \(truncated or corrupt\); refused\. The upload takes PNG, JPEG, WebP, GIF, BMP, AVIF or TIFF\.$/,
    );
  });

  it('refuses a HEIC (this sharp cannot decode HEVC) with words to export it as JPEG or PNG', async () => {
    const heic = Buffer.concat([
      Buffer.from('\0\0\0\x18ftypheic\0\0\0\0mif1heic', 'latin1'),
      Buffer.alloc(64),
    ]);
    const { res } = await upload('IMG_0001.HEIC', heic);
    expect(res.statusCode).toBe(415);
    expect(res.json().error.message).toBe(
      'IMG_0001.HEIC: a HEIC image, which this server cannot decode; the upload takes PNG, JPEG, WebP, GIF, BMP, AVIF or TIFF: export it as JPEG or PNG (on an iPhone: Settings > Camera > Formats > Most Compatible); refused.',
    );
  });
});
