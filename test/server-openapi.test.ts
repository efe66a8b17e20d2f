// test/server-openapi.test.ts — what every reply carries (fastify `inject`, no port): the OpenAPI document of
// the /api/ routes, security headers, and the page at / with and without a built web app.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { multipartBody, solidPng, tempDataDir } from './helpers/server-fixtures.js';
import { appsClosedAfterEach, createCharacter } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach();

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
    // BMP is taken too (before, the form's description left it out), AVIF, and TIFF converted to PNG
    expect(form.properties.files.description).toContain(
      'Screenshots, PNG, JPEG, WebP, GIF, BMP, AVIF or TIFF (type read from the bytes; a TIFF is stored as PNG',
    );
    // and the smallest size taken: prep skips a smaller image, so the upload refuses it
    expect(form.properties.files.description).toContain('the shorter side at least 64 px');
  });

  it('sends nosniff, no framing and a Content-Security-Policy on every reply', async () => {
    const webDir = tempDataDir('web');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>toonlora</title>');
    const app = await makeApp({ webDir });
    const characterId = await createCharacter(app);
    const body = multipartBody([{ filename: 'a.png', data: await solidPng() }]);
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
