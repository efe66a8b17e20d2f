// test/server-auth.test.ts — who the REST API answers (fastify `inject`, no port): the bearer token, the
// session cookie, loopback Host names without a token (DNS rebinding) and writes from another origin.
import { describe, expect, it } from 'vitest';
import { multipartBody, solidPng } from './helpers/server-fixtures.js';
import { appsClosedAfterEach, createCharacter } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach();

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
        { filename: 'planted.png', data: await solidPng(64, 64, [uploads++, 0, 0]) },
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
});
