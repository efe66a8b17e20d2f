// src/cli/commands/serve.ts — `toonlora serve`: start the REST API and web app (maps flags to
// startServer's options; the token comes from TOONLORA_TOKEN, never from a flag or a file).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ToonloraError } from '../../errors.js';
import { toonloraHome } from '../../models/cache.js';
import { DEFAULT_WEB_DIR } from '../../server/app.js';
import { createServeServices } from '../../server/serve-services.js';
import { checkListenHost, checkToken, startServer } from '../../server/server.js';
import { commandAction, printResult } from '../output.js';
import { webBuildStale } from './serve-build.js';

interface ServeFlags {
  host: string;
  port: string;
  data?: string;
  log: boolean;
  json: boolean;
}

/** `--port` text as a port number: decimal digits only (Number() would also take `0x1F40`). */
export function parsePort(value: string): number {
  const port = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `--port: expected an integer 0-65535, got ${JSON.stringify(value)}. Set --port 7860.`,
    );
  }
  return port;
}

/** Builds web/dist on first use and again when web/src (or what it imports) changed since, e.g. after
 * `git pull` (vite, a few seconds), so a checkout serves its own web app. */
function ensureWebAppBuilt(): void {
  const root = resolve(DEFAULT_WEB_DIR, '..', '..');
  if (!webBuildStale(DEFAULT_WEB_DIR, root)) return;
  const previous = existsSync(join(DEFAULT_WEB_DIR, 'index.html'));
  const action = previous ? 'rebuilding the web app, its sources changed' : 'building the web app';
  process.stderr.write(`toonlora serve: ${action} (npm run build:web)...\n`);
  const build = spawnSync('npm', ['run', 'build:web', '--silent'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (build.status !== 0) {
    process.stderr.write(
      `${build.stderr ?? ''}toonlora serve: the web app did not build; ` +
        `${previous ? 'serving the previous build' : 'the API still runs'}. Try: npm run build:web\n`,
    );
  }
}

async function serve(flags: ServeFlags): Promise<number> {
  // usage errors first: a stale web app takes seconds to rebuild, for nothing if the flags are wrong
  const port = parsePort(flags.port);
  const token = process.env.TOONLORA_TOKEN?.trim() || undefined;
  checkToken(token);
  checkListenHost(flags.host, token);
  const dataDir = resolve(flags.data ?? join(toonloraHome(), 'server'));
  ensureWebAppBuilt();
  const { app, url } = await startServer({
    host: flags.host,
    port,
    dataDir,
    token,
    log: flags.log,
    ...createServeServices(),
  });
  printResult(
    { url, host: flags.host, dataDir, auth: Boolean(token) },
    flags,
    (result) =>
      `toonlora serving ${result.url}` +
      // fastify answers with a loopback URL for 0.0.0.0 / ::; say where it really listens.
      (new URL(result.url).hostname.replace(/^\[|\]$/g, '') === result.host
        ? ''
        : ` (listening on ${result.host})`) +
      ` (data: ${result.dataDir}${result.auth ? ', token required' : ''}). Ctrl+C stops.`,
  );
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  // Running jobs end `interrupted` and can be resumed after the next start.
  await app.close();
  return 0;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'start the REST API (/api/, OpenAPI at /openapi.json) and the web app (/). Jobs run one at a time; ' +
        'a job that was running when the server stopped is marked interrupted and a training job can be resumed.',
    )
    .option(
      '--host <host>',
      'address to listen on; anything but loopback requires TOONLORA_TOKEN',
      '127.0.0.1',
    )
    .option('--port <port>', 'TCP port (0: any free port)', '7860')
    .option(
      '--data <dir>',
      'data folder: database, uploads, datasets, LoRAs, images (default: <toonlora home>/server)',
    )
    .option('--log', 'log every request to stderr', false)
    .option('--json', 'print the address as JSON', false)
    .action(commandAction('serve', (flags: ServeFlags) => serve(flags)));
}
