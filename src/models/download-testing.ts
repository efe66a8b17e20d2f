// src/models/download-testing.ts — for the downloader tests: a real HTTP server on 127.0.0.1 started once per test
// file (redirects, ranges, ETags, drops, 503s, gated repos), what it saw, a fresh folder per test, and
// downloadFile (downloadToPart then commitDownload in one call, as pull-files.ts does them).
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach } from 'vitest';
import { commitDownload, type DownloadOptions, type DownloadResult, downloadToPart } from './download.js';
import { loopbackServerForFile } from './loopback-testing.js';

export const BODY = randomBytes(200_000);
export const SHA256 = createHash('sha256').update(BODY).digest('hex');
export const MD5 = createHash('md5').update(BODY).digest('hex');

export interface Seen {
  path: string;
  range?: string;
  authorization?: string;
  acceptEncoding?: string;
}

/** The server's address, what it saw, and this test's folder; reset before each test. */
export interface FakeFileServer {
  readonly base: string;
  /** A fresh temp folder per test. */
  dir: string;
  /** Each request, in order. */
  seen: Seen[];
  /** Whether /no-length.bin sent its whole body (false: the client stopped it early). */
  noLengthFinished: boolean | undefined;
  /** The options every download names: a model id and where to place the file by hand. */
  common: () => { modelId: string; manualPath: string };
}

/** Requests to the flaky URLs so far (their answer depends on it). */
let flakyCount = 0;
/** The ETag of every file served (a part tagged otherwise is of another version). */
const currentEtag = '"v1"';

function serveBody(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const range = req.headers.range?.match(/^bytes=(\d+)-$/);
  if (range) {
    const start = Number(range[1]);
    if (start >= body.length) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    res.writeHead(206, {
      etag: currentEtag,
      'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
      'content-length': String(body.length - start),
    });
    res.end(body.subarray(start));
    return;
  }
  res.writeHead(200, { 'content-length': String(body.length), etag: currentEtag });
  res.end(body);
}

function answer(fake: FakeFileServer, req: IncomingMessage, res: ServerResponse): void {
  fake.seen.push({
    path: req.url ?? '',
    range: req.headers.range,
    authorization: req.headers.authorization,
    acceptEncoding: req.headers['accept-encoding'],
  });
  if (req.url === '/drops-once.bin' || req.url === '/busy-once.bin') flakyCount += 1;
  if (req.url === '/drops-once.bin' && flakyCount === 1) {
    // the whole length announced, half sent, then the connection is cut
    res.writeHead(200, { 'content-length': String(BODY.length), etag: currentEtag });
    res.write(BODY.subarray(0, 100_000));
    return void setTimeout(() => res.socket?.destroy(), 50);
  }
  if (req.url === '/drops-once.bin') return void serveBody(req, res, BODY);
  if (req.url === '/busy-once.bin' && flakyCount === 1) {
    return void res.writeHead(503, { 'retry-after': '1' }).end();
  }
  if (req.url === '/busy-once.bin') return void serveBody(req, res, BODY);
  if (req.url === '/no-length.bin') {
    // no Content-Length: 2 MB in 64 kB chunks, one per 5 ms, unless the client goes away
    fake.noLengthFinished = false;
    res.writeHead(200, { etag: currentEtag });
    let sent = 0;
    const timer = setInterval(() => {
      if (res.destroyed) return clearInterval(timer);
      res.write(Buffer.alloc(64 * 1024, 1));
      sent += 1;
      if (sent === 32) {
        clearInterval(timer);
        res.end(() => {
          fake.noLengthFinished = true;
        });
      }
    }, 5);
    return;
  }
  if (req.url === '/always-500') return void res.writeHead(500).end();
  if (req.url === '/file.bin') return void serveBody(req, res, BODY);
  if (req.url === '/no-range.bin') {
    res.writeHead(200, { 'content-length': String(BODY.length) });
    return void res.end(BODY);
  }
  // Like the Hub: commit and LFS sha256 on the 302, not on the CDN's answer.
  if (req.url === '/redirect') {
    const hub = { 'x-repo-commit': 'a'.repeat(40), 'x-linked-etag': `"${SHA256}"` };
    return void res.writeHead(302, { location: '/file.bin', ...hub }).end();
  }
  if (req.url === '/commit-redirect') {
    return void res.writeHead(302, { location: '/file.bin', 'x-repo-commit': 'a'.repeat(40) }).end();
  }
  if (req.url === '/redirect-bad-etag') {
    const hub = { 'x-repo-commit': 'a'.repeat(40), 'x-linked-etag': `"${'0'.repeat(64)}"` };
    return void res.writeHead(302, { location: '/file.bin', ...hub }).end();
  }
  if (req.url === '/auth-redirect') {
    const other = `http://localhost:${req.socket.localPort}/file.bin`;
    return void res.writeHead(302, { location: other }).end();
  }
  if (req.url === '/corrupt.bin') {
    const bad = Buffer.from(BODY);
    bad[1234] = (bad[1234] ?? 0) ^ 0xff;
    return void serveBody(req, res, bad);
  }
  if (req.url === '/gated') return void res.writeHead(403, { 'x-error-code': 'GatedRepo' }).end();
  if (req.url === '/no-entry') return void res.writeHead(404, { 'x-error-code': 'EntryNotFound' }).end();
  res.writeHead(404).end('not found');
}

/** Call at a test file's top level: starts the server for the file and resets it (and `dir`) before each test. */
export function fileServerForFile(): FakeFileServer {
  const base = loopbackServerForFile((req, res) => answer(fake, req, res));
  const fake: FakeFileServer = {
    get base() {
      return base();
    },
    dir: '',
    seen: [],
    noLengthFinished: undefined,
    common: () => ({ modelId: 'test-model', manualPath: join(fake.dir, 'placed-by-hand.bin') }),
  };
  beforeEach(() => {
    fake.seen = [];
    flakyCount = 0;
    fake.dir = mkdtempSync(join(tmpdir(), 'toonlora-dl-'));
    return () => rmSync(fake.dir, { recursive: true, force: true });
  });
  return fake;
}

/** Downloads to `<destPath>.part` and renames it to `destPath` once verified; throws what downloadToPart throws. */
export async function downloadFile(
  options: Omit<DownloadOptions, 'partPath'> & { destPath: string },
): Promise<DownloadResult & { path: string }> {
  const result = await downloadToPart({ ...options, partPath: `${options.destPath}.part` });
  await commitDownload(result.partPath, options.destPath);
  return { ...result, path: options.destPath };
}
