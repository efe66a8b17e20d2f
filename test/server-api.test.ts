// test/server-api.test.ts — the REST API through fastify `inject` (no port): characters, uploads
// (path traversal, type by content, size and pixel limits), auth, validation errors, OpenAPI.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CatalogStore } from '../src/jobs/catalog-store.js';
import { DATABASE_FILE } from '../src/jobs/data-layout.js';
import { resolveDataPath } from '../src/jobs/data-path.js';
import { openDatabase } from '../src/jobs/database.js';
import { JobStore } from '../src/jobs/job-store.js';
import { type AppOptions, buildApp } from '../src/server/app.js';
import { startServer } from '../src/server/server.js';
import { multipartBody, seedDataset, solidPng, tempDataDir } from './helpers/server-fixtures.js';

const apps: FastifyInstance[] = [];
async function makeApp(options: Partial<AppOptions> = {}): Promise<FastifyInstance> {
  const app = await buildApp({ dataDir: tempDataDir(), runners: {}, webDir: '/nonexistent', ...options });
  apps.push(app);
  await app.ready();
  return app;
}
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function createCharacter(
  app: FastifyInstance,
  headers: Record<string, string> = {},
  name = 'Mina',
): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/characters',
    headers,
    payload: { name, trigger: 'mina_tl', classWord: 'girl' },
  });
  expect(res.statusCode).toBe(201);
  return res.json().id;
}

