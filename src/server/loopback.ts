// src/server/loopback.ts — which addresses and Host headers mean "this machine" (pure). A server with
// no token listens on loopback only, and answers only requests addressed to a loopback name, so a web
// page whose own domain an attacker re-points at 127.0.0.1 (DNS rebinding) cannot use it.

/** Whether `host` (an address to listen on) only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Whether a request's Host header names this machine: `localhost`, `127.x.x.x` or `[::1]`, any port. */
export function isLoopbackHostHeader(header: string | undefined): boolean {
  if (header === undefined) return false;
  const name = /^\[([^\]]*)\](?::\d+)?$/.exec(header)?.[1] ?? header.replace(/:\d+$/, '');
  return isLoopbackHost(name.toLowerCase());
}
