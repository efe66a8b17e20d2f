// src/models/download.test.ts — the resumable downloader against a real HTTP server on 127.0.0.1: redirects,
// checksums, resuming a .part by Range and content tag, starting over, 416 on a complete part; Content-Range.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ToonloraError } from '../errors.js';
import { downloadToPart, parseContentRange } from './download.js';
import { BODY, MD5, SHA256, downloadFile, fileServerForFile } from './download-testing.js';

const fake = fileServerForFile();
const { common } = fake;

describe('downloadFile', () => {
  it('downloads, follows a redirect, verifies sha256 + md5, keeps the 302 headers, renames into place', async () => {
    const dest = join(fake.dir, 'sub', 'model.bin');
    const progress: number[] = [];
    const result = await downloadFile({
      ...common(),
      url: `${fake.base}/redirect`,
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
    const dest = join(fake.dir, 'model.bin');
    const byLength = (await downloadFile({
      ...common(),
      url: `${fake.base}/file.bin`,
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
      url: `${fake.base}/no-length.bin`,
      destPath: dest,
      expected: { sizeBytes: 100 },
      retries: 0,
      onProgress: (p) => progress.push(p.receivedBytes),
    }).catch((e: unknown) => e)) as ToonloraError;
    expect(streamed.code).toBe('TL_ERR_CHECKSUM');
    expect(streamed.message).toContain('listed as 100 bytes, but more than 100 bytes arrived');
    expect(Math.max(...progress)).toBeLessThanOrEqual(100);
    expect(fake.noLengthFinished).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(fake.seen.filter((s) => s.path === '/no-length.bin')).toHaveLength(1);
  });

  it('resumes a partial download with a Range request and checks the whole file', async () => {
    const dest = join(fake.dir, 'model.bin');
    writeFileSync(`${dest}.part`, BODY.subarray(0, 77_777));
    writeFileSync(`${dest}.part.json`, JSON.stringify({ tag: 'v1' }));
    const result = await downloadFile({
      ...common(),
      url: `${fake.base}/file.bin`,
      destPath: dest,
      expected: { sha256: SHA256 },
    });
    expect(fake.seen.map((s) => s.range)).toEqual(['bytes=77777-']);
    expect(result.resumedFromBytes).toBe(77_777);
    expect(readFileSync(dest).equals(BODY)).toBe(true);
    expect(existsSync(`${dest}.part.json`)).toBe(false);
  });

  it('starts over instead of resuming when the ETag changed since the part was written', async () => {
    const dest = join(fake.dir, 'model.bin');
    writeFileSync(`${dest}.part`, Buffer.alloc(77_777, 9)); // bytes of an older version of the file
    writeFileSync(`${dest}.part.json`, JSON.stringify({ tag: 'v0' }));
    const result = await downloadFile({ ...common(), url: `${fake.base}/file.bin`, destPath: dest });
    expect(fake.seen.map((s) => s.range)).toEqual(['bytes=77777-', undefined]);
    expect(result.resumedFromBytes).toBe(0);
    expect(readFileSync(dest).equals(BODY)).toBe(true);
  });

  it('starts over when a part has no tag file but the server names its content', async () => {
    const dest = join(fake.dir, 'model.bin');
    writeFileSync(`${dest}.part`, Buffer.alloc(1000, 9));
    const result = await downloadFile({ ...common(), url: `${fake.base}/file.bin`, destPath: dest });
    expect(result.resumedFromBytes).toBe(0);
    expect(readFileSync(dest).equals(BODY)).toBe(true);
  });

  it('stores the content tag beside an interrupted part so the next run can compare', async () => {
    const partPath = join(fake.dir, 'model.bin.part');
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
      downloadToPart({ ...common(), url: `${fake.base}/file.bin`, partPath, fetchImpl: abort, retries: 0 }),
    ).rejects.toMatchObject({ code: 'TL_ERR_DOWNLOAD' });
    expect(JSON.parse(readFileSync(`${partPath}.json`, 'utf8'))).toMatchObject({ tag: 'v1' });
    expect(existsSync(partPath)).toBe(true);
  });

  it('verifies against the Hub x-linked-etag (LFS sha256) when no checksum is expected', async () => {
    const dest = join(fake.dir, 'model.bin');
    const error = await downloadFile({
      ...common(),
      url: `${fake.base}/redirect-bad-etag`,
      destPath: dest,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TL_ERR_CHECKSUM' });
    expect((error as Error).message).toContain(`sha256: expected ${'0'.repeat(64)}, got ${SHA256}`);
    expect(existsSync(dest)).toBe(false);
  });

  it('does not send the Authorization header on to another host after a redirect', async () => {
    const dest = join(fake.dir, 'model.bin');
    await downloadFile({
      ...common(),
      url: `${fake.base}/auth-redirect`,
      destPath: dest,
      headers: { Authorization: 'Bearer secret' },
    });
    expect(fake.seen.map((s) => s.authorization)).toEqual(['Bearer secret', undefined]);
  });

  it('starts over when the server ignores Range (200)', async () => {
    const dest = join(fake.dir, 'model.bin');
    writeFileSync(`${dest}.part`, Buffer.alloc(5000, 7));
    const result = await downloadFile({
      ...common(),
      url: `${fake.base}/no-range.bin`,
      destPath: dest,
      expected: { sha256: SHA256 },
    });
    expect(result.resumedFromBytes).toBe(0);
    expect(readFileSync(dest).equals(BODY)).toBe(true);
  });

  it('accepts a complete .part file answered with 416 after verifying it', async () => {
    const dest = join(fake.dir, 'model.bin');
    writeFileSync(`${dest}.part`, BODY);
    const result = await downloadFile({
      ...common(),
      url: `${fake.base}/file.bin`,
      destPath: dest,
      expected: { sha256: SHA256 },
    });
    expect(result.bytes).toBe(BODY.length);
    expect(readFileSync(dest).equals(BODY)).toBe(true);
  });

  it("verifies a complete tagged .part on a 416 that names no ETag (the Hub's commit is no content tag)", async () => {
    const dest = join(fake.dir, 'model.bin');
    writeFileSync(`${dest}.part`, BODY);
    writeFileSync(`${dest}.part.json`, JSON.stringify({ tag: 'v1' })); // the CDN's ETag, from the first download
    const result = await downloadFile({ ...common(), url: `${fake.base}/commit-redirect`, destPath: dest });
    expect(fake.seen.map((s) => s.range)).toEqual([`bytes=${BODY.length}-`, `bytes=${BODY.length}-`]); // 302, 416
    expect(result.bytes).toBe(BODY.length);
    expect(readFileSync(dest).equals(BODY)).toBe(true);
  });
});

describe('parseContentRange', () => {
  it('reads ranges and unsatisfied ranges', () => {
    expect(parseContentRange('bytes 100-199/200')).toEqual({ start: 100, total: 200 });
    expect(parseContentRange('bytes */200')).toEqual({ start: undefined, total: 200 });
    expect(parseContentRange(null)).toEqual({});
  });
});
