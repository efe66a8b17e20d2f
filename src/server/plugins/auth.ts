// src/server/plugins/auth.ts — bearer-token check on every /api/ route when the server has a token
// (required whenever it listens beyond loopback). Compares in constant time.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ToonloraError } from '../../errors.js';

export interface AuthOptions {
  /** The token clients must send as `Authorization: Bearer <token>`; undefined: no check. */
  token?: string;
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1] as string);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
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
  if (!token) return;
  app.addHook('onRequest', async (request) => {
    if (!isApiRequest(request.routeOptions.url, request.url)) return;
    // EventSource cannot set headers: the SSE route also accepts ?token=.
    const queryToken = new URL(request.url, 'http://x').searchParams.get('token');
    const header = request.headers.authorization ?? (queryToken ? `Bearer ${queryToken}` : undefined);
    if (!tokenMatches(header, token)) {
      throw new ToonloraError(
        'TL_ERR_UNAUTHORIZED',
        `${request.method} ${request.url.split('?')[0]}: missing or wrong token. Send "Authorization: Bearer <TOONLORA_TOKEN>".`,
      );
    }
  });
}

declare module 'fastify' {
  interface FastifyInstance {
    authRequired: boolean;
  }
}

export default fp(authPlugin, { name: 'toonlora-auth', fastify: '5.x' });