describe('characters', () => {
  it('creates, lists and gets a character', async () => {
    const app = await makeApp();
    const id = await createCharacter(app);
    const list = await app.inject({ method: 'GET', url: '/api/characters' });
    expect(list.json().characters).toEqual([
      expect.objectContaining({ id, name: 'Mina', trigger: 'mina_tl', imageCount: 0 }),
    ]);
    const one = await app.inject({ method: 'GET', url: `/api/characters/${id}` });
    expect(one.json()).toMatchObject({ id, classWord: 'girl' });
  });

  it('answers 400 naming the bad field and value', async () => {
    const app = await makeApp();
    const res = await app.inject({
      method: 'POST',
      url: '/api/characters',
      payload: { name: '', trigger: 'a,b', classWord: 'girl' },
    });
    expect(res.statusCode).toBe(400);
    const { error } = res.json();
    expect(error.code).toBe('TL_ERR_USAGE');
    expect(error.message).toContain('body.name');
    expect(error.message).toContain('body.trigger');
    expect(error.message).toContain('"a,b"');
  });

  it('refuses control characters (NUL, CR, DEL, ...) in trigger and class word', async () => {
    const app = await makeApp();
    const res = await app.inject({
      method: 'POST',
      url: '/api/characters',
      payload: { name: 'nul', trigger: 'a\u0000b', classWord: 'g\rirl\u0000' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'TL_ERR_USAGE',
      message:
        'invalid request: body.trigger: one word: no spaces (the folder name `<repeats>_<trigger> <class>` ends the trigger at the first space; write sks_girl), commas, slashes, characters Windows refuses in folder names (< > : " | ? *), newlines or other control characters, got "a\\u0000b"; ' +
        'body.classWord: no commas, slashes, characters Windows refuses in folder names (< > : " | ? *), newlines or other control characters, got "g\\rirl\\u0000".',
      details: { fields: ['body.trigger', 'body.classWord'] },
    });
    for (const [trigger, classWord] of [
      ['sks\u007f', 'girl'],
      ['sks', 'gi\trl'],
      ['sks', 'girl\u0085'],
      ['s\u001bks', 'girl'],
      ['sks:v2', 'girl'], // a folder Windows cannot hold
      ['sks', 'girl?'],
    ]) {
      const bad = await app.inject({
        method: 'POST',
        url: '/api/characters',
        payload: { name: 'c', trigger, classWord },
      });
      expect(bad.statusCode, JSON.stringify([trigger, classWord])).toBe(400);
    }
    // the words a user writes still pass: unicode, a class of two words
    const ok = await app.inject({
      method: 'POST',
      url: '/api/characters',
      payload: { name: 'ミナ', trigger: 'ミナ_tl', classWord: 'anime girl' },
    });
    expect(ok.statusCode).toBe(201);
    expect(app.catalog.listCharacters().map((c) => c.trigger)).toEqual(['ミナ_tl']);
  });

  it('answers 400, not 500, for JSON nested 200 000 deep, echoing 60 characters of it', async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app);
    const depth = 200_000;
    const res = await app.inject({
      method: 'POST',
      url: '/api/jobs',
      headers: { 'content-type': 'application/json' },
      payload: `{"kind":"prep","characterId":"${characterId}","params":{"imageIds":${'['.repeat(depth)}${']'.repeat(depth)}}}`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'TL_ERR_USAGE',
      message: `invalid request: body.params.imageIds.0: Invalid input: expected string, received array, got ${'['.repeat(60)}.`,
    });
  });

  it('deletes a character with its screenshots, datasets, jobs and files, and no other', async () => {
    const app = await makeApp();
    const { characterId, datasetId } = await seedDataset(app);
    const keep = await createCharacter(app, {}, 'Sora');
    for (const id of [characterId, keep]) {
      const body = multipartBody([{ filename: 'x.png', data: await solidPng(8, 8) }]);
      const res = await app.inject({ method: 'POST', url: `/api/characters/${id}/images`, ...body });
      expect(res.statusCode).toBe(201);
    }
    const [prepJob] = app.jobStore.listJobs({ characterId });
    const files = [
      join(app.dataDir, 'characters', characterId),
      join(app.dataDir, 'jobs', String(prepJob?.id)),
    ];
    for (const path of files) expect(existsSync(path), path).toBe(true);

    const res = await app.inject({ method: 'DELETE', url: `/api/characters/${characterId}` });
    expect(res.statusCode).toBe(204);
    for (const path of files) expect(existsSync(path), path).toBe(false);
    for (const url of [`/api/characters/${characterId}`, `/api/datasets/${datasetId}`]) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    }
    expect(app.jobStore.listJobs({ characterId })).toEqual([]);
    const left = (await app.inject({ method: 'GET', url: '/api/characters' })).json().characters;
    expect(left).toEqual([expect.objectContaining({ id: keep, imageCount: 1 })]);
    expect(existsSync(join(app.dataDir, 'characters', keep))).toBe(true);
    const again = await app.inject({ method: 'DELETE', url: `/api/characters/${characterId}` });
    expect(again.statusCode).toBe(404);
  });

  it('refuses to delete a character while one of its jobs is queued or running, deleting nothing', async () => {
    const app = await makeApp();
    const { characterId, datasetId } = await seedDataset(app);
    const train = app.jobStore.createJob('train', characterId, { datasetId });
    const res = await app.inject({ method: 'DELETE', url: `/api/characters/${characterId}` });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({
      code: 'TL_ERR_CONFLICT',
      message: expect.stringContaining(`train job ${train.id} (queued)`),
    });
    // worded for the web app and API clients alike, naming the job's own cancel endpoint
    expect(res.json().error.message).toContain(
      `Cancel that job (the Cancel button by its status, or POST /api/jobs/${train.id}/cancel) or let it finish, then delete the character.`,
    );
    const generate = app.jobStore.createJob('generate', characterId, {});
    const two = await app.inject({ method: 'DELETE', url: `/api/characters/${characterId}` });
    expect(two.json().error.message).toContain(`generate job ${generate.id} (queued)`);
    expect(two.json().error.message).toContain(
      'Cancel those jobs (the Cancel button by each status, or POST /api/jobs/<id>/cancel) or let them finish',
    );
    expect((await app.inject({ method: 'GET', url: `/api/datasets/${datasetId}` })).statusCode).toBe(200);
    expect(app.jobStore.getJob(train.id).status).toBe('queued');
  });

  it('answers 400 for a body that is not JSON and 404 JSON for unknown ids and routes', async () => {
    const app = await makeApp();
    const bad = await app.inject({
      method: 'POST',
      url: '/api/characters',
      headers: { 'content-type': 'application/json' },
      payload: '{nope',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('TL_ERR_USAGE');
    const missing = await app.inject({ method: 'GET', url: '/api/characters/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatchObject({
      code: 'TL_ERR_NOT_FOUND',
      message: expect.stringContaining('character nope'),
    });
    const route = await app.inject({ method: 'GET', url: '/api/nothing' });
    expect(route.statusCode).toBe(404);
    expect(route.json().error.code).toBe('TL_ERR_NOT_FOUND');
  });
});

