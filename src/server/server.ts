// src/server/server.ts — starts the app and listens; nothing else. Refuses a non-loopback host
// without a token (every /api/ route then requires `Authorization: Bearer <token>`).
import type { FastifyInstance } from 'fastify';
import { ToonloraError } from '../errors.js';
import { type AppOptions, buildApp } from './app.js';

export interface ListenOptions extends AppOptions {
  host: string;
  port: number;
  /** Log requests to stderr (fastify's logger). */
  log?: boolean;
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Builds and listens; resolves with the app and the address it listens on. */
export async function startServer(options: ListenOptions): Promise<{ app: FastifyInstance; url: string }> {
  if (!isLoopbackHost(options.host) && !options.token) {
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `--host ${options.host}: listening beyond loopback needs a token. Set TOONLORA_TOKEN (clients then send "Authorization: Bearer <token>"), or use --host 127.0.0.1.`,
    );
  }
  const app = await buildApp(options, { logger: options.log ? { level: 'info' } : false });
  const url = await app.listen({ host: options.host, port: options.port });
  return { app, url };
}
