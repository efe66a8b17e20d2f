// test/server-upload-files.test.ts — upload names and files on disk: long non-ASCII names fit the file
// system's 255-byte limit (display name and a prep job's input name), only the "files" field is read, a
// truncated image is refused at upload, and removing a screenshot deletes its file unless a dataset shows it.
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { displayName, fitFileName, truncateUtf8, utf8Bytes } from '../src/jobs/file-name-bytes.js';
import { inputName } from '../src/jobs/runners/prep-runner.js';
import { MIN_UPLOAD_SIDE_PX } from '../src/jobs/upload-images.js';
import { uploadLimitsSchema } from '../src/schemas/api.js';
import { multipartBody, solidPng, tempDataDir } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const apps = appsClosedAfterEach('upload-files');
const makeApp = () => apps.makeApp();

const KANJI_90 = '漢'.repeat(90); // 270 bytes in UTF-8

describe('long non-ASCII file names', () => {
  it('cuts by UTF-8 bytes, keeps the extension and never splits a code point', () => {
    expect(truncateUtf8('ab😀c', 5)).toBe('ab'); // the emoji is 4 bytes: kept whole or dropped
    expect(truncateUtf8('ab😀c', 6)).toBe('ab😀');
    const shown = displayName(`${KANJI_90}.png`);
    expect(utf8Bytes(shown)).toBeLessThanOrEqual(200);
    expect(shown).toMatch(/^漢+\.png$/);
    expect(fitFileName(`${'😀'.repeat(80)}.webp`, 30)).toBe(`${'😀'.repeat(6)}.webp`);
    expect(displayName('short.png')).toBe('short.png');
  });

  it("gives a prep job's input a name under 255 bytes, for names stored before the cut too", () => {
    for (const originalName of [`${KANJI_90}.png`, `${'😀'.repeat(100)}.png`, `${KANJI_90}${KANJI_90}`]) {
      const name = inputName(6, { format: 'png', originalName });
      expect(utf8Bytes(name)).toBeLessThanOrEqual(255);
      expect(name.startsWith('007-')).toBe(true);
      expect(name.endsWith('.png')).toBe(true);
      expect(name).not.toContain('\uFFFD');
      expect(Buffer.from(name, 'utf8').toString('utf8')).toBe(name); // no lone surrogate
    }
    expect(inputName(0, { format: 'jpeg', originalName: 'page.jpeg' })).toBe('001-page.jpg');
  });

  it('stores an upload with a 270-byte kanji name under a display name that fits', async () => {
    const app = await makeApp();
    const id = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' }).id;
    const body = multipartBody([{ filename: `${KANJI_90}.png`, data: await solidPng() }]);
    const res = await app.inject({ method: 'POST', url: `/api/characters/${id}/images`, ...body });
    expect(res.statusCode).toBe(201);
    const [image] = res.json().uploaded;
    expect(image.originalName).toMatch(/^漢+\.png$/);
    expect(utf8Bytes(image.originalName)).toBeLessThanOrEqual(200);
  });
});

describe('upload checks', () => {
  it('reads only the "files" field: another field name is a 400 naming the expected one, storing nothing', async () => {
    const app = await makeApp();
    const id = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' }).id;
    const body = multipartBody([{ field: 'notfiles', filename: 'small.png', data: await solidPng() }]);
    const res = await app.inject({ method: 'POST', url: `/api/characters/${id}/images`, ...body });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('"notfiles"');
    expect(res.json().error.message).toContain('"files" part');
    expect(app.catalog.listImages(id)).toEqual([]);
  });

  it('refuses a PNG cut short after its header (422 naming the file), listing every refused file', async () => {
    const app = await makeApp();
    const id = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' }).id;
    const whole = await solidPng(64, 64, [10, 200, 30]);
    const cut = whole.subarray(0, 100);
    const body = multipartBody([
      { filename: 'cut.png', data: cut },
      { filename: 'text.png', data: Buffer.from('not an image') },
    ]);
    const res = await app.inject({ method: 'POST', url: `/api/characters/${id}/images`, ...body });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.message).toMatch(/^cut\.png: png pixels cannot be decoded/);
    expect(res.json().error.details.rejected.map((r: { name: string }) => r.name)).toEqual([
      'cut.png',
      'text.png',
    ]);
    expect(app.catalog.listImages(id)).toEqual([]);
  });
});

