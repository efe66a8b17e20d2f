// src/server/plugins/auth.ts — the token check on every /api/ route when the server has a token
// (required whenever it listens beyond loopback), compared in constant time. Clients send
// `Authorization: Bearer <token>`. The web app also trades the token for a session cookie
// (POST /api/session: HttpOnly, SameSite=Strict, a random id of its own, session-store.ts), which <img>, download
// links and EventSource send by themselves; the cookie counts on GET / HEAD only, so another site cannot make a
// browser change anything, and the token never goes into a URL (server logs, browser history, Referer headers).
// DELETE /api/session (the web app's "Forget token", here beside POST) ends the session its cookie names on the
// server and clears the cookie; sessions also end unused for a while, after a longest
// time, and with the server: a request with the token that sends a stale cookie gets a fresh one, so the web app
// goes on after a restart. Without a token (loopback only) a request must be addressed to a loopback name: the
// DNS-rebinding guard; and a request that changes something (not GET / HEAD) must not come from a page of
// another origin (its `Origin` header, or `Sec-Fetch-Site: cross-site / same-site`): another site's form or
// no-cors fetch cannot upload or cancel. Clients that are not browsers (curl, the CLI) send neither header.
// With a token, an address that sends too many wrong ones is answered 429 for a while (auth-limiter.ts).
import { timingSafeEqual } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ToonloraError } from '../../errors.js';
import { errorResponseSchema } from '../../schemas/api.js';
import { isLoopbackHostHeader } from '../loopback.js';
import { zodRoute } from '../route-schema.js';
import { AuthFailureLimiter, type AuthLimiterOptions } from './auth-limiter.js';
import { SessionStore, type SessionStoreOptions } from './session-store.js';

/** The web app's session cookie: a session id from SessionStore. */
export const SESSION_COOKIE = 'toonlora_session';

/** The session cookie's attributes: for /api/ only, not readable by scripts, never sent by other sites. */
function sessionCookieOptions(request: FastifyRequest) {
  return { path: '/api', httpOnly: true, sameSite: 'strict', secure: request.protocol === 'https' } as const;
}

/** Sets the session cookie `id` on `reply`. */
function setSessionCookie(request: FastifyRequest, reply: FastifyReply, id: string): void {
  reply.setCookie(SESSION_COOKIE, id, sessionCookieOptions(request));
}

export interface AuthOptions {
  /** The token clients must send as `Authorization: Bearer <token>`; undefined: no check. */
  token?: string;
  /** The wrong-token limiter's settings (tests; defaults in auth-limiter.ts). */
  limiter?: AuthLimiterOptions;
  /** The session store's settings (tests; defaults in session-store.ts). */
  sessions?: SessionStoreOptions;
}

/**
 * Whether a request that sent the right token gets a new session cookie: it asks for one (POST /api/session)
 * and has no live one (a live one is kept: a reload makes no new session), or it sends one that ended (a
 * restarted server, an idle week: the web app's own requests renew it, so its pictures and progress streams go
 * on loading). A client that sends no cookie (curl, the CLI) makes no sessions.
 */
function needsNewSession(
  request: FastifyRequest,
  cookie: string | undefined,
  sessions: SessionStore,
): boolean {
  const asks = request.method === 'POST' && request.routeOptions.url === '/api/session';
  if (!asks && cookie === undefined) return false;
  return !sessions.use(cookie);
}

/** The 429 an address blocked for wrong tokens gets, with Retry-After in whole seconds. */
function tooManyWrongTokens(reply: FastifyReply, blockedMs: number): ToonloraError {
  const seconds = Math.ceil(blockedMs / 1000);
  reply.header('retry-after', String(seconds));
  return new ToonloraError(
    'TL_ERR_TOO_MANY_REQUESTS',
    `too many wrong tokens from this address: try again in ${seconds} s (Retry-After), with the TOONLORA_TOKEN the server was started with.`,
    { details: { retryAfterS: seconds } },
  );
}

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function bearerMatches(header: string | undefined, token: string): boolean {
  // the scheme is case-insensitive (RFC 9110 11.1): `bearer <token>` is the same
  return sameSecret(/^Bearer +(.+)$/i.exec(header ?? '')?.[1], token);
}

/** The headers whose values `crossOriginWrite` reads. */
interface OriginHeaders {
  host?: string | undefined;
  origin?: string | undefined;
  'sec-fetch-site'?: string | string[] | undefined;
}

/**
 * Why a request that changes something (any method but GET / HEAD) comes from another origin than the
 * server's own (http or https, the host and port of its Host header), or undefined when it does not: an
 * `Origin` header of another origin (`null` included), or `Sec-Fetch-Site: cross-site` or `same-site`
 * (another port or subdomain is another origin). A request with neither header (curl, the CLI) passes.
 */
export function crossOriginWrite(method: string, headers: OriginHeaders): string | undefined {
  if (method === 'GET' || method === 'HEAD') return undefined;
  const fetchSite = headers['sec-fetch-site'];
  if (fetchSite === 'cross-site' || fetchSite === 'same-site') return `Sec-Fetch-Site: ${fetchSite}`;
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  const described = `Origin ${JSON.stringify(origin.slice(0, 120))}`;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return described;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== origin.toLowerCase()) {
    return described; // `null`, another scheme, or not an origin (a path, user info)
  }
  let own: URL;
  try {
    own = new URL(`${url.protocol}//${headers.host ?? ''}`);
  } catch {
    return described;
  }
  return own.host === url.host && own.host !== '' ? undefined : described;
}

