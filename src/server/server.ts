// src/server/server.ts — starts the app and listens (http, or https with a checked PEM pair: serve-tls.ts);
// nothing else. Refuses a non-loopback host without a token (every /api/ route then requires
// `Authorization: Bearer <token>`), and a short token.
import { createServer as createNetServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { ToonloraError } from '../errors.js';
import { codeInWords } from '../fs-error-words.js';
import type { Job } from '../schemas/api.js';
import { type AppOptions, buildApp } from './app.js';
import { isLoopbackHost } from './loopback.js';
import type { ServeTls } from './serve-tls.js';

export interface ListenOptions extends AppOptions {
  host: string;
  port: number;
  /** Log requests to stderr (fastify's logger). */
  log?: boolean;
  /** Serve https with this certificate and key (readServeTls); the session cookie is then `Secure`. */
  tls?: ServeTls;
}

/** EADDRINUSE / EACCES as a usage error naming --port; anything else unchanged. */
function listenError(error: unknown, options: ListenOptions): unknown {
  const code = (error as { code?: string }).code;
  if (code === 'EADDRINUSE') {
    return new ToonloraError(
      'TL_ERR_USAGE',
      `--port ${options.port}: ${options.host}:${options.port} is already in use (another toonlora serve?). Stop it, or give --port another number (0: any free port).`,
      { cause: error },
    );
  }
  if (code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    return new ToonloraError(
      'TL_ERR_USAGE',
      `--host ${options.host} --port ${options.port}: cannot listen there (${codeInWords(code)}). Use a port above 1023 and an address of this machine.`,
      { cause: error },
    );
  }
  return error;
}

/**
 * Refuses a non-loopback host without a token.
 * @throws ToonloraError TL_ERR_USAGE naming --host and TOONLORA_TOKEN
 */
export function checkListenHost(host: string, token: string | undefined): void {
  if (isLoopbackHost(host) || token) return;
  throw new ToonloraError(
    'TL_ERR_USAGE',
    `--host ${host}: listening beyond loopback needs a token. Set TOONLORA_TOKEN (clients then send "Authorization: Bearer <token>"), or use --host 127.0.0.1.`,
  );
}

/** The shortest TOONLORA_TOKEN a server takes: wrong tokens are slowed down per address only (plugins/auth-limiter.ts),
 * so many addresses guessing at once would find a short one. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * Refuses a token shorter than MIN_TOKEN_LENGTH characters.
 * @throws ToonloraError TL_ERR_USAGE naming TOONLORA_TOKEN and the minimum
 */
export function checkToken(token: string | undefined): void {
  if (token === undefined) return;
  const length = [...token].length;
  if (length >= MIN_TOKEN_LENGTH) return;
  throw new ToonloraError(
    'TL_ERR_USAGE',
    `TOONLORA_TOKEN: ${length} character${length === 1 ? '' : 's'} is too short. Set a token of at least ${MIN_TOKEN_LENGTH} characters, e.g. a random one: export TOONLORA_TOKEN=$(openssl rand -hex 16) (32 characters), and start serve again; or unset TOONLORA_TOKEN to serve on loopback only.`,
  );
}

/**
 * Binds `host:port` for a moment and lets it go, so a port another process holds (EADDRINUSE) or may not be
 * used (EACCES) is found before the data folder and its database are made. Port 0 (any free port) always binds.
 * @throws the listen error, as `listen` would throw it
 */
async function checkPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen({ host, port, exclusive: true }, () => resolve());
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

/**
 * Checks the port, builds, listens, then starts the job queue: a server whose port is taken creates nothing
 * (no data folder, no database); one that still cannot bind it (taken meanwhile), or whose data folder another
 * server holds, closes again having marked, started or changed no job.
 */
export async function startServer(options: ListenOptions): Promise<{ app: FastifyInstance; url: string }> {
  checkToken(options.token);
  checkListenHost(options.host, options.token);
  try {
    await checkPortFree(options.host, options.port);
  } catch (error) {
    throw listenError(error, options);
  }
  const server = {
    // pino's default is stdout, which holds `serve --json`'s document
    logger: options.log ? { level: 'info' as const, stream: process.stderr } : false,
    // fastify then listens with node:https; the request's protocol is https, so auth marks its cookie Secure
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
  };
  const app = await buildApp({ ...options, deferJobs: true }, server);
  let url: string;
  try {
    url = await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await app.close();
    throw listenError(error, options);
  }
  app.queue.start();
  return { app, url };
}

export interface StopServerOptions {
  /** Aborting it stops waiting for the running jobs: they are killed now and recorded (a second Ctrl-C). */
  force?: AbortSignal;
  /** Called when running jobs are killed (they outlived the grace time, or `force`): `serve` ends every worker. */
  onKill?: () => void;
}

/** A job the shutdown stopped, with its last status message (what happened to it). */
export interface StoppedJob {
  job: Job;
  message: string | undefined;
}

/**
 * Stops the server in order: no job starts any more, the running ones are asked to stop (a train job saves a
 * checkpoint) and waited for within the queue's grace time, then killed; each is recorded with its checkpoint and
 * final status while the store is open. Then the app closes: open job event streams end, the generation worker
 * and the database close. Resolves to the jobs that were running.
 */
export async function stopServer(
  app: FastifyInstance,
  options: StopServerOptions = {},
): Promise<StoppedJob[]> {
  const pullsStopped = app.modelPulls.close(); // model pulls stop now (`.part` kept); new ones get 503
  const jobs = await app.queue.close({
    ...(options.force ? { force: options.force } : {}),
    ...(options.onKill ? { onKill: options.onKill } : {}),
  });
  const stopped = jobs.map((job) => {
    const status = app.queue.listEvents(job.id).findLast((event) => event.body.type === 'status')?.body;
    return { job, message: status?.type === 'status' ? status.message : undefined };
  });
  await pullsStopped;
  await app.close();
  return stopped;
}