describe('removing a screenshot', () => {
  async function uploadOne(app: FastifyInstance, characterId: string): Promise<string> {
    const body = multipartBody([{ filename: 'oops.png', data: await solidPng(65, 65) }]);
    const res = await app.inject({ method: 'POST', url: `/api/characters/${characterId}/images`, ...body });
    return res.json().uploaded[0].id;
  }

  it('deletes its file when no dataset shows it, keeps it when one does, and waits for a running prep', async () => {
    const app = await makeApp();
    const characterId = app.catalog.createCharacter({
      name: 'Mina',
      trigger: 'mina_tl',
      classWord: 'girl',
    }).id;
    // unused: the file goes
    const unused = await uploadOne(app, characterId);
    const unusedFile = app.catalog.imageFilePath(unused);
    expect((await app.inject({ method: 'DELETE', url: `/api/images/${unused}` })).statusCode).toBe(204);
    expect(existsSync(unusedFile)).toBe(false);

    // a running prep job of the character reads every screenshot: 409, nothing changes
    const read = await uploadOne(app, characterId);
    const prep = app.jobStore.createJob('prep', characterId, {});
    app.jobStore.transition(prep.id, 'running');
    const busy = await app.inject({ method: 'DELETE', url: `/api/images/${read}` });
    expect(busy.statusCode).toBe(409);
    expect(busy.json().error.message).toContain(
      `running prep job ${prep.id}. Remove it once that job has ended, or cancel that job (POST /api/jobs/${prep.id}/cancel).`,
    );
    expect(app.catalog.listImages(characterId).map((i) => i.id)).toEqual([read]);

    // the prep job built a dataset showing it as an original: the file stays for that dataset
    const stored = app.catalog.imageFilePath(read);
    const storedRel = stored
      .slice(app.dataDir.length + 1)
      .split('\\')
      .join('/');
    app.jobStore.transition(prep.id, 'succeeded', { result: {} });
    app.catalog.createDataset({
      characterId,
      jobId: prep.id,
      dir: `jobs/${prep.id}/dataset`,
      items: [
        {
          key: '001-oops',
          source: 'oops.png',
          imagePath: `jobs/${prep.id}/dataset/001-oops.png`,
          caption: 'mina_tl, girl',
          stages: { original: storedRel, textRemoved: null, mask: null, crop: null },
        },
      ],
      skipped: [],
    });
    expect((await app.inject({ method: 'DELETE', url: `/api/images/${read}` })).statusCode).toBe(204);
    expect(existsSync(stored)).toBe(true);
    expect(app.catalog.listImages(characterId)).toEqual([]);
  });
});

describe('GET /api/upload-limits', () => {
  it("says what one upload request may hold (the web app's batch size), overrides included", async () => {
    const app = await makeApp();
    const res = await app.inject({ method: 'GET', url: '/api/upload-limits' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(uploadLimitsSchema.parse({}));
    const small = await apps.makeApp({ dataDir: tempDataDir('upload-limits'), uploads: { maxFiles: 3 } });
    expect((await small.inject({ method: 'GET', url: '/api/upload-limits' })).json()).toMatchObject({
      maxFiles: 3,
    });
  });

  it("says the smallest shorter side an upload takes (prep's 64 px), the one the upload refuses below", async () => {
    // before: the limits did not say it, so the Upload page learnt of a too-small image only after sending it
    const app = await makeApp();
    const limits = (await app.inject({ method: 'GET', url: '/api/upload-limits' })).json();
    expect(limits.minSidePx).toBe(MIN_UPLOAD_SIDE_PX);
    expect(MIN_UPLOAD_SIDE_PX).toBe(64);
    const strict = await apps.makeApp({
      dataDir: tempDataDir('upload-min-side'),
      uploads: { minSidePx: 100 },
    });
    expect((await strict.inject({ method: 'GET', url: '/api/upload-limits' })).json().minSidePx).toBe(100);
    const id = strict.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' }).id;
    const body = multipartBody([{ filename: 'small.png', data: await solidPng(80, 120) }]);
    const res = await strict.inject({ method: 'POST', url: `/api/characters/${id}/images`, ...body });
    expect(res.json().error.details.rejected[0].reason).toBe(
      'small.png: 80x120 pixels; the shorter side must be at least 100 px; refused. Upload a larger screenshot.',
    );
  });
});
