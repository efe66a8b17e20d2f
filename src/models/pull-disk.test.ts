// src/models/pull-disk.test.ts — `models pull` and the disk (fake Hub on 127.0.0.1): folders that cannot be
// written, where .part files go, free space checked first, a full disk (ENOSPC).
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pullModel } from './pull.js';
import { COMMIT, dropping, fakeHubForFile, wdRepo } from './pull-testing.js';

const fake = fakeHubForFile();
const { opts } = fake;

describe('pullModel into a folder that cannot be written', () => {
  it('names the HF cache and HF_HOME when the cache is under a file (ENOTDIR)', async () => {
    writeFileSync(join(fake.root, 'a-file'), '');
    const env = { ...opts().env, HF_HOME: join(fake.root, 'a-file', 'hf') };
    const error = (await pullModel('wd-vit-tagger-v3', { ...opts(), env }).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_CONFIG' });
    expect(error.message).toMatch(
      new RegExp(
        `^cannot write to the Hugging Face cache ${join(fake.root, 'a-file', 'hf', 'hub')} \\(.*a-file is not a folder\\)`,
      ),
    );
    expect(error.message).toContain('Set HF_HOME (or HF_HUB_CACHE) to a writable folder');
  });

  it("names toonlora's home and TOONLORA_HOME for a home under /dev/null", async () => {
    const env = { ...opts().env, TOONLORA_HOME: '/dev/null/x' };
    const error = (await pullModel('u2net', { ...opts(), env }).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({
      code: 'TL_ERR_CONFIG',
      details: { folder: '/dev/null/x' },
    });
    expect(error.message).toContain(
      "cannot write to toonlora's home /dev/null/x (/dev/null is not a folder)",
    );
    expect(error.message).toContain('Set TOONLORA_HOME to a writable folder');
  });
});

describe('pullModel: where the .part files go, and a full disk', () => {
  it("keeps a Hugging Face .part beside the HF cache's files, not in toonlora's home", async () => {
    await expect(
      pullModel('wd-vit-tagger-v3', { ...opts(), fetchImpl: dropping, retries: 0 }),
    ).rejects.toMatchObject({
      code: 'TL_ERR_DOWNLOAD',
    });
    const part = join(wdRepo(fake.root), '.toonlora-partial', 'main', 'model.onnx.part');
    expect(existsSync(part)).toBe(true);
    expect(existsSync(join(fake.root, 'tl', 'downloads', 'wd-vit-tagger-v3'))).toBe(false);
    await pullModel('wd-vit-tagger-v3', opts());
    expect(readFileSync(join(wdRepo(fake.root), 'snapshots', COMMIT, 'model.onnx'), 'utf8')).toBe(
      'onnx-bytes',
    );
    expect(existsSync(part)).toBe(false);
  });

  it("moves a .part an older version left in toonlora's home to the HF cache and resumes it there", async () => {
    const legacy = join(fake.root, 'tl', 'downloads', 'wd-vit-tagger-v3', 'main', 'model.onnx.part');
    mkdirSync(join(legacy, '..'), { recursive: true });
    writeFileSync(legacy, 'onnx');
    const moved: string[] = [];
    const watch: typeof fetch = (input, init) => {
      const part = join(wdRepo(fake.root), '.toonlora-partial', 'main', 'model.onnx.part');
      if (String(input).endsWith('model.onnx') && existsSync(part)) moved.push(readFileSync(part, 'utf8'));
      return fetch(input, init);
    };
    await pullModel('wd-vit-tagger-v3', { ...opts(), fetchImpl: watch });
    expect(moved[0]).toBe('onnx'); // in place before the first request
    expect(existsSync(legacy)).toBe(false);
    expect(readFileSync(join(wdRepo(fake.root), 'snapshots', COMMIT, 'model.onnx'), 'utf8')).toBe(
      'onnx-bytes',
    );
  });

  it('refuses a pull that clearly does not fit the free space of the HF cache, before any request', async () => {
    const folders: string[] = [];
    const freeBytes = async (folder: string) => {
      folders.push(folder);
      return 100e6;
    };
    const error = (await pullModel('wd-vit-tagger-v3', { ...opts(), freeBytes }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_OUTPUT_WRITE' });
    expect(error.message).toBe(
      `wd-vit-tagger-v3: not enough free space in the Hugging Face cache ${join(fake.root, 'hf', 'hub')}: the download ` +
        'needs about 379 MB and 100 MB is free there; nothing was downloaded. Free space there, or set HF_HOME ' +
        '(or HF_HUB_CACHE) to a folder on a bigger disk',
    );
    expect(folders).toEqual([join(fake.root, 'hf', 'hub')]);
    expect(fake.requests).toEqual([]);
    // what a .part already holds is not needed again
    const part = join(wdRepo(fake.root), '.toonlora-partial', 'main', 'model.onnx.part');
    mkdirSync(join(part, '..'), { recursive: true });
    writeFileSync(part, '');
    truncateSync(part, 300e6); // sparse: takes no room
    await pullModel('wd-vit-tagger-v3', { ...opts(), freeBytes });
  });

  it('names the full disk and the HF cache when the .part cannot be written (ENOSPC)', async () => {
    const part = join(wdRepo(fake.root), '.toonlora-partial', 'main', 'model.onnx.part');
    mkdirSync(join(part, '..'), { recursive: true });
    symlinkSync('/dev/full', part); // every write fails with ENOSPC
    const error = (await pullModel('wd-vit-tagger-v3', opts()).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_OUTPUT_WRITE' });
    expect(error.message).toBe(
      `cannot write to the Hugging Face cache ${join(fake.root, 'hf', 'hub')}: no space left on the disk (ENOSPC at ` +
        `${part}). Free space there, or set HF_HOME (or HF_HUB_CACHE) to a folder on a bigger disk.`,
    );
    expect(readdirSync(join(wdRepo(fake.root), '.toonlora-partial', 'main'))).toContain('model.onnx.part');
  });
});
