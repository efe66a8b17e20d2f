// test/server-characters.test.ts — characters through the REST API (fastify `inject`, no port): create, list,
// get, field validation (control characters, deep JSON), delete with everything of theirs, 404s.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { multipartBody, seedDataset, solidPng } from './helpers/server-fixtures.js';
import { appsClosedAfterEach, createCharacter } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach();

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
      message: `invalid request: body.params.imageIds.0: expected text (a quoted string), got ${'['.repeat(60)}.`,
    });
  });

  it('deletes a character with its screenshots, datasets, jobs and files, and no other', async () => {
    const app = await makeApp();
    const { characterId, datasetId } = await seedDataset(app);
    const keep = await createCharacter(app, {}, 'Sora');
    for (const id of [characterId, keep]) {
      const body = multipartBody([{ filename: 'x.png', data: await solidPng() }]);
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
    // the API's words, naming the job's own cancel endpoint (the web app's: test/server-busy-delete-web-words.test.ts)
    expect(res.json().error.message).toContain(
      `Cancel it (POST /api/jobs/${train.id}/cancel) or let it finish, then delete the character.`,
    );
    const generate = app.jobStore.createJob('generate', characterId, {});
    const two = await app.inject({ method: 'DELETE', url: `/api/characters/${characterId}` });
    expect(two.json().error.message).toContain(`generate job ${generate.id} (queued)`);
    expect(two.json().error.message).toContain(
      'Cancel them (POST /api/jobs/<id>/cancel, each) or let them finish',
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
