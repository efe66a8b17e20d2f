// src/models/download-errors.test.ts — the downloader when the network or the disk fails (HTTP server on
// 127.0.0.1): one-line errors, gated repos and 404s, retries and Retry-After, ENOSPC and a failed move.
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ToonloraError } from '../errors.js';
import { commitDownload, downloadToPart } from './download.js';
import { BODY, SHA256, downloadFile, fileServerForFile } from './download-testing.js';
import { closedLoopbackPort } from './loopback-testing.js';

const fake = fileServerForFile();
const { common } = fake;

describe('downloadFile', () => {
  it('fails with one line naming the model, the URL and the manual path when nothing listens', async () => {
    const port = await closedLoopbackPort();
    const url = `http://127.0.0.1:${port}/isnet-anime.onnx`;
    const error = (await downloadToPart({
      ...common(),
      url,
      partPath: join(fake.dir, 'x.part'),
    }).catch((e: unknown) => e)) as ToonloraError;
    expect(error.code).toBe('TL_ERR_DOWNLOAD');
    expect(error.message).not.toContain('\n');
    expect(error.message).toMatch(/^test-model: cannot download /);
    expect(error.message).toContain(url);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain(`place the file at ${join(fake.dir, 'placed-by-hand.bin')}`);
  });

  it('names a gated or private Hub repo on 401 / 403 and a missing file on 404, without the no-network hint', async () => {
    const hub = { repo: 'o/n', page: `${fake.base}/o/n` };
    const gated = (await downloadToPart({
      ...common(),
      url: `${fake.base}/gated`,
      partPath: join(fake.dir, 'g.part'),
      hub,
    }).catch((e: unknown) => e)) as Error;
    expect(gated.message).toContain(
      `HTTP 403 Forbidden: o/n is gated or private, or the token was refused. Accept its terms on ${fake.base}/o/n (logged ` +
        'in), then set HF_TOKEN to a token of that account or run `hf auth login`. Or place the file at ',
    );
    const entry = (await downloadToPart({
      ...common(),
      url: `${fake.base}/no-entry`,
      partPath: join(fake.dir, 'e.part'),
      hub,
    }).catch((e: unknown) => e)) as Error;
    expect(entry.message).toContain(`HTTP 404 Not Found: the file is not on the Hub (${fake.base}/o/n;`);
    const plain = (await downloadToPart({
      ...common(),
      url: `${fake.base}/missing`,
      partPath: join(fake.dir, 'm.part'),
    }).catch((e: unknown) => e)) as Error;
    expect(plain.message).toContain('HTTP 404 Not Found: the file is not at that URL');
    for (const error of [gated, entry, plain]) {
      expect(error).toMatchObject({ code: 'TL_ERR_DOWNLOAD' });
      expect(error.message).not.toContain('Without network');
    }
  });

  it('reports HTTP errors with their status', async () => {
    await expect(
      downloadToPart({ ...common(), url: `${fake.base}/missing`, partPath: join(fake.dir, 'y.part') }),
    ).rejects.toThrow(/HTTP 404/);
  });
});

describe('retries', () => {
  it('resumes a dropped connection from the .part in the same call, and asks for no compression', async () => {
    const retries: { reason: string; attempt: number; attempts: number }[] = [];
    const dest = join(fake.dir, 'model.bin');
    const result = await downloadFile({
      ...common(),
      url: `${fake.base}/drops-once.bin`,
      destPath: dest,
      expected: { sha256: SHA256 },
      retryDelayMs: 1,
      onRetry: ({ reason, attempt, attempts }) => retries.push({ reason, attempt, attempts }),
    });
    expect(readFileSync(dest).equals(BODY)).toBe(true);
    expect(fake.seen.map((s) => s.range)).toEqual([undefined, expect.stringMatching(/^bytes=\d+-$/)]);
    expect(result.resumedFromBytes).toBeGreaterThan(0);
    expect(retries).toEqual([{ reason: expect.stringContaining('after'), attempt: 2, attempts: 5 }]);
    expect(fake.seen.map((s) => s.acceptEncoding)).toEqual(['identity', 'identity']);
  });

  it("waits as a 503's Retry-After asks, then tries again", async () => {
    const waits: number[] = [];
    const dest = join(fake.dir, 'model.bin');
    await downloadFile({
      ...common(),
      url: `${fake.base}/busy-once.bin`,
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
      url: `${fake.base}/always-500`,
      partPath: join(fake.dir, 'x.part'),
      retries: 2,
      retryDelayMs: 1,
    }).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain(
      'HTTP 500 Internal Server Error: the server is busy or failing; try again later',
    );
    expect(fake.seen).toHaveLength(3);
    fake.seen = [];
    await expect(
      downloadToPart({
        ...common(),
        url: `${fake.base}/missing`,
        partPath: join(fake.dir, 'y.part'),
        retryDelayMs: 1,
      }),
    ).rejects.toThrow(/HTTP 404/);
    expect(fake.seen).toHaveLength(1);
  });
});

describe('a full disk', () => {
  it('passes ENOSPC met while writing the .part through, with the .part as its path', async () => {
    const partPath = join(fake.dir, 'model.bin.part');
    symlinkSync('/dev/full', partPath); // every write to it fails with ENOSPC
    const error = await downloadToPart({ ...common(), url: `${fake.base}/file.bin`, partPath }).catch(
      (e: unknown) => e,
    );
    expect(error).not.toBeInstanceOf(ToonloraError);
    expect(error).toMatchObject({ code: 'ENOSPC', path: partPath });
  });

  it('keeps the tag of a verified part whose move into place failed, so the next run does not fetch it again', async () => {
    const partPath = join(fake.dir, 'model.bin.part');
    writeFileSync(partPath, BODY);
    writeFileSync(`${partPath}.json`, JSON.stringify({ tag: 'v1' }));
    const dest = join(fake.dir, 'dest');
    mkdirSync(join(dest, 'taken'), { recursive: true }); // a folder where the file goes: the move fails
    await expect(commitDownload(partPath, dest)).rejects.toMatchObject({ code: expect.any(String) });
    expect(existsSync(`${partPath}.json`)).toBe(true);
    const result = await downloadToPart({
      ...common(),
      url: `${fake.base}/file.bin`,
      partPath,
      expected: { sha256: SHA256 },
    });
    expect(fake.seen.map((s) => s.range)).toEqual([`bytes=${BODY.length}-`]); // the 416, then no second request
    expect(result.bytes).toBe(BODY.length);
  });
});
