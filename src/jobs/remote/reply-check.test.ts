// src/jobs/remote/reply-check.test.ts — the rule `toonlora worker` stops on (meansWrongServer), as a table: which
// replies that are not a toonlora server's mean `--server` names another server, and which are a proxy answering for
// a toonlora server that is away for a while (tried again, as before); which of them a run tries again
// (transientReply), which are another page in place of a server that answered before (answersInPlace), and what a
// proxy's refusal says (proxyRefusal); which failures to reach a server never mend
// (reachDeadEnd).
import { describe, expect, it } from 'vitest';
import {
  answersInPlace,
  type ForeignReply,
  meansWrongServer,
  proxyRefusal,
  reachDeadEnd,
  transientReply,
} from './reply-check.js';

const reply = (status: number, more: Partial<ForeignReply> = {}): ForeignReply => ({
  status,
  cut: false,
  toonloraHeader: false,
  ...more,
});

describe('meansWrongServer', () => {
  it.each([
    // [what, reply, a toonlora server answered here earlier in this run, wrong server]
    ["another web server's HTML 404", reply(404), false, true],
    ["a login portal's 200 page", reply(200), false, true],
    ["another API's JSON 404 / 405", reply(405), false, true],
    ['a redirect not followed', reply(302), false, true],
    ["another server's 401 / 403", reply(403), false, true],
    ["a proxy's HTML 502 while serve restarts", reply(502), false, false],
    ["a proxy's 503 / 504", reply(504), false, false],
    ["a proxy's timeout", reply(408), false, false],
    ["a proxy's rate limit", reply(429), false, false],
    ['a body cut short', reply(404, { cut: true }), false, false],
    ["toonlora's protocol header on a garbled reply", reply(200, { toonloraHeader: true }), false, false],
    // a proxy that answers 404 for a backend it has dropped while it restarts (Traefik): the server was reached before
    ["a proxy's 404 after the server answered", reply(404), true, false],
    ['a login page after the server answered', reply(200), true, false],
  ] as const)('%s', (_what, foreign, reachedBefore, wrong) => {
    expect(meansWrongServer(foreign, reachedBefore)).toBe(wrong);
  });
});

describe('answersInPlace', () => {
  it.each([
    // [what, reply (at an address where serve answered earlier), said at each claim as another page in its place]
    ["a login page's 200", reply(200), true],
    ["a proxy's HTML 400", reply(400), true],
    ['a redirect not followed', reply(302), true],
    ["a proxy's 404 for a backend it dropped while serve restarts", reply(404), false],
    ["a proxy's 502 while serve restarts", reply(502), false],
    ["a proxy's rate limit", reply(429), false],
    ['a body cut short', reply(200, { cut: true }), false],
    ["toonlora's protocol header on a garbled reply", reply(400, { toonloraHeader: true }), false],
  ] as const)('%s', (_what, foreign, inPlace) => {
    expect(answersInPlace(foreign)).toBe(inPlace);
  });
});

describe('transientReply', () => {
  it.each([
    // [what, reply, a toonlora server answered here earlier, tried again]
    ["a proxy's HTML 502 while serve restarts", reply(502), true, true],
    ["a proxy's 503 / 504", reply(504), true, true],
    ["a proxy's timeout", reply(408), true, true],
    ["a proxy's rate limit", reply(429), true, true],
    ["a proxy's 404 for a backend it dropped while serve restarts", reply(404), true, true],
    ["another server's 404 at an address never reached", reply(404), false, false],
    ['a body cut short', reply(200, { cut: true }), true, true],
    ["toonlora's protocol header on a garbled reply", reply(400, { toonloraHeader: true }), true, true],
    // refusals that stay (before: all tried again, a 413 upload for minutes, a 403 claim forever)
    ["nginx's 413 Request Entity Too Large on an upload", reply(413), true, false],
    ["nginx's 413 cut short", reply(413, { cut: true }), true, false],
    ["an auth proxy's 401", reply(401), true, false],
    ["an auth proxy's 403", reply(403), true, false],
    ["a proxy's 400", reply(400), true, false],
    ["a login page's 200", reply(200), true, false],
  ] as const)('%s', (_what, foreign, reachedBefore, transient) => {
    expect(transientReply(foreign, reachedBefore)).toBe(transient);
  });
});

describe('proxyRefusal', () => {
  it('says what a 413 refused, its size and what to change; a 401 / 403 that a login stands in front of serve', () => {
    const base = 'https://gpu.example';
    expect(proxyRefusal(413, base, 151 * 1_048_576 + 200_000)).toBe(
      'a proxy in front of https://gpu.example refused the upload of 151.2 MiB: its limit on a request body is ' +
        "smaller (toonlora serve's own refusal says its limit). Raise the proxy's limit (nginx: " +
        'client_max_body_size, e.g. `client_max_body_size 0;` in the block that proxies to serve; others: their ' +
        "request body size limit), or point --server at serve's own address",
    );
    expect(proxyRefusal(413, base)).toMatch(
      /^a proxy in front of https:\/\/gpu\.example refused the upload: /,
    );
    for (const status of [401, 403]) {
      expect(proxyRefusal(status, base)).toMatch(
        /^something in front of https:\/\/gpu\.example refused this worker: an auth proxy or a login page stands in front of toonlora serve /,
      );
    }
    for (const status of [200, 404, 502]) expect(proxyRefusal(status, base)).toBeUndefined();
  });
});

describe('reachDeadEnd', () => {
  it.each([
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'plain-http'], // https:// to a plain HTTP server (its 400 read as a TLS record)
    ['ERR_SSL_PACKET_LENGTH_TOO_LONG', 'plain-http'],
    ['ENOTFOUND', 'no-such-host'], // a typo in the host name
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'untrusted-certificate'], // serve --tls-cert with a self-signed one
    ['SELF_SIGNED_CERT_IN_CHAIN', 'untrusted-certificate'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'untrusted-certificate'], // signed by a CA this machine does not know
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'untrusted-certificate'], // made for another host name
    ['CERT_HAS_EXPIRED', 'untrusted-certificate'],
    ['ECONNREFUSED', undefined], // serve away or restarting: tried again
    ['ECONNRESET', undefined],
    ['EAI_AGAIN', undefined], // the DNS server did not answer: it may next time
    ['no answer in 35 s', undefined],
    [undefined, undefined],
  ] as const)('%s: %s', (reach, kind) => {
    expect(reachDeadEnd(reach)).toBe(kind);
  });
});