describe('uploads', () => {
  it('stores a file called ../../x.png under a generated name inside the data folder', async () => {
    const app = await makeApp();
    const id = await createCharacter(app);
    const png = await solidPng(64, 48);
    const body = multipartBody([{ filename: '../../x.png', data: png }]);
    const res = await app.inject({ method: 'POST', url: `/api/characters/${id}/images`, ...body });
    expect(res.statusCode).toBe(201);
    const [image] = res.json().uploaded;
    expect(image).toMatchObject({
      originalName: 'x.png',
      format: 'png',
      width: 64,
      height: 48,
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
      { filename: 'notes.txt', contentType: 'text/plain', data: await solidPng(8, 8) },
    ]);
    const ok = await app.inject({ method: 'POST', url: `/api/characters/${id}/images`, ...real });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().uploaded[0].format).toBe('png');
  });

  it('refuses oversized files (413) and keeps the good files of the same request', async () => {
    const app = await makeApp({ uploads: { maxFileBytes: 4000 } });
    const id = await createCharacter(app);
    const big = Buffer.concat([await solidPng(8, 8), Buffer.alloc(10_000)]);
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
      { filename: 'small.png', data: await solidPng(8, 8) },
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

  it('stores nothing from a body over the file limit, cut off, or malformed', async () => {
    const app = await makeApp({ uploads: { maxFiles: 2 } });
    const id = await createCharacter(app);
    const png = await solidPng(8, 8);
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
      { filename: 'keep.png', data: await solidPng(8, 8) },
      { filename: 'oops.png', data: await solidPng(9, 9) },
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
      { filename: 'a.png', data: await solidPng(8, 8) },
      { filename: 'b.png', data: await solidPng(9, 9) },
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
          expect(readdirSync(join(app.dataDir, 'characters', id, 'uploads'))).toHaveLength(2);
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
      ...multipartBody([{ filename: 'a.png', data: await solidPng(4, 4) }]),
    });
    expect(res.statusCode).toBe(404);
  });
});

describe('paths', () => {
  it('serves nothing outside the web folder or the data folder', async () => {
    const webDir = tempDataDir('web-static');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>toonlora</title>');
    writeFileSync(join(webDir, '..', 'secret.txt'), 'secret');
    const app = await makeApp({ webDir });
    for (const url of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/api/images/..%2f..%2fsecret.txt/file',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.body, url).not.toBe('secret');
    }
  });
});

