// test/server-session.test.ts — the web session cookie (fastify `inject`, no port): each POST /api/session
// makes a session of its own with a random id; DELETE /api/session ends the one it is sent with; a session ends
// after SESSION_IDLE_MS unused or SESSION_MAX_AGE_MS after it was made; a restarted server knows none, and a
// bearer request that sends a stale cookie gets a fresh one (the web app's pictures go on loading).
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SESSION_IDLE_MS, SESSION_MAX_AGE_MS } from '../src/server/plugins/session-store.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const TOKEN = 's3cret-token-4567';
const BEARER = { authorization: `Bearer ${TOKEN}` };
const apps = appsClosedAfterEach('session');
// registered after the apps' after-each, so it runs before it (vitest runs them last-registered first)
afterEach(() => {
  vi.useRealTimers();
});

const makeApp = () => apps.makeApp({ deferJobs: true, token: TOKEN });

/** The `name=value` of the session cookie a reply sets, or undefined when it sets none. */
function cookieSet(setCookie: string | string[] | undefined): string | undefined {
  const all = Array.isArray(setCookie) ? setCookie : setCookie === undefined ? [] : [setCookie];
  return all
    .find((c) => c.startsWith('toonlora_session=') && !c.includes('Expires=Thu, 01 Jan 1970'))
    ?.split(';')[0];
}

/** POSTs /api/session with the token (and `cookie`); resolves to the session cookie it sets. */
async function newSession(app: FastifyInstance, cookie?: string): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/session',
    headers: { ...BEARER, ...(cookie ? { cookie } : {}) },
  });
  expect(res.statusCode).toBe(204);
  const set = cookieSet(res.headers['set-cookie']);
  if (!set) throw new Error('POST /api/session set no session cookie');
  return set;
}

/** The status of a read sent with the cookie alone (what <img> and EventSource send). */
async function readWith(app: FastifyInstance, cookie: string): Promise<number> {
  return (await app.inject({ method: 'GET', url: '/api/characters', headers: { cookie } })).statusCode;
}

describe('web sessions', () => {
  it('are random and each its own: ending one (DELETE /api/session) leaves the other', async () => {
    const app = await makeApp();
    const a = await newSession(app);
    const b = await newSession(app);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^toonlora_session=[\w-]{43}$/);
    expect(await readWith(app, a)).toBe(200);
    expect(await readWith(app, b)).toBe(200);
    const end = await app.inject({
      method: 'DELETE',
      url: '/api/session',
      headers: { ...BEARER, cookie: a },
    });
    expect(end.statusCode).toBe(204);
    // a copy of the cookie kept elsewhere reads nothing any more
    expect(await readWith(app, a)).toBe(401);
    expect(await readWith(app, b)).toBe(200);
    // an id the server never gave out
    expect(await readWith(app, `toonlora_session=${'A'.repeat(43)}`)).toBe(401);
  });

  it('a browser that asks again while its session is live keeps it (a reload makes no new one)', async () => {
    const app = await makeApp();
    const a = await newSession(app);
    const again = await app.inject({
      method: 'POST',
      url: '/api/session',
      headers: { ...BEARER, cookie: a },
    });
    expect(again.statusCode).toBe(204);
    expect(cookieSet(again.headers['set-cookie'])).toBeUndefined();
    expect(await readWith(app, a)).toBe(200);
    // one whose session ended gets a new one
    await app.inject({ method: 'DELETE', url: '/api/session', headers: { ...BEARER, cookie: a } });
    expect(await newSession(app, a)).not.toBe(a);
  });

  it('end after SESSION_IDLE_MS unused', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const app = await makeApp();
    const a = await newSession(app);
    vi.advanceTimersByTime(SESSION_IDLE_MS - 1_000);
    expect(await readWith(app, a)).toBe(200); // a use starts the idle time again
    vi.advanceTimersByTime(SESSION_IDLE_MS - 1_000);
    expect(await readWith(app, a)).toBe(200);
    vi.advanceTimersByTime(SESSION_IDLE_MS);
    expect(await readWith(app, a)).toBe(401);
  });

  it('end SESSION_MAX_AGE_MS after they were made, however often they are used', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const app = await makeApp();
    const a = await newSession(app);
    const day = 24 * 60 * 60 * 1000;
    for (let used = day; used < SESSION_MAX_AGE_MS; used += day) {
      vi.advanceTimersByTime(day);
      expect(await readWith(app, a)).toBe(200);
    }
    vi.advanceTimersByTime(day);
    expect(await readWith(app, a)).toBe(401);
  });

  it('end with the server: a restarted one refuses the cookie alone, and renews it for a request with the token', async () => {
    const before = await makeApp();
    const stale = await newSession(before);
    await before.close();
    const after = await makeApp();
    expect(await readWith(after, stale)).toBe(401);
    // the web app's next request (with its stored token) carries the stale cookie: it gets a fresh one
    const read = await after.inject({
      method: 'GET',
      url: '/api/characters',
      headers: { ...BEARER, cookie: stale },
    });
    expect(read.statusCode).toBe(200);
    const fresh = cookieSet(read.headers['set-cookie']);
    expect(fresh).toMatch(/^toonlora_session=[\w-]{43}$/);
    expect(await readWith(after, fresh as string)).toBe(200);
    // clients without a cookie (curl, the CLI) get none: they make no sessions
    const cli = await after.inject({ method: 'GET', url: '/api/characters', headers: BEARER });
    expect(cookieSet(cli.headers['set-cookie'])).toBeUndefined();
    // nor does a request whose session is live
    const live = await after.inject({
      method: 'GET',
      url: '/api/characters',
      headers: { ...BEARER, cookie: fresh },
    });
    expect(cookieSet(live.headers['set-cookie'])).toBeUndefined();
  });
});
