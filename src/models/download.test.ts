// Tests of the resumable downloader against a real HTTP server on 127.0.0.1 started here.
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ToonloraError } from '../errors.js';
import { commitDownload, downloadFile, downloadToPart, parseContentRange } from './download.js';

const BODY = randomBytes(200_000);
const SHA256 = createHash('sha256').update(BODY).digest('hex');
const MD5 = createHash('md5').update(BODY).digest('hex');

interface Seen {
  path: string;
  range?: string;
  authorization?: string;
  acceptEncoding?: string;
}
/** Requests to the flaky URLs so far (their answer depends on it). */
let flakyCount = 0;
let server: Server;
let base: string;
let seen: Seen[] = [];
let dir: string;
let currentEtag = '"v1"';
/** Whether /no-length.bin sent its whole body (false: the client stopped it early). */
let noLengthFinished: boolean | undefined;

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

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({
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
    if (req.url === '/drops-once.bin') return serveBody(req, res, BODY);
    if (req.url === '/busy-once.bin' && flakyCount === 1) {
      return void res.writeHead(503, { 'retry-after': '1' }).end();
    }
    if (req.url === '/busy-once.bin') return serveBody(req, res, BODY);
    if (req.url === '/no-length.bin') {
      // no Content-Length: 2 MB in 64 kB chunks, one per 5 ms, unless the client goes away
      noLengthFinished = false;
      res.writeHead(200, { etag: currentEtag });
      let sent = 0;
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        res.write(Buffer.alloc(64 * 1024, 1));
        sent += 1;
        if (sent === 32) {
          clearInterval(timer);
          res.end(() => {
            noLengthFinished = true;
          });
        }
      }, 5);
      return;
    }
    if (req.url === '/always-500') return void res.writeHead(500).end();
    if (req.url === '/file.bin') return serveBody(req, res, BODY);
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
      const other = `http://localhost:${(server.address() as AddressInfo).port}/file.bin`;
      return void res.writeHead(302, { location: other }).end();
    }
    if (req.url === '/corrupt.bin') {
      const bad = Buffer.from(BODY);
      bad[1234] = (bad[1234] ?? 0) ^ 0xff;
      return serveBody(req, res, bad);
    }
    if (req.url === '/gated') return void res.writeHead(403, { 'x-error-code': 'GatedRepo' }).end();
    if (req.url === '/no-entry') return void res.writeHead(404, { 'x-error-code': 'EntryNotFound' }).end();
    res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = [];
  flakyCount = 0;
  currentEtag = '"v1"';
  dir = mkdtempSync(join(tmpdir(), 'toonlora-dl-'));
  return () => rmSync(dir, { recursive: true, force: true });
});

const common = () => ({ modelId: 'test-model', manualPath: join(dir, 'placed-by-hand.bin') });