/**
 * Whether a request reaches the API: by the route the router matched (it decodes the path, so
 * `/%61pi/jobs` is `/api/jobs`), and by the decoded path too, so no spelling of a path skips the check.
 */
export function isApiRequest(matchedRoute: string | undefined, rawUrl: string): boolean {
  if (matchedRoute?.startsWith('/api')) return true;
  const path = rawUrl.split('?')[0] ?? '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return true; // a path that does not decode is checked rather than trusted
  }
  return decoded
    .replace(/\/{2,}/g, '/')
    .toLowerCase()
    .startsWith('/api');
}

async function authPlugin(app: FastifyInstance, options: AuthOptions): Promise<void> {
  const token = options.token;
  app.decorate('authRequired', Boolean(token));
  await app.register(fastifyCookie); // parses cookies in an onRequest hook that runs before the check below
  const sessions = token ? new SessionStore(options.sessions) : undefined;
  if (!token) {
    // No token means loopback only (server.ts): answer only requests addressed to this machine by name,
    // so a page on another domain that re-points its name at 127.0.0.1 cannot reach the API.
    app.addHook('onRequest', async (request) => {
      if (!isLoopbackHostHeader(request.headers.host)) {
        throw new ToonloraError(
          'TL_ERR_FORBIDDEN',
          `Host ${JSON.stringify(request.headers.host ?? '')}: this server has no token, so it answers only requests addressed to localhost, 127.0.0.1 or [::1]. Open it as http://127.0.0.1:${request.socket.localPort ?? '<port>'}/, or set TOONLORA_TOKEN (then any address works with the token).`,
        );
      }
      // A page of another site can send a form or a no-cors fetch here (no preflight): it must not change
      // anything. (With a token, the bearer header is the guard: no other origin can send it.)
      const other = crossOriginWrite(request.method, request.headers);
      if (other === undefined) return;
      throw new ToonloraError(
        'TL_ERR_FORBIDDEN',
        `${request.method} ${request.url.split('?')[0]}: refused a request from a page of another origin (${other}). This server has no token, so only its own web app (http://${request.headers.host}) may change anything; clients that are not browsers send no Origin header.`,
      );
    });
  }
  if (token && sessions) {
    const limiter = new AuthFailureLimiter(options.limiter);
    app.addHook('onRequest', async (request, reply) => {
      if (!isApiRequest(request.routeOptions.url, request.url)) return;
      const blockedMs = limiter.blockedForMs(request.ip);
      if (blockedMs > 0) throw tooManyWrongTokens(reply, blockedMs);
      const cookie = request.cookies[SESSION_COOKIE];
      if (bearerMatches(request.headers.authorization, token)) {
        limiter.recordSuccess(request.ip);
        if (needsNewSession(request, cookie, sessions)) setSessionCookie(request, reply, sessions.create());
        return;
      }
      const reads = request.method === 'GET' || request.method === 'HEAD';
      if (reads && sessions.use(cookie)) return;
      // A wrong bearer token counts; a missing one does not (a page loaded before its session was set), nor a
      // stale session cookie (an ended session, a restarted server): its id is random, not a guess at the token.
      if (request.headers.authorization !== undefined) {
        const nowBlockedMs = limiter.recordFailure(request.ip);
        if (nowBlockedMs > 0) throw tooManyWrongTokens(reply, nowBlockedMs);
      }
      throw new ToonloraError(
        'TL_ERR_UNAUTHORIZED',
        `${request.method} ${request.url.split('?')[0]}: missing or wrong token. Send "Authorization: Bearer <TOONLORA_TOKEN>".`,
      );
    });
  }
  app.post(
    '/api/session',
    {
      schema: zodRoute({
        noContent: true,
        response: { 401: errorResponseSchema },
        summary:
          'Sets the web session cookie (needs the bearer token): lets <img>, links and EventSource read /api/ without it',
        tags: ['auth'],
      }),
    },
    // the cookie, when the browser has no live session, is set by the token check above (needsNewSession)
    async (_request, reply) => reply.code(204).send(),
  );
  // the web app's "Forget token": the session ends on the server, so a copy of the cookie kept elsewhere reads
  // nothing any more, and the browser's copy is cleared; it needs the token, as every write does
  app.delete(
    '/api/session',
    {
      schema: zodRoute({
        noContent: true,
        response: { 401: errorResponseSchema },
        summary:
          'Ends the web session its cookie names, on the server, and clears the cookie (needs the bearer token when the server has one)',
        tags: ['auth'],
      }),
    },
    async (request, reply) => {
      sessions?.revoke(request.cookies[SESSION_COOKIE]);
      reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(request));
      return reply.code(204).send();
    },
  );
}

declare module 'fastify' {
  interface FastifyInstance {
    authRequired: boolean;
  }
}

export default fp(authPlugin, { name: 'toonlora-auth', fastify: '5.x' });
