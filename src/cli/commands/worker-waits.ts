// src/cli/commands/worker-waits.ts — what `toonlora worker` decides and says while its claims fail in ways that may
// mend on their own: a host name that does not resolve yet (a worker started at boot before the network or its
// DNS is up: how long it waits, hostWaitMs, and the line of each try), and, once a toonlora server answered at
// --server, another page answering in its place (a login page, a proxy's 400: a line at each claim). Pure but for
// the machine's network addresses, which are given in tests.
import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';
import { duration } from '../../jobs/remote/reach-log.js';
import type { NotToonloraReplyError } from '../../jobs/remote/reply-check.js';

/** How long a worker started while this machine has no network address waits for --server's host name to resolve,
 * unless --wait-for-server says. */
export const BOOT_WAIT_MS = 5 * 60_000;

/** Whether this machine has a network address other than loopback and link-local (its network is up). */
export function hasNetworkAddress(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): boolean {
  return Object.values(interfaces).some((list) =>
    (list ?? []).some((info) => !info.internal && !/^(169\.254\.|fe80:)/i.test(info.address)),
  );
}

/**
 * How long after its start the worker's claims may fail with a host name that does not resolve (ENOTFOUND) before it
 * gives up, in ms: `--wait-for-server` when given; else BOOT_WAIT_MS when it started with no network address (at
 * boot), and 0 when it had one (a mistyped host name: it ends after WRONG_SERVER_TRIES claims, ~15 s, as before).
 */
export function hostWaitMs(flagMs: number | undefined, networkUpAtStart: boolean): number {
  return flagMs ?? (networkUpAtStart ? 0 : BOOT_WAIT_MS);
}

/** The line of each claim that waits for `server`'s host name to resolve (`reach`: ENOTFOUND). */
export function hostWaitLine(
  server: string,
  reach: string,
  wait: { elapsedMs: number; limitMs: number; retryMs: number; networkUpAtStart: boolean },
): string {
  const { hostname: host } = new URL(server);
  const why = wait.networkUpAtStart
    ? 'no DNS name or hosts-file entry for it yet (a VPN or DNS server still starting?)'
    : 'this machine had no network address when the worker started (the network is still coming up?)';
  return (
    `waiting for ${host} to resolve (${reach}): ${why}; trying again in ${duration(wait.retryMs)}, for up to ` +
    `${duration(wait.limitMs)} after the start (--wait-for-server), ${duration(wait.elapsedMs)} so far`
  );
}

/** The line of each claim, once a toonlora server answered at `server`, that got another page in its place (the
 * `claims`-th in a row; the next try in `retryMs`). */
export function inPlaceLine(
  error: NotToonloraReplyError,
  server: string,
  claims: number,
  retryMs: number,
): string {
  return (
    `something else answers at ${server} in place of toonlora serve, which answered there before: ` +
    `${claims} claim${claims === 1 ? '' : 's'} in a row (POST ${server}/api/worker/claim) got ${error.described}. ` +
    'A proxy or login page in front of serve answers instead (a login session that expired, a proxy rule ' +
    `changed), or another server took the address: check that ${server}/api/worker/ reaches toonlora serve; ` +
    `trying again in ${duration(retryMs)}`
  );
}
