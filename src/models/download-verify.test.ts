// src/models/download-verify.test.ts — the downloader refusing bad bytes (HTTP server on 127.0.0.1): a corrupted
// file or resumed part (TL_ERR_CHECKSUM), a file far smaller than expected.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ToonloraError } from '../errors.js';
import { BODY, MD5, SHA256, downloadFile, fileServerForFile } from './download-testing.js';

const fake = fileServerForFile();
const { common } = fake;

describe('downloadFile', () => {
  it('rejects a corrupted file with TL_ERR_CHECKSUM and leaves nothing that looks good', async () => {
    const dest = join(fake.dir, 'model.bin');
    const error = await downloadFile({
      ...common(),
      url: `${fake.base}/corrupt.bin`,
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
    const dest = join(fake.dir, 'model.bin');
    const badPart = Buffer.from(BODY.subarray(0, 1000));
    badPart[10] = (badPart[10] ?? 0) ^ 1;
    writeFileSync(`${dest}.part`, badPart);
    writeFileSync(`${dest}.part.json`, JSON.stringify({ tag: 'v1' }));
    await expect(
      downloadFile({ ...common(), url: `${fake.base}/file.bin`, destPath: dest, expected: { md5: MD5 } }),
    ).rejects.toMatchObject({ code: 'TL_ERR_CHECKSUM' });
    expect(existsSync(dest)).toBe(false);
  });
});

describe('a file far smaller than expected', () => {
  it('is refused when no checksum can tell (an error page instead of the model), and taken when one can', async () => {
    const dest = join(fake.dir, 'model.bin');
    const error = await downloadFile({
      ...common(),
      url: `${fake.base}/file.bin`,
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
      url: `${fake.base}/file.bin`,
      destPath: dest,
      expected: { minBytes: BODY.length + 1, sha256: SHA256 },
    });
    expect(readFileSync(dest).equals(BODY)).toBe(true);
  });
});
