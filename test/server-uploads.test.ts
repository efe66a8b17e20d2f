// test/server-uploads.test.ts — screenshot uploads through the REST API (fastify `inject`, no port): path
// traversal in names, type by content, size, pixel and file-count limits, prep's minimum side, removal, a delete
// during an upload.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { resolveDataPath } from '../src/jobs/data-path.js';
import { multipartBody, solidPng } from './helpers/server-fixtures.js';
import { appsClosedAfterEach, createCharacter } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach();

describe('uploads', () => {
  it('stores a file called ../../x.png under a generated name inside the data folder', async () => {
    const app = await makeApp();
    const id = await createCharacter(app);
    const png = await solidPng(80, 64);
    const body = multipartBody([{ filename: '../../x.png', data: png }]);
    const res = await app.inject({ method: 'POST', url: `/api/characters/${id}/images`, ...body });
    expect(res.statusCode).toBe(201);
    const [image] = res.json().uploaded;
    expect(image).toMatchObject({
      originalName: 'x.png',
      format: 'png',
      width: 80,
      height: 64,
      bytes: png.length,
    });
    const uploadsDir = join(app.dataDir, 'characters', id, 'uploads');
    expect(readdirSync(uploadsDir)).toEqual([`${image.id}.png`]);
    expect(existsSync(resolve(app.dataDir, '..', 'x.png'))).toBe(false);
    expect(existsSync(resolve(app.dataDir, '..', '..', 'x.png'))).toBe(false);
    const file = await app.inject({ method: 'GET', url: image.url });
    expect(file.headers['content-type']).toBe('image/png');
    expect(file.rawPayload.equals(png)).toBe(true);
  });

  it('decides the type from the bytes: text named .png is 415, a PNG named .txt is accepted', async () => {
    const app = await makeApp();
    const id = await createCharacter(app);
    const fake = multipartBody([{ filename: 'fake.png', data: Buffer.from('hello, not an image') }]);
    const res = await app.inject({ method: 'POST', url: `/api/characters/${id}/images`, ...fake });
    expect(res.statusCode).toBe(415);
    expect(res.json().error).toMatchObject({
      code: 'TL_ERR_UNSUPPORTED_MEDIA',
      message: expect.stringContaining('fake.png'),
    });
    const real = multipartBody([
      { filename: 'notes.txt', contentType: 'text/plain', data: await solidPng() },
    ]);
    const ok = await app.inject({ method: 'POST', url: `/api/characters/${id}/images`, ...real });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().uploaded[0].format).toBe('png');
  });

  it('refuses oversized files (413) and keeps the good files of the same request', async () => {
    const app = await makeApp({ uploads: { maxFileBytes: 4000 } });
    const id = await createCharacter(app);
    const big = Buffer.concat([await solidPng(), Buffer.alloc(10_000)]);
    const only = await app.inject({
      method: 'POST',
      url: `/api/characters/${id}/images`,
      ...multipartBody([{ filename: 'big.png', data: big }]),
    });
    expect(only.statusCode).toBe(413);
    expect(only.json().error).toMatchObject({
      code: 'TL_ERR_PAYLOAD_TOO_LARGE',
      message: expect.stringContaining('big.png'),
    });
    const mixed = multipartBody([
      { filename: 'big.png', data: big },
      { filename: 'small.png', data: await solidPng() },
    ]);
    const res = await app.inject({ method: 'POST', url: `/api/characters/${id}/images`, ...mixed });
    expect(res.statusCode).toBe(201);
    expect(res.json().uploaded.map((image: { originalName: string }) => image.originalName)).toEqual([
      'small.png',
    ]);
    expect(res.json().rejected).toEqual([
      expect.objectContaining({ name: 'big.png', code: 'TL_ERR_PAYLOAD_TOO_LARGE' }),
    ]);
  });

  it('refuses images over the pixel limit from their header, and truncated images', async () => {
    const app = await makeApp({ uploads: { maxPixels: 1000 } });
    const id = await createCharacter(app);
    const res = await app.inject({
      method: 'POST',
      url: `/api/characters/${id}/images`,
      ...multipartBody([{ filename: 'wide.png', data: await solidPng(100, 20) }]),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.message).toContain('100x20 pixels exceeds the 1000 pixel limit');
    const truncated = (await solidPng(10, 10)).subarray(0, 20);
    const bad = await app.inject({
      method: 'POST',
      url: `/api/characters/${id}/images`,
      ...multipartBody([{ filename: 'cut.png', data: truncated }]),
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.code).toBe('TL_ERR_IMAGE_DECODE');
  });

  it("refuses an image prep would skip as too small (422, prep's words) and keeps the good files", async () => {
    const app = await makeApp();
    const id = await createCharacter(app);
    const url = `/api/characters/${id}/images`;
    const dot = await app.inject({
      method: 'POST',
      url,
      ...multipartBody([{ filename: 'dot.png', data: await solidPng(1, 1) }]),
    });
    expect(dot.statusCode).toBe(422);
    expect(dot.json().error).toMatchObject({
      code: 'TL_ERR_IMAGE_DECODE',
      message:
        'dot.png: 1x1 pixels; the shorter side must be at least 64 px; refused. Upload a larger screenshot.',
    });
    const mixed = await app.inject({
      method: 'POST',
      url,
      ...multipartBody([
        { filename: 'thread.png', data: await solidPng(20, 20_000) },
        { filename: 'page.png', data: await solidPng() },
      ]),
    });
    expect(mixed.statusCode).toBe(201);
    expect(mixed.json().rejected).toEqual([
      {
        name: 'thread.png',
        code: 'TL_ERR_IMAGE_DECODE',
        reason:
          'thread.png: 20x20000 pixels; the shorter side must be at least 64 px; refused. Upload a larger screenshot.',
      },
    ]);
    expect((await app.inject({ method: 'GET', url })).json().images).toHaveLength(1);
  });

  it('stores nothing from a body over the file limit, cut off, or malformed', async () => {
    const app = await makeApp({ uploads: { maxFiles: 2 } });
    const id = await createCharacter(app);
    const png = await solidPng();
    const url = `/api/characters/${id}/images`;
    const three = multipartBody([1, 2, 3].map((n) => ({ filename: `p${n}.png`, data: png })));
    const tooMany = await app.inject({ method: 'POST', url, ...three });
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json().error.message).toBe(
      'upload: more than 2 files in one request; nothing from it was stored. Send them in batches of 2 or fewer.',
    );
    // one whole file, then a part that never ends
    const whole = multipartBody([{ filename: 'good.png', data: png }]);
    const cut = Buffer.concat([
      whole.payload.subarray(0, whole.payload.lastIndexOf('--', whole.payload.length - 4) - 2),
      Buffer.from('\r\n--'),
      Buffer.from(whole.headers['content-type']?.split('boundary=')[1] ?? ''),
      Buffer.from('\r\nContent-Disposition: form-data; name="files"; filename="cut.png"\r\n\r\n'),
      png.subarray(0, 10),
    ]);
    const broken = await app.inject({ method: 'POST', url, headers: whole.headers, payload: cut });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error).toMatchObject({
      code: 'TL_ERR_USAGE',
      message: expect.stringContaining('nothing from it was stored'),
    });
    const garbage = await app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'multipart/form-data' },
      payload: 'garbage',
    });
    expect(garbage.statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url })).json().images).toEqual([]);
    expect(readdirSync(join(app.dataDir, 'characters', id, 'uploads'))).toEqual([]);
  });

  it('removes a screenshot from the list and the counts, with its file when no dataset shows it', async () => {
    const app = await makeApp();
    const id = await createCharacter(app);
    const url = `/api/characters/${id}/images`;
    const body = multipartBody([
      { filename: 'keep.png', data: await solidPng() },
      { filename: 'oops.png', data: await solidPng(65, 65) },
    ]);
    const [keep, oops] = (await app.inject({ method: 'POST', url, ...body })).json().uploaded;
    const stored = app.catalog.imageFilePath(oops.id);
    expect((await app.inject({ method: 'DELETE', url: `/api/images/${oops.id}` })).statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url })).json().images.map((i: { id: string }) => i.id)).toEqual(
      [keep.id],
    );
    expect((await app.inject({ method: 'GET', url: `/api/characters/${id}` })).json().imageCount).toBe(1);
    expect((await app.inject({ method: 'GET', url: `/api/images/${oops.id}/file` })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: `/api/images/${oops.id}` })).statusCode).toBe(404);
    expect(existsSync(stored)).toBe(false); // kept only for a dataset built from it: server-upload-files.test.ts
    const prep = await app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { kind: 'prep', characterId: id, params: { imageIds: [oops.id] } },
    });
    expect(prep.statusCode).toBe(404);
  });

  it('a character deleted during an upload answers 404 and leaves no file, folder or row of it', async () => {
    const app = await makeApp();
    // What DELETE /api/characters/:id does, synchronously, at one chosen point of the upload
    const deleteCharacter = (id: string) => {
      for (const rel of app.catalog.deleteCharacter(id)) {
        rmSync(resolveDataPath(app.dataDir, rel), { recursive: true, force: true });
      }
    };
    const body = multipartBody([
      { filename: 'a.png', data: await solidPng() },
      { filename: 'b.png', data: await solidPng(65, 65) },
    ]);
    const realGetCharacter = app.catalog.getCharacter.bind(app.catalog);
    const realAddImages = app.catalog.addImages.bind(app.catalog);
    const raceAt = {
      // before the body is read: the upload's mkdir recreates the folder the delete removed
      bodyRead: () =>
        vi.spyOn(app.catalog, 'getCharacter').mockImplementationOnce((id) => {
          const character = realGetCharacter(id);
          deleteCharacter(id);
          return character;
        }),
      // after the body is read and its files written, before its rows are recorded
      recording: () =>
        vi.spyOn(app.catalog, 'addImages').mockImplementationOnce((id, images) => {
          const written = readdirSync(join(app.dataDir, 'characters', id, 'uploads'));
          expect(written.filter((name) => !name.endsWith('.uploading'))).toHaveLength(2); // and their marks
          deleteCharacter(id);
          return realAddImages(id, images);
        }),
    };
    for (const [when, race] of Object.entries(raceAt)) {
      const id = await createCharacter(app);
      race();
      const res = await app.inject({ method: 'POST', url: `/api/characters/${id}/images`, ...body });
      expect(res.statusCode, when).toBe(404);
      expect(res.json().error, when).toEqual({
        code: 'TL_ERR_NOT_FOUND',
        message: `character ${id} was deleted while this upload was in progress; nothing from it was stored. List characters with GET /api/characters.`,
        details: { id },
      });
      expect(existsSync(join(app.dataDir, 'characters', id)), when).toBe(false);
      vi.restoreAllMocks();
    }
    expect(readdirSync(join(app.dataDir, 'characters'))).toEqual([]);
    expect((await app.inject({ method: 'GET', url: '/api/characters' })).json().characters).toEqual([]);
    expect(app.catalog.db.prepare('SELECT COUNT(*) AS n FROM images').get()).toEqual({ n: 0 });
  });

  it('answers 415 for a non-multipart upload and 404 for an unknown character', async () => {
    const app = await makeApp();
    const id = await createCharacter(app);
    const json = await app.inject({ method: 'POST', url: `/api/characters/${id}/images`, payload: { a: 1 } });
    expect(json.statusCode).toBe(415);
    const res = await app.inject({
      method: 'POST',
      url: '/api/characters/nope/images',
      ...multipartBody([{ filename: 'a.png', data: await solidPng() }]),
    });
    expect(res.statusCode).toBe(404);
  });
});
