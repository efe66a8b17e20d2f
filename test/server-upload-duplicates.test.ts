// test/server-upload-duplicates.test.ts — POST /api/characters/:id/images through fastify `inject`: the same
// screenshot uploaded again (same bytes, any name) is not stored twice; the reply names the screenshot that has
// it. Another character, or a screenshot the user removed, does not count.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { multipartBody, solidPng, tempDataDir } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const apps = appsClosedAfterEach();
async function makeApp(): Promise<{ app: FastifyInstance; dataDir: string }> {
  const dataDir = tempDataDir();
  return { app: await apps.makeApp({ dataDir }), dataDir };
}

const upload = (app: FastifyInstance, characterId: string, files: Array<[string, Buffer]>) =>
  app.inject({
    method: 'POST',
    url: `/api/characters/${characterId}/images`,
    ...multipartBody(files.map(([filename, data]) => ({ filename, data }))),
  });

describe('duplicate uploads', () => {
  it('stores the same bytes once per character and names the screenshot that has them', async () => {
    const { app, dataDir } = await makeApp();
    const mina = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
    const sora = app.catalog.createCharacter({ name: 'Sora', trigger: 'sora_tl', classWord: 'girl' });
    const page1 = await solidPng(80, 64, [10, 20, 30]);
    const page2 = await solidPng(80, 64, [40, 50, 60]);

    const first = await upload(app, mina.id, [['p1.png', page1]]);
    expect(first.statusCode).toBe(201);
    const p1 = first.json().uploaded[0].id;
    expect(first.json().duplicates).toEqual([]);

    const second = await upload(app, mina.id, [
      ['p1 (1).png', page1],
      ['p2.png', page2],
    ]);
    expect(second.statusCode).toBe(201);
    expect(second.json().uploaded.map((u: { originalName: string }) => u.originalName)).toEqual(['p2.png']);
    expect(second.json().duplicates).toEqual([{ name: 'p1 (1).png', existingId: p1 }]);

    const only = await upload(app, mina.id, [['p1.png', page1]]);
    expect(only.statusCode).toBe(200);
    expect(only.json()).toEqual({
      uploaded: [],
      rejected: [],
      duplicates: [{ name: 'p1.png', existingId: p1 }],
    });
    expect(app.catalog.getCharacter(mina.id).imageCount).toBe(2);
    expect(readdirSync(join(dataDir, 'characters', mina.id, 'uploads'))).toHaveLength(2);

    // another character's screenshots are its own
    expect((await upload(app, sora.id, [['p1.png', page1]])).json().uploaded).toHaveLength(1);
    // a removed screenshot can be uploaded again
    expect((await app.inject({ method: 'DELETE', url: `/api/images/${p1}` })).statusCode).toBe(204);
    const back = await upload(app, mina.id, [['p1.png', page1]]);
    expect(back.statusCode).toBe(201);
    expect(back.json().duplicates).toEqual([]);
  });
});
