// src/jobs/remote/reply-check.test.ts — the rule `toonlora worker` stops on (meansWrongServer), as a table: which
// replies that are not a toonlora server's mean `--server` names another server, and which are a proxy answering for
// a toonlora server that is away for a while (tried again, as before).
import { describe, expect, it } from 'vitest';
import { answersPlainHttp, type ForeignReply, meansWrongServer } from './reply-check.js';

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

describe('answersPlainHttp', () => {
  it.each([
    ['ERR_SSL_WRONG_VERSION_NUMBER', true], // https:// to a plain HTTP server (its 400 read as a TLS record)
    ['ERR_SSL_PACKET_LENGTH_TOO_LONG', true],
    ['ECONNREFUSED', false], // serve away or restarting: tried again
    ['ECONNRESET', false],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', false],
    [undefined, false],
  ] as const)('%s: %s', (reach, plain) => {
    expect(answersPlainHttp(reach)).toBe(plain);
  });
});
