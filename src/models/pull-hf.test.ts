// src/models/pull-hf.test.ts — `models pull` into the Hugging Face cache against a fake Hub (HF_ENDPOINT) on
// 127.0.0.1: the cache layout, one download for two pulls, snapshots through the listing, partial snapshots.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findModelDir, findModelFile, isModelPresent } from './cache.js';
import { pullModel } from './pull.js';
import { ANYTHING_CONFIGS, ANYTHING_WEIGHTS, BLIP, COMMIT, fakeHubForFile, wdRepo } from './pull-testing.js';

const fake = fakeHubForFile();
const { opts } = fake;

describe('pullModel (Hugging Face)', () => {
  it('writes files into the HF cache layout with refs/main, then finds them without requests', async () => {
    const result = await pullModel('wd-vit-tagger-v3', opts());
    const repo = join(fake.root, 'hf', 'hub', 'models--SmilingWolf--wd-vit-tagger-v3');
    expect(readFileSync(join(repo, 'refs', 'main'), 'utf8')).toBe(COMMIT);
    const model = join(repo, 'snapshots', COMMIT, 'model.onnx');
    expect(readFileSync(model, 'utf8')).toBe('onnx-bytes');
    expect(result.files.map((f) => f.status)).toEqual(['downloaded', 'downloaded']);
    expect(findModelFile('wd-vit-tagger-v3', undefined, opts())).toBe(model);
    expect(isModelPresent('wd-vit-tagger-v3', opts())).toBe(true);

    fake.requests = [];
    const again = await pullModel('wd-vit-tagger-v3', opts());
    expect(again.files.map((f) => f.status)).toEqual(['present', 'present']);
    expect(fake.requests).toEqual([]);
  });

  it('downloads once when two pulls of a model run at once: the second waits, says so, then finds the files', async () => {
    // The first pull's first download (it holds the model's lock) goes out only once the second pull waits.
    let firstDownloads = () => {};
    const firstDownloading = new Promise<void>((resolve) => {
      firstDownloads = resolve;
    });
    let secondWaits = () => {};
    const secondWaiting = new Promise<void>((resolve) => {
      secondWaits = resolve;
    });
    const heldFetch: typeof fetch = async (input, init) => {
      if (String(input).includes('/resolve/')) {
        firstDownloads();
        await secondWaiting;
      }
      return fetch(input, init);
    };
    const waits: string[] = [];
    const firstPull = pullModel('wd-vit-tagger-v3', { ...opts(), fetchImpl: heldFetch });
    await firstDownloading;
    const secondPull = pullModel('wd-vit-tagger-v3', {
      ...opts(),
      onWaitForLock: (message) => {
        waits.push(message);
        secondWaits();
      },
    });
    const [first, second] = await Promise.all([firstPull, secondPull]);
    expect(first.files.map((f) => f.status)).toEqual(['downloaded', 'downloaded']);
    expect(second.files.map((f) => f.status)).toEqual(['present', 'present']);
    expect(second.files.map((f) => f.path)).toEqual(first.files.map((f) => f.path));
    expect(fake.requests.filter((r) => r.endsWith('/model.onnx'))).toEqual([
      '/SmilingWolf/wd-vit-tagger-v3/resolve/main/model.onnx',
      '/cdn/SmilingWolf/wd-vit-tagger-v3/resolve/main/model.onnx',
    ]);
    const lock = join(fake.root, 'tl', 'downloads', 'wd-vit-tagger-v3.lock');
    expect(waits).toEqual([
      expect.stringContaining(`installing model wd-vit-tagger-v3; waiting for it to finish (lock ${lock}`),
    ]);
    expect(existsSync(lock)).toBe(false);
  });

  it('takes no lock for a model already on disk (a pull that has nothing to download never waits)', async () => {
    await pullModel('wd-vit-tagger-v3', opts());
    const lock = join(fake.root, 'tl', 'downloads', 'wd-vit-tagger-v3.lock');
    mkdirSync(lock); // another process's fresh lock
    const waits: string[] = [];
    const again = await pullModel('wd-vit-tagger-v3', {
      ...opts(),
      onWaitForLock: (message) => waits.push(message),
    });
    expect(again.files.map((f) => f.status)).toEqual(['present', 'present']);
    expect(waits).toEqual([]);
    expect(existsSync(lock)).toBe(true); // not ours: left alone
  });

  it('asks the Hub API for the commit when the endpoint sends no x-repo-commit', async () => {
    fake.hubHeaders = false;
    await pullModel('wd-vit-tagger-v3', opts());
    const repo = join(fake.root, 'hf', 'hub', 'models--SmilingWolf--wd-vit-tagger-v3');
    expect(readFileSync(join(repo, 'refs', 'main'), 'utf8')).toBe(COMMIT);
    expect(existsSync(join(repo, 'snapshots', COMMIT, 'model.onnx'))).toBe(true);
    expect(existsSync(join(repo, 'snapshots', 'main'))).toBe(false);
  });

  it('rejects a file whose sha256 does not match the registry and keeps nothing', async () => {
    await expect(pullModel('anime-person-detector', opts())).rejects.toMatchObject({
      code: 'TL_ERR_CHECKSUM',
    });
    expect(isModelPresent('anime-person-detector', opts())).toBe(false);
    const rev = 'e39c744c22432ad01f91dd254fe2b02c8d878b8c';
    const partial = join(fake.root, 'tl', 'downloads', 'anime-person-detector', rev, 'person_detect_v1.3_s');
    expect(existsSync(join(partial, 'model.onnx.part'))).toBe(false);
    expect(existsSync(join(fake.root, 'tl', 'downloads', 'anime-person-detector'))).toBe(false); // no empty folders
    const hfRepo = join(fake.root, 'hf', 'hub', 'models--deepghs--anime_person_detection');
    expect(existsSync(join(hfRepo, 'snapshots'))).toBe(false);
  });

  it('pulls a transformers snapshot through the Hub listing, skipping other frameworks', async () => {
    const result = await pullModel('blip-base', opts());
    expect(result.files.map((f) => f.file).sort()).toEqual([...BLIP].sort());
    const dir = findModelDir('blip-base', opts());
    expect(dir).toBe(
      join(fake.root, 'hf', 'hub', 'models--Salesforce--blip-image-captioning-base', 'snapshots', COMMIT),
    );
    expect(fake.requests).not.toContainEqual(expect.stringContaining('pytorch_model.bin'));
  });

  it('a snapshot pull stopped half-way is not present, and the next pull fetches only what is missing', async () => {
    fake.missingBlipFile = 'vocab.txt'; // sorted last: the required files are in before it fails
    await expect(pullModel('blip-base', opts())).rejects.toMatchObject({ code: 'TL_ERR_DOWNLOAD' });
    const snapshot = join(
      fake.root,
      'hf',
      'hub',
      'models--Salesforce--blip-image-captioning-base',
      'snapshots',
      COMMIT,
    );
    expect(existsSync(join(snapshot, 'model.safetensors'))).toBe(true);
    expect(isModelPresent('blip-base', opts())).toBe(false); // the weights of anything-v5 are not "required" files either
    fake.missingBlipFile = undefined;
    fake.requests = [];
    const again = await pullModel('blip-base', opts());
    expect(fake.requests.filter((url) => url.includes('/resolve/'))).toEqual([
      `/Salesforce/blip-image-captioning-base/resolve/${COMMIT}/vocab.txt`,
    ]);
    expect(again.files.filter((f) => f.status === 'downloaded').map((f) => f.file)).toEqual(['vocab.txt']);
    expect(isModelPresent('blip-base', opts())).toBe(true);
  });

  it('refuses a listing that is not JSON, or whose names would leave the cache, writing nothing', async () => {
    fake.blipListing = '<html>a captive portal</html>';
    await expect(pullModel('blip-base', opts())).rejects.toMatchObject({
      code: 'TL_ERR_DOWNLOAD',
      message: expect.stringContaining('did not answer with a JSON listing'),
    });
    for (const listing of [
      { sha: COMMIT, siblings: [{ rfilename: 'config.json' }, { rfilename: '../../../../../escaped.json' }] },
      { sha: '../../escaped', siblings: [{ rfilename: 'config.json' }] },
    ]) {
      fake.blipListing = JSON.stringify(listing);
      await expect(pullModel('blip-base', opts())).rejects.toMatchObject({
        code: 'TL_ERR_DOWNLOAD',
        message: expect.stringContaining('lists names that are not repository paths'),
      });
    }
    expect(fake.requests.filter((url) => url.includes('/resolve/'))).toEqual([]);
    expect(existsSync(join(fake.root, 'hf', 'hub', 'models--Salesforce--blip-image-captioning-base'))).toBe(
      false,
    );
  });

  it('fetches the weights of a snapshot whose configs alone are in the HF cache (an interrupted `hf download`)', async () => {
    const snapshot = join(
      fake.root,
      'hf',
      'hub',
      'models--stablediffusionapi--anything-v5',
      'snapshots',
      COMMIT,
    );
    for (const file of ANYTHING_CONFIGS) {
      mkdirSync(join(snapshot, file, '..'), { recursive: true });
      writeFileSync(join(snapshot, file), '{}');
    }
    expect(isModelPresent('anything-v5', opts())).toBe(false);
    const result = await pullModel('anything-v5', opts());
    expect(result.files.filter((f) => f.status === 'downloaded').map((f) => f.file)).toEqual(
      ANYTHING_WEIGHTS,
    );
    expect(fake.requests.filter((url) => url.includes('/resolve/'))).toHaveLength(ANYTHING_WEIGHTS.length);
    expect(findModelDir('anything-v5', opts())).toBe(snapshot);
  });

  it('says so when the repo lacks a file the registry requires', async () => {
    fake.siblingsOverride = ['config.json', 'preprocessor_config.json', 'pytorch_model.bin'];
    const error = (await pullModel('blip-base', opts()).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_MODEL_MISSING' });
    expect(error.message).toContain(
      `blip-base: Salesforce/blip-image-captioning-base@${COMMIT} has no model.safetensors`,
    );
  });
});

describe('pullModel: a single-file-list model partly in the HF cache', () => {
  it('fetches the missing file at the commit of the present one, leaving refs/main where it was', async () => {
    const old = '9'.repeat(40);
    mkdirSync(join(wdRepo(fake.root), 'refs'), { recursive: true });
    writeFileSync(join(wdRepo(fake.root), 'refs', 'main'), old);
    const model = join(wdRepo(fake.root), 'snapshots', old, 'model.onnx');
    mkdirSync(join(model, '..'), { recursive: true });
    writeFileSync(model, 'onnx-bytes');
    const result = await pullModel('wd-vit-tagger-v3', opts());
    expect(fake.requests.filter((url) => url.includes('/resolve/') && !url.startsWith('/cdn/'))).toEqual([
      `/SmilingWolf/wd-vit-tagger-v3/resolve/${old}/selected_tags.csv`,
    ]);
    expect(result.files.map((f) => f.path)).toEqual([
      model,
      join(wdRepo(fake.root), 'snapshots', old, 'selected_tags.csv'),
    ]);
    expect(readFileSync(join(wdRepo(fake.root), 'refs', 'main'), 'utf8')).toBe(old);
    expect(existsSync(join(wdRepo(fake.root), 'snapshots', COMMIT))).toBe(false);
  });
});
