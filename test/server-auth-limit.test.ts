// test/server-auth-limit.test.ts — wrong tokens are slowed down: after AUTH_FAILURE_LIMIT of them from one
// address, every /api/ request from it (the right token included) is answered 429 with Retry-After until the
// block is over; other addresses, and requests that send no token at all, are not counted; a server without
// a token (loopback only) has no such limit.
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AUTH_BLOCK_MS, AUTH_FAILURE_LIMIT } from '../src/server/plugins/auth-limiter.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const TOKEN = 's3cret-token-4567';
const apps = appsClosedAfterEach('auth-limit');
// registered after the apps' after-each, so it runs before it (vitest runs them last-registered first)
afterEach(() => {
  vi.useRealTimers();
});

const makeApp = (token?: string) => apps.makeApp({ deferJobs: true, ...(token ? { token } : {}) });

function get(app: FastifyInstance, bearer: string | undefined, remoteAddress = '203.0.113.7') {
  return app.inject({
    method: 'GET',
    url: '/api/characters',
    remoteAddress,
    headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` },
  });
}

describe('wrong tokens', () => {
  it('block their address with 429 and Retry-After once there are too many, until the block is over', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const app = await makeApp(TOKEN);
    for (let i = 1; i < AUTH_FAILURE_LIMIT; i++) expect((await get(app, `guess-${i}`)).statusCode).toBe(401);
    const blocked = await get(app, 'one-guess-too-many');
    expect(blocked.statusCode).toBe(429);
    const seconds = AUTH_BLOCK_MS / 1000;
    expect(blocked.headers['retry-after']).toBe(String(seconds));
    expect(blocked.json().error).toEqual({
      code: 'TL_ERR_TOO_MANY_REQUESTS',
      message: `too many wrong tokens from this address: try again in ${seconds} s (Retry-After), with the TOONLORA_TOKEN the server was started with.`,
      details: { retryAfterS: seconds },
    });
    // blocked means blocked: the right token gets no answer that tells a guess was right
    expect((await get(app, TOKEN)).statusCode).toBe(429);
    // another address is not affected
    expect((await get(app, TOKEN, '198.51.100.2')).statusCode).toBe(200);
    vi.advanceTimersByTime(AUTH_BLOCK_MS - 1_500);
    const later = await get(app, TOKEN);
    expect(later.statusCode).toBe(429);
    expect(later.headers['retry-after']).toBe('2');
    vi.advanceTimersByTime(1_500);
    expect((await get(app, TOKEN)).statusCode).toBe(200);
  });

  it('are told apart from requests that send no token or a stale session cookie, which are never blocked', async () => {
    const app = await makeApp(TOKEN);
    for (let i = 0; i < AUTH_FAILURE_LIMIT * 2; i++) expect((await get(app, undefined)).statusCode).toBe(401);
    for (let i = 0; i < AUTH_FAILURE_LIMIT * 2; i++) {
      const stale = await app.inject({
        method: 'GET',
        url: '/api/characters',
        remoteAddress: '203.0.113.7',
        cookies: { toonlora_session: 'from-a-previous-token' },
      });
      expect(stale.statusCode).toBe(401);
    }
    expect((await get(app, TOKEN)).statusCode).toBe(200);
  });

  it('are not counted by a server without a token (loopback only)', async () => {
    const app = await makeApp();
    for (let i = 0; i < AUTH_FAILURE_LIMIT * 2; i++) {
      const res = await get(app, `guess-${i}`, '127.0.0.1');
      expect(res.statusCode).toBe(200);
    }
  });
});