describe('downloadFile', () => {
  it('downloads, follows a redirect, verifies sha256 + md5, keeps the 302 headers, renames into place', async () => {
    const dest = join(dir, 'sub', 'model.bin');
    const progress: number[] = [];
    const result = await downloadFile({
      ...common(),
      url: `${base}/redirect`,
      destPath: dest,
      expected: { sha256: SHA256, md5: MD5, sizeBytes: BODY.length },
      onProgress: (p) => progress.push(p.receivedBytes),
    });
    expect(result.bytes).toBe(BODY.length);
    expect(result.resumedFromBytes).toBe(0);
    expect(readFileSync(dest).equals(BODY)).toBe(true);
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(progress.at(-1)).toBe(BODY.length);
    expect(result.headers.get('x-repo-commit')).toBe('a'.repeat(40));
  });

  it('stops a file larger than listed at once, and blames the listing, not the network', async () => {
    const dest = join(dir, 'model.bin');
    const byLength = (await downloadFile({
      ...common(),
      url: `${base}/file.bin`,
      destPath: dest,
      expected: { sizeBytes: 100 },
    }).catch((e: unknown) => e)) as ToonloraError;
    expect(byLength.code).toBe('TL_ERR_CHECKSUM');
    expect(byLength.message).toContain(
      `listed as 100 bytes, but the server sends ${BODY.length} bytes. The download was stopped and deleted; ` +
        'pulling again fails the same way',
    );
    expect(byLength.message).not.toContain('run the pull again');
    expect(existsSync(`${dest}.part`)).toBe(false);

    const progress: number[] = [];
    const streamed = (await downloadFile({
      ...common(),
      url: `${base}/no-length.bin`,
      destPath: dest,
      expected: { sizeBytes: 100 },
      retries: 0,
      onProgress: (p) => progress.push(p.receivedBytes),
    }).catch((e: unknown) => e)) as ToonloraError;
    expect(streamed.code).toBe('TL_ERR_CHECKSUM');
    expect(streamed.message).toContain('listed as 100 bytes, but more than 100 bytes arrived');
    expect(Math.max(...progress)).toBeLessThanOrEqual(100);
    expect(noLengthFinished).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(seen.filter((s) => s.path === '/no-length.bin')).toHaveLength(1);
  });

  it('resumes a partial download with a Range request and checks the whole file', async () => {
    const dest = join(dir, 'model.bin');
    writeFileSync(`${dest}.part`, BODY.subarray(0, 77_777));
    writeFileSync(`${dest}.part.json`, JSON.stringify({ tag: 'v1' }));
    const result = await downloadFile({
      ...common(),
      url: `${base}/file.bin`,
      destPath: dest,
      expected: { sha256: SHA256 },
    });
    expect(seen.map((s) => s.range)).toEqual(['bytes=77777-']);
    expect(result.resumedFromBytes).toBe(77_777);
    expect(readFileSync(dest).equals(BODY)).toBe(true);
    expect(existsSync(`${dest}.part.json`)).toBe(false);
  });

  it('starts over instead of resuming when the ETag changed since the part was written', async () => {
    const dest = join(dir, 'model.bin');
    writeFileSync(`${dest}.part`, Buffer.alloc(77_777, 9)); // bytes of an older version of the file
    writeFileSync(`${dest}.part.json`, JSON.stringify({ tag: 'v0' }));
    const result = await downloadFile({ ...common(), url: `${base}/file.bin`, destPath: dest });
    expect(seen.map((s) => s.range)).toEqual(['bytes=77777-', undefined]);
    expect(result.resumedFromBytes).toBe(0);
    expect(readFileSync(dest).equals(BODY)).toBe(true);
  });

  it('starts over when a part has no tag file but the server names its content', async () => {
    const dest = join(dir, 'model.bin');
    writeFileSync(`${dest}.part`, Buffer.alloc(1000, 9));
    const result = await downloadFile({ ...common(), url: `${base}/file.bin`, destPath: dest });
    expect(result.resumedFromBytes).toBe(0);
    expect(readFileSync(dest).equals(BODY)).toBe(true);
  });

  it('stores the content tag beside an interrupted part so the next run can compare', async () => {
    const partPath = join(dir, 'model.bin.part');
    const abort: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const reader = response.body?.getReader();
      let delivered = false;
      // The first pull delivers one chunk, the next one fails: erroring in the same pull would
      // discard the queued chunk, and whether any byte reached the part file would be down to timing.
      const body = new ReadableStream({
        async pull(controller) {
          if (delivered) {
            controller.error(new Error('cable pulled'));
            return;
          }
          const chunk = await reader?.read();
          if (chunk?.value) controller.enqueue(chunk.value);
          delivered = true;
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    };
    await expect(
      downloadToPart({ ...common(), url: `${base}/file.bin`, partPath, fetchImpl: abort, retries: 0 }),
    ).rejects.toMatchObject({ code: 'TL_ERR_DOWNLOAD' });
    expect(JSON.parse(readFileSync(`${partPath}.json`, 'utf8'))).toMatchObject({ tag: 'v1' });
    expect(existsSync(partPath)).toBe(true);
  });

  it('verifies against the Hub x-linked-etag (LFS sha256) when no checksum is expected', async () => {
    const dest = join(dir, 'model.bin');
    const error = await downloadFile({ ...common(), url: `${base}/redirect-bad-etag`, destPath: dest }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'TL_ERR_CHECKSUM' });
    expect((error as Error).message).toContain(`sha256: expected ${'0'.repeat(64)}, got ${SHA256}`);
    expect(existsSync(dest)).toBe(false);
  });

  it('does not send the Authorization header on to another host after a redirect', async () => {
    const dest = join(dir, 'model.bin');
    await downloadFile({
      ...common(),
      url: `${base}/auth-redirect`,
      destPath: dest,
      headers: { Authorization: 'Bearer secret' },
    });
    expect(seen.map((s) => s.authorization)).toEqual(['Bearer secret', undefined]);
  });

  it('starts over when the server ignores Range (200)', async () => {
    const dest = join(dir, 'model.bin');
    writeFileSync(`${dest}.part`, Buffer.alloc(5000, 7));
    const result = await downloadFile({
      ...common(),
      url: `${base}/no-range.bin`,
      destPath: dest,
      expected: { sha256: SHA256 },
    });
    expect(result.resumedFromBytes).toBe(0);
    expect(readFileSync(dest).equals(BODY)).toBe(true);
  });

  it('accepts a complete .part file answered with 416 after verifying it', async () => {
    const dest = join(dir, 'model.bin');
    writeFileSync(`${dest}.part`, BODY);
    const result = await downloadFile({
      ...common(),
      url: `${base}/file.bin`,
      destPath: dest,
      expected: { sha256: SHA256 },
    });
    expect(result.bytes).toBe(BODY.length);
    expect(readFileSync(dest).equals(BODY)).toBe(true);
  });

  it("verifies a complete tagged .part on a 416 that names no ETag (the Hub's commit is no content tag)", async () => {
    const dest = join(dir, 'model.bin');
    writeFileSync(`${dest}.part`, BODY);
    writeFileSync(`${dest}.part.json`, JSON.stringify({ tag: 'v1' })); // the CDN's ETag, from the first download
    const result = await downloadFile({ ...common(), url: `${base}/commit-redirect`, destPath: dest });
    expect(seen.map((s) => s.range)).toEqual([`bytes=${BODY.length}-`, `bytes=${BODY.length}-`]); // 302, 416
    expect(result.bytes).toBe(BODY.length);
    expect(readFileSync(dest).equals(BODY)).toBe(true);
  });

  it('rejects a corrupted file with TL_ERR_CHECKSUM and leaves nothing that looks good', async () => {
    const dest = join(dir, 'model.bin');
    const error = await downloadFile({
      ...common(),
      url: `${base}/corrupt.bin`,
      destPath: dest,
      expected: { sha256: SHA256 },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToonloraError);
    expect((error as ToonloraError).code).toBe('TL_ERR_CHECKSUM');
    expect((error as ToonloraError).message).toContain(`sha256: expected ${SHA256}, got `);
    expect((error as ToonloraError).message).toContain('test-model');
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('rejects a corrupted resumed file too (the part is hashed with the rest)', async () => {
    const dest = join(dir, 'model.bin');
    const badPart = Buffer.from(BODY.subarray(0, 1000));
    badPart[10] = (badPart[10] ?? 0) ^ 1;
    writeFileSync(`${dest}.part`, badPart);
    writeFileSync(`${dest}.part.json`, JSON.stringify({ tag: 'v1' }));
    await expect(
      downloadFile({ ...common(), url: `${base}/file.bin`, destPath: dest, expected: { md5: MD5 } }),
    ).rejects.toMatchObject({ code: 'TL_ERR_CHECKSUM' });
    expect(existsSync(dest)).toBe(false);
  });

  it('fails with one line naming the model, the URL and the manual path when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const url = `http://127.0.0.1:${port}/isnet-anime.onnx`;
    const error = (await downloadToPart({
      ...common(),
      url,
      partPath: join(dir, 'x.part'),
    }).catch((e: unknown) => e)) as ToonloraError;
    expect(error.code).toBe('TL_ERR_DOWNLOAD');
    expect(error.message).not.toContain('\n');
    expect(error.message).toMatch(/^test-model: cannot download /);
    expect(error.message).toContain(url);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain(`place the file at ${join(dir, 'placed-by-hand.bin')}`);
  });

  it('names a gated or private Hub repo on 401 / 403 and a missing file on 404, without the no-network hint', async () => {
    const hub = { repo: 'o/n', page: `${base}/o/n` };
    const gated = (await downloadToPart({
      ...common(),
      url: `${base}/gated`,
      partPath: join(dir, 'g.part'),
      hub,
    }).catch((e: unknown) => e)) as Error;
    expect(gated.message).toContain(
      `HTTP 403 Forbidden: o/n is gated or private, or the token was refused. Accept its terms on ${base}/o/n (logged ` +
        'in), then set HF_TOKEN to a token of that account or run `hf auth login`. Or place the file at ',
    );
    const entry = (await downloadToPart({
      ...common(),
      url: `${base}/no-entry`,
      partPath: join(dir, 'e.part'),
      hub,
    }).catch((e: unknown) => e)) as Error;
    expect(entry.message).toContain(`HTTP 404 Not Found: the file is not on the Hub (${base}/o/n;`);
    const plain = (await downloadToPart({
      ...common(),
      url: `${base}/missing`,
      partPath: join(dir, 'm.part'),
    }).catch((e: unknown) => e)) as Error;
    expect(plain.message).toContain('HTTP 404 Not Found: the file is not at that URL');
    for (const error of [gated, entry, plain]) {
      expect(error).toMatchObject({ code: 'TL_ERR_DOWNLOAD' });
      expect(error.message).not.toContain('Without network');
    }
  });

  it('reports HTTP errors with their status', async () => {
    await expect(
      downloadToPart({ ...common(), url: `${base}/missing`, partPath: join(dir, 'y.part') }),
    ).rejects.toThrow(/HTTP 404/);
  });
});

describe('a file far smaller than expected', () => {
  it('is refused when no checksum can tell (an error page instead of the model), and taken when one can', async () => {
    const dest = join(dir, 'model.bin');
    const error = await downloadFile({
      ...common(),
      url: `${base}/file.bin`,
      destPath: dest,
      expected: { minBytes: BODY.length + 1 },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TL_ERR_CHECKSUM' });
    expect((error as Error).message).toContain(
      `size: ${BODY.length} bytes, far below the ${(BODY.length + 1) * 10} or so expected (an error page instead of the file?)`,
    );
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
    await downloadFile({
      ...common(),
      url: `${base}/file.bin`,
      destPath: dest,
      expected: { minBytes: BODY.length + 1, sha256: SHA256 },
    });
    expect(readFileSync(dest).equals(BODY)).toBe(true);
  });
});

describe('retries', () => {
  it('resumes a dropped connection from the .part in the same call, and asks for no compression', async () => {
    const retries: { reason: string; attempt: number; attempts: number }[] = [];
    const dest = join(dir, 'model.bin');
    const result = await downloadFile({
      ...common(),
      url: `${base}/drops-once.bin`,
      destPath: dest,
      expected: { sha256: SHA256 },
      retryDelayMs: 1,
      onRetry: ({ reason, attempt, attempts }) => retries.push({ reason, attempt, attempts }),
    });
    expect(readFileSync(dest).equals(BODY)).toBe(true);
    expect(seen.map((s) => s.range)).toEqual([undefined, expect.stringMatching(/^bytes=\d+-$/)]);
    expect(result.resumedFromBytes).toBeGreaterThan(0);
    expect(retries).toEqual([{ reason: expect.stringContaining('after'), attempt: 2, attempts: 5 }]);
    expect(seen.map((s) => s.acceptEncoding)).toEqual(['identity', 'identity']);
  });

  it("waits as a 503's Retry-After asks, then tries again", async () => {
    const waits: number[] = [];
    const dest = join(dir, 'model.bin');
    await downloadFile({
      ...common(),
      url: `${base}/busy-once.bin`,
      destPath: dest,
      retryDelayMs: 1,
      onRetry: ({ waitMs }) => waits.push(waitMs),
    });
    expect(waits).toEqual([1000]);
    expect(readFileSync(dest).equals(BODY)).toBe(true);
  });

  it('gives up after its retries on a server that keeps failing, and never retries a 404', async () => {
    const error = (await downloadToPart({
      ...common(),
      url: `${base}/always-500`,
      partPath: join(dir, 'x.part'),
      retries: 2,
      retryDelayMs: 1,
    }).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain(
      'HTTP 500 Internal Server Error: the server is busy or failing; try again later',
    );
    expect(seen).toHaveLength(3);
    seen = [];
    await expect(
      downloadToPart({ ...common(), url: `${base}/missing`, partPath: join(dir, 'y.part'), retryDelayMs: 1 }),
    ).rejects.toThrow(/HTTP 404/);
    expect(seen).toHaveLength(1);
  });
});

describe('a full disk', () => {
  it('passes ENOSPC met while writing the .part through, with the .part as its path', async () => {
    const partPath = join(dir, 'model.bin.part');
    symlinkSync('/dev/full', partPath); // every write to it fails with ENOSPC
    const error = await downloadToPart({ ...common(), url: `${base}/file.bin`, partPath }).catch(
      (e: unknown) => e,
    );
    expect(error).not.toBeInstanceOf(ToonloraError);
    expect(error).toMatchObject({ code: 'ENOSPC', path: partPath });
  });

  it('keeps the tag of a verified part whose move into place failed, so the next run does not fetch it again', async () => {
    const partPath = join(dir, 'model.bin.part');
    writeFileSync(partPath, BODY);
    writeFileSync(`${partPath}.json`, JSON.stringify({ tag: 'v1' }));
    const dest = join(dir, 'dest');
    mkdirSync(join(dest, 'taken'), { recursive: true }); // a folder where the file goes: the move fails
    await expect(commitDownload(partPath, dest)).rejects.toMatchObject({ code: expect.any(String) });
    expect(existsSync(`${partPath}.json`)).toBe(true);
    const result = await downloadToPart({
      ...common(),
      url: `${base}/file.bin`,
      partPath,
      expected: { sha256: SHA256 },
    });
    expect(seen.map((s) => s.range)).toEqual([`bytes=${BODY.length}-`]); // the 416, then no second request
    expect(result.bytes).toBe(BODY.length);
  });
});

describe('parseContentRange', () => {
  it('reads ranges and unsatisfied ranges', () => {
    expect(parseContentRange('bytes 100-199/200')).toEqual({ start: 100, total: 200 });
    expect(parseContentRange('bytes */200')).toEqual({ start: undefined, total: 200 });
    expect(parseContentRange(null)).toEqual({});
  });
});
