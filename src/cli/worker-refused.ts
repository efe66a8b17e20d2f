// src/cli/worker-refused.ts — `toonlora worker`'s words for a --server whose port no server answers on: a connection
// refused (ECONNREFUSED: nothing listens there, serve not started yet or another port) before serve ever answered,
// waited for as a host name that does not resolve is (--wait-for-server, or 5 min at boot; else it ends after 3
// claims), and a port fetch never connects to ("bad port": 1, 22, 25, 6000…, the Fetch standard's list), which ends
// it at once. Before, both were tried again forever ("cannot reach http://127.0.0.1:1 (bad port); trying again in 5
// s"). Pure.
import { ToonloraError } from '../errors.js';
import { duration } from '../jobs/remote/reach-log.js';
import { SERVE_DEFAULTS } from '../schemas/serve-defaults.js';

/** The reach code of a connection refused: nothing listens at the address's port. */
export const REFUSED = 'ECONNREFUSED';
/** fetch's reason for a port it never connects to (undici: the Fetch standard's bad ports). */
export const BAD_PORT = 'bad port';

/** `server`'s host and port as typed, with the scheme's port when none is ("gpu-host:7860"). */
function hostPort(server: string): { host: string; port: string } {
  const url = new URL(server);
  return { host: url.hostname, port: url.port || (url.protocol === 'https:' ? '443' : '80') };
}

const WHAT_TO_CHECK =
  `is toonlora serve running there, started with --remote-workers, and on that port (it prints ` +
  `"toonlora serving http://host:port" when it starts; ${SERVE_DEFAULTS.port} unless --port)? A firewall that ` +
  'rejects the port reads the same';

/** Why `claims` at `server` were refused, and what to check (the worker's last word). */
export function refusedLine(server: string, claims: string): string {
  const { host, port } = hostPort(server);
  return (
    `nothing answers at ${host} on port ${port}: ${claims} were refused (${REFUSED}): ${WHAT_TO_CHECK}. To start ` +
    'the worker before serve, give it time: --wait-for-server <seconds>.'
  );
}

/** The line of each claim refused while the worker waits for serve to start (--wait-for-server, or at boot). */
export function refusedWaitLine(
  server: string,
  wait: { elapsedMs: number; limitMs: number; retryMs: number },
): string {
  const { host, port } = hostPort(server);
  return (
    `waiting for toonlora serve at ${host} on port ${port} (${REFUSED}: nothing listens there yet; serve not ` +
    `started yet?); trying again in ${duration(wait.retryMs)}, for up to ${duration(wait.limitMs)} after the start ` +
    `(--wait-for-server), ${duration(wait.elapsedMs)} so far`
  );
}

/** The worker's end at a port fetch never connects to: no server can be reached there, so trying again is no use. */
export function badPortError(server: string): ToonloraError {
  const { port } = hostPort(server);
  return new ToonloraError(
    'TL_ERR_USAGE',
    `--server ${server}: port ${port} is one this worker never connects to (fetch's list of ports of other ` +
      `services, e.g. 1, 22, 25, 6000: "${BAD_PORT}"), so no toonlora server can be reached there. Use the port ` +
      `\`toonlora serve\` prints when it starts ("toonlora serving http://host:port"; ${SERVE_DEFAULTS.port} unless ` +
      '--port), and start serve on another port if it uses this one.',
    { details: { reach: BAD_PORT } },
  );
}
