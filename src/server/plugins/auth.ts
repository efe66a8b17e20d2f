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

async function authPlugin(app: FastifyInstance, options: AuthOptions): Promise<void> {
  const token = options.token;
  app.decorate('authRequired', Boolean(token));
  if (!token) return;
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/api/')) return;
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