describe('auth', () => {
  it('with a token, every /api/ route answers 401 without the bearer header', async () => {
    const app = await makeApp({ token: 's3cret-token-4567' });
    for (const url of ['/api/characters', '/api/jobs', '/api/health', '/api/artifacts']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(401);
      expect(res.json().error.code).toBe('TL_ERR_UNAUTHORIZED');
    }
    const wrong = await app.inject({
      method: 'GET',
      url: '/api/characters',
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.statusCode).toBe(401);
    const post = await app.inject({
      method: 'POST',
      url: '/api/characters',
      payload: { name: 'a', trigger: 'b', classWord: 'c' },
    });
    expect(post.statusCode).toBe(401);
    const ok = await app.inject({
      method: 'GET',
      url: '/api/characters',
      headers: { authorization: 'Bearer s3cret-token-4567' },
    });
    expect(ok.statusCode).toBe(200);
    await createCharacter(app, { authorization: 'Bearer s3cret-token-4567' });
    // the router decodes the path: no spelling of /api/ skips the check
    for (const url of ['/%61pi/characters', '/ap%69/jobs', '//api/jobs', '/API/jobs', '/%2561pi/jobs']) {
      const response = await app.inject({ method: 'GET', url });
      expect([401, 404], url).toContain(response.statusCode);
      expect(response.statusCode === 404 ? response.body : '', url).not.toContain('"characters"');
    }
    expect((await app.inject({ method: 'GET', url: '/%61pi/characters' })).statusCode).toBe(401);
    expect(
      (await app.inject({ method: 'POST', url: '/%61pi/characters', payload: { name: 'Intruder' } }))
        .statusCode,
    ).toBe(401);
    // the scheme is case-insensitive (RFC 9110): bearer / BEARER work too; Basic or a bare token do not
    for (const authorization of [
      'bearer s3cret-token-4567',
      'BEARER s3cret-token-4567',
      'Bearer  s3cret-token-4567',
    ]) {
      const res = await app.inject({ method: 'GET', url: '/api/characters', headers: { authorization } });
      expect(res.statusCode, authorization).toBe(200);
    }
    for (const authorization of ['Basic s3cret-token-4567', 's3cret-token-4567', 'Bearers3cret-token-4567']) {
      const res = await app.inject({ method: 'GET', url: '/api/characters', headers: { authorization } });
      expect(res.statusCode, authorization).toBe(401);
    }
    // the token is never taken from a URL (logs, history, Referer headers)
    expect((await app.inject({ method: 'GET', url: '/api/health?token=s3cret-token-4567' })).statusCode).toBe(
      401,
    );
  });

  it('trades the token for an HttpOnly session cookie that counts on reads only', async () => {
    const app = await makeApp({ token: 's3cret-token-4567' });
    expect((await app.inject({ method: 'POST', url: '/api/session' })).statusCode).toBe(401);
    const session = await app.inject({
      method: 'POST',
      url: '/api/session',
      headers: { authorization: 'Bearer s3cret-token-4567' },
    });
    expect(session.statusCode).toBe(204);
    const setCookie = String(session.headers['set-cookie']);
    expect(setCookie).toMatch(/^toonlora_session=[\w-]+; Path=\/api; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toContain('s3cret-token-4567');
    const cookie = setCookie.split(';')[0] as string;
    // <img>, download links and EventSource send it by themselves: reads pass
    for (const url of ['/api/health', '/api/characters']) {
      expect((await app.inject({ method: 'GET', url, headers: { cookie } })).statusCode, url).toBe(200);
    }
    const wrong = { cookie: 'toonlora_session=forged' };
    expect((await app.inject({ method: 'GET', url: '/api/characters', headers: wrong })).statusCode).toBe(
      401,
    );
    // a write with the cookie alone is refused: another site cannot make a browser change anything
    const post = await app.inject({
      method: 'POST',
      url: '/api/characters',
      headers: { cookie },
      payload: { name: 'a', trigger: 'b', classWord: 'c' },
    });
    expect(post.statusCode).toBe(401);
    // another token gives another cookie: changing TOONLORA_TOKEN ends every session
    const other = await makeApp({ token: 'another-token-4567' });
    expect((await other.inject({ method: 'GET', url: '/api/health', headers: { cookie } })).statusCode).toBe(
      401,
    );
  });

  it('without a token, answers only requests addressed to a loopback name (DNS rebinding)', async () => {
    const app = await makeApp();
    const rebound = { host: 'attacker.example:7860', origin: 'http://attacker.example:7860' };
    const post = await app.inject({
      method: 'POST',
      url: '/api/characters',
      headers: rebound,
      payload: { name: 'a', trigger: 'b', classWord: 'c' },
    });
    expect(post.statusCode).toBe(403);
    expect(post.json().error).toMatchObject({
      code: 'TL_ERR_FORBIDDEN',
      message: expect.stringContaining('Host "attacker.example:7860"'),
    });
    expect((await app.inject({ method: 'GET', url: '/api/characters', headers: rebound })).statusCode).toBe(
      403,
    );
    expect((await app.inject({ method: 'GET', url: '/', headers: rebound })).statusCode).toBe(403);
    for (const host of ['127.0.0.1:7860', 'localhost:7860', '[::1]:7860']) {
      expect(
        (await app.inject({ method: 'GET', url: '/api/characters', headers: { host } })).statusCode,
        host,
      ).toBe(200);
    }
    // with a token (any --host), the token is the guard and any Host is fine
    const withToken = await makeApp({ token: 'secret-token-4567' });
    const authed = await withToken.inject({
      method: 'GET',
      url: '/api/characters',
      headers: { host: 'box.lan:7860', authorization: 'Bearer secret-token-4567' },
    });
    expect(authed.statusCode).toBe(200);
  });

  it("without a token, refuses a change from a page of another origin, and answers the app's own and curl's", async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app);
    const host = '127.0.0.1:7860';
    let uploads = 0;
    // each upload its own bytes: the same bytes again would be a duplicate (200, nothing stored)
    const upload = async (headers: Record<string, string>) => {
      const body = multipartBody([
        { filename: 'planted.png', data: await solidPng(8, 8, [uploads++, 0, 0]) },
      ]);
      return app.inject({
        method: 'POST',
        url: `/api/characters/${characterId}/images`,
        headers: { host, ...body.headers, ...headers },
        payload: body.payload,
      });
    };
    const evil = await upload({ origin: 'http://evil.example' });
    expect(evil.statusCode).toBe(403);
    expect(evil.json().error).toEqual({
      code: 'TL_ERR_FORBIDDEN',
      message: `POST /api/characters/${characterId}/images: refused a request from a page of another origin (Origin "http://evil.example"). This server has no token, so only its own web app (http://127.0.0.1:7860) may change anything; clients that are not browsers send no Origin header.`,
    });
    for (const headers of <Record<string, string>[]>[
      { origin: 'null' }, // a sandboxed frame, a file:// page
      { origin: 'http://127.0.0.1:7861' }, // another port: another origin
      { origin: 'http://localhost:7860' }, // another name of this machine: another origin
      { origin: 'ftp://127.0.0.1:7860' },
      { origin: 'http://127.0.0.1:7860/path' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site', origin: 'http://127.0.0.1:7860' },
    ]) {
      const res = await upload(headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(403);
      expect(res.json().error.code).toBe('TL_ERR_FORBIDDEN');
    }
    expect(app.catalog.listImages(characterId)).toEqual([]); // refused before the body was read
    // bodyless writes too: another site cannot cancel a job
    const cancel = await app.inject({
      method: 'POST',
      url: '/api/jobs/some-job/cancel',
      headers: { host, origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(cancel.statusCode).toBe(403);
    // the web app itself (same origin, http or https, any case), and clients with no Origin (curl, the CLI)
    for (const headers of <Record<string, string>[]>[
      { origin: 'http://127.0.0.1:7860', 'sec-fetch-site': 'same-origin' },
      { origin: 'https://127.0.0.1:7860' },
      { origin: 'HTTP://127.0.0.1:7860' },
      { 'sec-fetch-site': 'none' },
      {},
    ]) {
      expect((await upload(headers)).statusCode, JSON.stringify(headers)).toBe(201);
    }
    // on the default port the Origin leaves the port out
    expect((await upload({ host: 'localhost', origin: 'http://localhost' })).statusCode).toBe(201);
    expect((await upload({ host: 'localhost:443', origin: 'https://localhost' })).statusCode).toBe(201);
    // reads are not refused: another origin cannot read the reply anyway (no CORS headers)
    const read = await app.inject({
      method: 'GET',
      url: '/api/characters',
      headers: { host, origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(read.statusCode).toBe(200);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('without a token, POST /api/session sets no cookie', async () => {
    const app = await makeApp();
    const session = await app.inject({ method: 'POST', url: '/api/session' });
    expect(session.statusCode).toBe(204);
    expect(session.headers['set-cookie']).toBeUndefined();
  });

  it('a server that cannot bind its port marks, starts or changes no job', async () => {
    const busy = await startServer({ host: '127.0.0.1', port: 0, dataDir: tempDataDir() });
    try {
      const dataDir = tempDataDir();
      // a job that a crashed server left running in this folder
      const db = openDatabase(join(dataDir, DATABASE_FILE));
      const character = new CatalogStore(db, dataDir).createCharacter({
        name: 'a',
        trigger: 'sks',
        classWord: 'girl',
      });
      const job = new JobStore(db).createJob('train', character.id, {});
      new JobStore(db).transition(job.id, 'running');
      db.close();
      const port = Number(new URL(busy.url).port);
      await expect(startServer({ host: '127.0.0.1', port, dataDir })).rejects.toMatchObject({
        code: 'TL_ERR_USAGE',
        message: expect.stringContaining(`--port ${port}: 127.0.0.1:${port} is already in use`),
      });
      const after = openDatabase(join(dataDir, DATABASE_FILE), { exclusive: true }); // closed again, not held
      expect(new JobStore(after).getJob(job.id).status).toBe('running');
      after.close();
    } finally {
      await busy.app.close();
    }
  });

  it('a second server on the same data folder refuses to start', async () => {
    const dataDir = tempDataDir();
    const first = await startServer({ host: '127.0.0.1', port: 0, dataDir });
    try {
      await expect(startServer({ host: '127.0.0.1', port: 0, dataDir })).rejects.toMatchObject({
        code: 'TL_ERR_CONFLICT',
        message: expect.stringContaining('in use by another toonlora serve'),
      });
    } finally {
      await first.app.close();
    }
    const again = await startServer({ host: '127.0.0.1', port: 0, dataDir }); // the first one let go on close
    await again.app.close();
  }, 20_000);

  it('--log writes the request log to stderr, leaving stdout to the --json document', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const { app, url } = await startServer({ host: '127.0.0.1', port: 0, dataDir: tempDataDir(), log: true });
    try {
      expect((await fetch(`${url}/api/health`)).status).toBe(200);
    } finally {
      await app.close();
      spy.mockRestore();
    }
    const lines = written.map((line) => JSON.parse(line) as { msg: string; req?: { url: string } });
    expect(lines).toContainEqual(expect.objectContaining({ msg: `Server listening at ${url}` }));
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'incoming request',
        req: expect.objectContaining({ url: '/api/health' }),
      }),
    );
  });

  it('refuses a token shorter than 16 characters, naming TOONLORA_TOKEN', async () => {
    await expect(
      startServer({ host: '127.0.0.1', port: 0, dataDir: tempDataDir(), token: 'short-token-123' }),
    ).rejects.toMatchObject({
      code: 'TL_ERR_USAGE',
      message:
        'TOONLORA_TOKEN: 15 characters is too short. Set a token of at least 16 characters, e.g. a random one: export TOONLORA_TOKEN=$(openssl rand -hex 16) (32 characters), and start serve again; or unset TOONLORA_TOKEN to serve on loopback only.',
    });
    const { app } = await startServer({
      host: '127.0.0.1',
      port: 0,
      dataDir: tempDataDir(),
      token: 'long-token-12345',
    });
    await app.close();
  });

  it('refuses to listen beyond loopback without a token', async () => {
    await expect(startServer({ host: '0.0.0.0', port: 0, dataDir: tempDataDir() })).rejects.toMatchObject({
      code: 'TL_ERR_USAGE',
      message: expect.stringContaining('TOONLORA_TOKEN'),
    });
  });
});

describe('base models', () => {
  it('lists the bases a job may name, and whether the server has each on disk', async () => {
    const root = tempDataDir('models');
    const modelCache = { env: { TOONLORA_HOME: join(root, 'tl'), HF_HOME: join(root, 'hf') } };
    const app = await makeApp({ modelCache });
    const res = await app.inject({ method: 'GET', url: '/api/base-models' });
    expect(res.statusCode).toBe(200);
    const { baseModels } = res.json();
    expect(baseModels.map((b: { name: string; present: boolean }) => [b.name, b.present])).toEqual([
      ['anything-v5', false],
      ['tiny', true],
    ]);
    expect(baseModels[0].aliases).toContain('stablediffusionapi/anything-v5');
  });
});

describe('openapi', () => {
  it('documents every /api/ route with its schemas', async () => {
    const app = await makeApp();
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const path of [
      '/api/characters',
      '/api/characters/{id}/images',
      '/api/jobs',
      '/api/jobs/{id}/stream',
      '/api/loras/{id}/download',
      '/api/datasets/{id}/zip',
      '/api/session',
      '/api/base-models',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    // 400: an unknown ?format= (see test/server-openapi-walk.test.ts)
    expect(Object.keys(doc.paths['/api/loras/{id}/download'].get.responses).sort()).toEqual([
      '200',
      '400',
      '404',
      '422',
    ]);
    const create = doc.paths['/api/jobs'].post;
    expect(JSON.stringify(create.requestBody)).toContain('"train"');
    const body = doc.paths['/api/characters'].post.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(expect.arrayContaining(['name']));
    const upload = doc.paths['/api/characters/{id}/images'].post.requestBody;
    expect(upload.required).toBe(true);
    const form = upload.content['multipart/form-data'].schema;
    expect(form.required).toEqual(['files']);
    expect(form.properties.files).toMatchObject({
      type: 'array',
      maxItems: 200,
      items: { type: 'string', format: 'binary' },
    });
  });

  it('sends nosniff, no framing and a Content-Security-Policy on every reply', async () => {
    const webDir = tempDataDir('web');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>toonlora</title>');
    const app = await makeApp({ webDir });
    const characterId = await createCharacter(app);
    const body = multipartBody([{ filename: 'a.png', data: await solidPng(8, 8) }]);
    const uploaded = await app.inject({
      method: 'POST',
      url: `/api/characters/${characterId}/images`,
      headers: body.headers,
      payload: body.payload,
    });
    const imageUrl = uploaded.json().uploaded[0].url;
    // the web app, the API, a stored image, an error, the OpenAPI document
    const urls = ['/', '/api/characters', imageUrl, '/api/characters/nope', '/openapi.json'];
    const replies = await Promise.all(urls.map((url) => app.inject({ method: 'GET', url })));
    expect(replies.map((r) => r.statusCode)).toEqual([200, 200, 200, 404, 200]);
    const appPolicy =
      "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    // a stored image opened on its own: no script, nothing loaded, the browser's image viewer may style its page
    const imagePolicy =
      "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'none'";
    for (const [i, reply] of replies.entries()) {
      expect(reply.headers, urls[i]).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'content-security-policy': urls[i] === imageUrl ? imagePolicy : appPolicy,
      });
    }
  });

  it('serves a hint at / when the web app is not built, and the built app when it is', async () => {
    const app = await makeApp();
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.body).toContain('npm run build:web');
    const webDir = tempDataDir('web');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>toonlora</title>');
    const built = await makeApp({ webDir });
    expect((await built.inject({ method: 'GET', url: '/' })).body).toContain('<title>toonlora</title>');
    expect(readFileSync(join(webDir, 'index.html'), 'utf8')).toContain('toonlora');
  });
});
