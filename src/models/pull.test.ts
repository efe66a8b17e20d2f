// Tests of `models pull` against a local fake Hugging Face endpoint (HF_ENDPOINT) on 127.0.0.1.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findModelDir, findModelFile, isModelPresent } from './cache.js';
import { pullModel } from './pull.js';

const COMMIT = '1'.repeat(40);
let server: Server;
let endpoint: string;
let requests: string[] = [];
/** The Authorization header of each request, in order. */
let auths: (string | undefined)[] = [];
/** An HTTP status the BLIP listing answers with instead of the listing. */
let blipListingStatus: number | undefined;
let root: string;
let siblingsOverride: string[] | undefined;
let hubHeaders = true;
/** Whether the fake Hub states each LFS file's sha256 (x-linked-etag), as the real one does. */
let linkedEtag = true;
let cdnDelayMs = 0;
/** A BLIP file the fake Hub answers 404 for (a pull stopped half-way). */
let missingBlipFile: string | undefined;
/** Replaces the BLIP listing's body (a bad mirror). */
let blipListing: string | undefined;

const REPO_FILES: Record<string, string> = {
  '/SmilingWolf/wd-vit-tagger-v3/resolve/main/model.onnx': 'onnx-bytes',
  '/SmilingWolf/wd-vit-tagger-v3/resolve/main/selected_tags.csv': 'tag_id,name,category,count\n',
  '/deepghs/anime_person_detection/resolve/e39c744c22432ad01f91dd254fe2b02c8d878b8c/person_detect_v1.3_s/model.onnx':
    'not the real detector',
};
const BLIP = ['config.json', 'preprocessor_config.json', 'model.safetensors', 'vocab.txt'];
const ANYTHING_CONFIGS = [
  'model_index.json',
  'scheduler/scheduler_config.json',
  'text_encoder/config.json',
  'tokenizer/vocab.json',
  'unet/config.json',
  'vae/config.json',
];
const ANYTHING_WEIGHTS = [
  'text_encoder/model.safetensors',
  'unet/diffusion_pytorch_model.safetensors',
  'vae/diffusion_pytorch_model.safetensors',
];

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Answers with the `x-linked-etag` the Hub sends for an LFS file (its sha256), which the pull verifies. */
function lfs(res: ServerResponse): ServerResponse {
  const end = res.end.bind(res);
  res.end = ((body: string) => {
    res.setHeader('x-linked-etag', `"${sha256(body)}"`);
    return end(body);
  }) as typeof res.end;
  return res;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '';
    requests.push(url);
    auths.push(req.headers.authorization);
    if (url === '/api/models/Salesforce/blip-image-captioning-base/revision/main') {
      if (blipListingStatus) return void res.writeHead(blipListingStatus).end();
      res.writeHead(200, { 'content-type': 'application/json' });
      if (blipListing !== undefined) return void res.end(blipListing);
      const names = siblingsOverride ?? [...BLIP, 'pytorch_model.bin', 'tf_model.h5'];
      const siblings = names.map((rfilename) => ({ rfilename }));
      return void res.end(JSON.stringify({ sha: COMMIT, siblings }));
    }
    if (url === '/api/models/stablediffusionapi/anything-v5/revision/main') {
      const names = [
        ...ANYTHING_CONFIGS,
        ...ANYTHING_WEIGHTS,
        'unet/diffusion_pytorch_model.fp16.safetensors',
      ];
      return void res.end(
        JSON.stringify({ sha: COMMIT, siblings: names.map((rfilename) => ({ rfilename })) }),
      );
    }
    const anything = url.match(/^\/stablediffusionapi\/anything-v5\/resolve\/([0-9a-f]{40})\/(.+)$/);
    if (anything) return void lfs(res).end(`anything:${anything[2]}`);
    if (url === '/api/models/SmilingWolf/wd-vit-tagger-v3/revision/main') {
      return void res.end(JSON.stringify({ sha: COMMIT, siblings: [] }));
    }
    const blip = url.match(/^\/Salesforce\/blip-image-captioning-base\/resolve\/([0-9a-f]{40})\/(.+)$/);
    if (blip && blip[2] === missingBlipFile) return void res.writeHead(404).end();
    if (blip) return void lfs(res).end(`blip:${blip[2]}`);
    if (url.startsWith('/cdn/')) {
      const body = REPO_FILES[url.slice('/cdn'.length)];
      const answer = () => void (body === undefined ? res.writeHead(404).end() : res.end(body));
      return void setTimeout(answer, cdnDelayMs);
    }
    // Files are served at any revision, like the Hub (resolve/main and resolve/<commit>); like the Hub,
    // the commit is sent on the 302 to the CDN only, never on the CDN's 200.
    const canonical =
      REPO_FILES[url] === undefined ? url.replace(/\/resolve\/[0-9a-f]{40}\//, '/resolve/main/') : url;
    if (REPO_FILES[canonical] === undefined) return void res.writeHead(404).end();
    res.writeHead(302, {
      location: `/cdn${canonical}`,
      ...(linkedEtag ? { 'x-linked-etag': `"${sha256(REPO_FILES[canonical])}"` } : {}), // verified
      ...(hubHeaders ? { 'x-repo-commit': COMMIT } : {}),
    });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  requests = [];
  auths = [];
  blipListingStatus = undefined;
  siblingsOverride = undefined;
  hubHeaders = true;
  linkedEtag = true;
  cdnDelayMs = 0;
  missingBlipFile = undefined;
  blipListing = undefined;
  root = mkdtempSync(join(tmpdir(), 'toonlora-pull-'));
  return () => rmSync(root, { recursive: true, force: true });
});

const opts = () => ({
  env: { TOONLORA_HOME: join(root, 'tl'), HF_HOME: join(root, 'hf'), HF_ENDPOINT: endpoint },
  homeDir: join(root, 'home'),
  freeBytes: async () => 1e15, // the registry's sizes fit whatever the test machine's disk holds
});

const WD_REPO = () => join(root, 'hf', 'hub', 'models--SmilingWolf--wd-vit-tagger-v3');

/** A fetch whose bodies deliver their first chunk, then fail (a dropped connection). */
const dropping: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  if (!response.body) return response;
  const reader = response.body.getReader();
  let delivered = false;
  const body = new ReadableStream({
    async pull(controller) {
      if (delivered) return void controller.error(new Error('cable pulled'));
      const chunk = await reader.read();
      if (chunk.value) controller.enqueue(chunk.value);
      delivered = true;
    },
  });
  return new Response(body, { status: response.status, headers: response.headers });
};

describe('pullModel (Hugging Face)', () => {
  it('writes files into the HF cache layout with refs/main, then finds them without requests', async () => {
    const result = await pullModel('wd-vit-tagger-v3', opts());
    const repo = join(root, 'hf', 'hub', 'models--SmilingWolf--wd-vit-tagger-v3');
    expect(readFileSync(join(repo, 'refs', 'main'), 'utf8')).toBe(COMMIT);
    const model = join(repo, 'snapshots', COMMIT, 'model.onnx');
    expect(readFileSync(model, 'utf8')).toBe('onnx-bytes');
    expect(result.files.map((f) => f.status)).toEqual(['downloaded', 'downloaded']);
    expect(findModelFile('wd-vit-tagger-v3', undefined, opts())).toBe(model);
    expect(isModelPresent('wd-vit-tagger-v3', opts())).toBe(true);

    requests = [];
    const again = await pullModel('wd-vit-tagger-v3', opts());
    expect(again.files.map((f) => f.status)).toEqual(['present', 'present']);
    expect(requests).toEqual([]);
  });

  it('downloads once when two pulls of a model run at once: the second waits, says so, then finds the files', async () => {
    cdnDelayMs = 300; // the first pull is still downloading when the second one starts
    const waits: string[] = [];
    const [first, second] = await Promise.all([
      pullModel('wd-vit-tagger-v3', opts()),
      new Promise((resolve) => setTimeout(resolve, 50)).then(() =>
        pullModel('wd-vit-tagger-v3', { ...opts(), onWaitForLock: (message) => waits.push(message) }),
      ),
    ]);
    expect(first.files.map((f) => f.status)).toEqual(['downloaded', 'downloaded']);
    expect(second.files.map((f) => f.status)).toEqual(['present', 'present']);
    expect(second.files.map((f) => f.path)).toEqual(first.files.map((f) => f.path));
    expect(requests.filter((r) => r.endsWith('/model.onnx'))).toEqual([
      '/SmilingWolf/wd-vit-tagger-v3/resolve/main/model.onnx',
      '/cdn/SmilingWolf/wd-vit-tagger-v3/resolve/main/model.onnx',
    ]);
    const lock = join(root, 'tl', 'downloads', 'wd-vit-tagger-v3.lock');
    expect(waits).toEqual([
      expect.stringContaining(`installing model wd-vit-tagger-v3; waiting for it to finish (lock ${lock}`),
    ]);
    expect(existsSync(lock)).toBe(false);
  });

  it('takes no lock for a model already on disk (a pull that has nothing to download never waits)', async () => {
    await pullModel('wd-vit-tagger-v3', opts());
    const lock = join(root, 'tl', 'downloads', 'wd-vit-tagger-v3.lock');
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
    hubHeaders = false;
    await pullModel('wd-vit-tagger-v3', opts());
    const repo = join(root, 'hf', 'hub', 'models--SmilingWolf--wd-vit-tagger-v3');
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
    const partial = join(root, 'tl', 'downloads', 'anime-person-detector', rev, 'person_detect_v1.3_s');
    expect(existsSync(join(partial, 'model.onnx.part'))).toBe(false);
    expect(existsSync(join(root, 'tl', 'downloads', 'anime-person-detector'))).toBe(false); // no empty folders
    const hfRepo = join(root, 'hf', 'hub', 'models--deepghs--anime_person_detection');
    expect(existsSync(join(hfRepo, 'snapshots'))).toBe(false);
  });

  it('pulls a transformers snapshot through the Hub listing, skipping other frameworks', async () => {
    const result = await pullModel('blip-base', opts());
    expect(result.files.map((f) => f.file).sort()).toEqual([...BLIP].sort());
    const dir = findModelDir('blip-base', opts());
    expect(dir).toBe(
      join(root, 'hf', 'hub', 'models--Salesforce--blip-image-captioning-base', 'snapshots', COMMIT),
    );
    expect(requests).not.toContainEqual(expect.stringContaining('pytorch_model.bin'));
  });

  it('a snapshot pull stopped half-way is not present, and the next pull fetches only what is missing', async () => {
    missingBlipFile = 'vocab.txt'; // sorted last: the required files are in before it fails
    await expect(pullModel('blip-base', opts())).rejects.toMatchObject({ code: 'TL_ERR_DOWNLOAD' });
    const snapshot = join(
      root,
      'hf',
      'hub',
      'models--Salesforce--blip-image-captioning-base',
      'snapshots',
      COMMIT,
    );
    expect(existsSync(join(snapshot, 'model.safetensors'))).toBe(true);
    expect(isModelPresent('blip-base', opts())).toBe(false); // the weights of anything-v5 are not "required" files either
    missingBlipFile = undefined;
    requests = [];
    const again = await pullModel('blip-base', opts());
    expect(requests.filter((url) => url.includes('/resolve/'))).toEqual([
      `/Salesforce/blip-image-captioning-base/resolve/${COMMIT}/vocab.txt`,
    ]);
    expect(again.files.filter((f) => f.status === 'downloaded').map((f) => f.file)).toEqual(['vocab.txt']);
    expect(isModelPresent('blip-base', opts())).toBe(true);
  });

  it('refuses a listing that is not JSON, or whose names would leave the cache, writing nothing', async () => {
    blipListing = '<html>a captive portal</html>';
    await expect(pullModel('blip-base', opts())).rejects.toMatchObject({
      code: 'TL_ERR_DOWNLOAD',
      message: expect.stringContaining('did not answer with a JSON listing'),
    });
    for (const listing of [
      { sha: COMMIT, siblings: [{ rfilename: 'config.json' }, { rfilename: '../../../../../escaped.json' }] },
      { sha: '../../escaped', siblings: [{ rfilename: 'config.json' }] },
    ]) {
      blipListing = JSON.stringify(listing);
      await expect(pullModel('blip-base', opts())).rejects.toMatchObject({
        code: 'TL_ERR_DOWNLOAD',
        message: expect.stringContaining('lists names that are not repository paths'),
      });
    }
    expect(requests.filter((url) => url.includes('/resolve/'))).toEqual([]);
    expect(existsSync(join(root, 'hf', 'hub', 'models--Salesforce--blip-image-captioning-base'))).toBe(false);
  });

  it('fetches the weights of a snapshot whose configs alone are in the HF cache (an interrupted `hf download`)', async () => {
    const snapshot = join(root, 'hf', 'hub', 'models--stablediffusionapi--anything-v5', 'snapshots', COMMIT);
    for (const file of ANYTHING_CONFIGS) {
      mkdirSync(join(snapshot, file, '..'), { recursive: true });
      writeFileSync(join(snapshot, file), '{}');
    }
    expect(isModelPresent('anything-v5', opts())).toBe(false);
    const result = await pullModel('anything-v5', opts());
    expect(result.files.filter((f) => f.status === 'downloaded').map((f) => f.file)).toEqual(
      ANYTHING_WEIGHTS,
    );
    expect(requests.filter((url) => url.includes('/resolve/'))).toHaveLength(ANYTHING_WEIGHTS.length);
    expect(findModelDir('anything-v5', opts())).toBe(snapshot);
  });

  it('says so when the repo lacks a file the registry requires', async () => {
    siblingsOverride = ['config.json', 'preprocessor_config.json', 'pytorch_model.bin'];
    const error = (await pullModel('blip-base', opts()).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_MODEL_MISSING' });
    expect(error.message).toContain(
      `blip-base: Salesforce/blip-image-captioning-base@${COMMIT} has no model.safetensors`,
    );
  });
});

describe('pullModel with a bad file already on disk', () => {
  const detector = () =>
    join(root, 'tl', 'models', 'anime-person-detector', 'person_detect_v1.3_s', 'model.onnx');

  it('moves an 8-byte file aside as .corrupt, names it, and downloads again', async () => {
    mkdirSync(join(detector(), '..'), { recursive: true });
    writeFileSync(detector(), 'garbage!');
    const corrupt: { path: string; movedTo: string; problems: string[] }[] = [];
    const error = await pullModel('anime-person-detector', {
      ...opts(),
      onCorrupt: (info) => corrupt.push(info),
    }).catch((e: unknown) => e);
    expect(corrupt).toEqual([
      {
        modelId: 'anime-person-detector',
        file: 'person_detect_v1.3_s/model.onnx',
        path: detector(),
        movedTo: `${detector()}.corrupt`,
        problems: ['size: expected 44583231 bytes, got 8'],
      },
    ]);
    expect(readFileSync(`${detector()}.corrupt`, 'utf8')).toBe('garbage!');
    // it was fetched again (the test server's copy is wrong too, so this pull fails on the checksum)
    expect(requests.some((r) => r.endsWith('/person_detect_v1.3_s/model.onnx'))).toBe(true);
    expect(error).toMatchObject({ code: 'TL_ERR_CHECKSUM' });
  });

  it('hashes a file of the right size, says so first, and moves it aside on a sha256 mismatch', async () => {
    mkdirSync(join(detector(), '..'), { recursive: true });
    writeFileSync(detector(), '');
    truncateSync(detector(), 44_583_231); // right size, all zeros
    const events: string[] = [];
    await pullModel('anime-person-detector', {
      ...opts(),
      onVerifyStart: ({ path, bytes }) => events.push(`verify ${path} ${bytes}`),
      onCorrupt: ({ movedTo, problems }) => events.push(`corrupt ${movedTo} ${problems.join(';')}`),
    }).catch(() => undefined);
    expect(events[0]).toBe(`verify ${detector()} 44583231`);
    expect(events[1]).toMatch(
      /^corrupt .*model\.onnx\.corrupt sha256: expected 6da88929.*, got [0-9a-f]{64}$/,
    );
    expect(existsSync(`${detector()}.corrupt`)).toBe(true);
  });
});

describe('pullModel and the .corrupt copies of earlier pulls', () => {
  it("deletes a file's .corrupt copies (a cache link takes its blob along) once its verified download is in place", async () => {
    const manual = join(root, 'tl', 'models', 'wd-vit-tagger-v3');
    mkdirSync(manual, { recursive: true });
    writeFileSync(join(manual, 'model.onnx.corrupt'), 'bad bytes');
    const oldSnapshot = join(WD_REPO(), 'snapshots', '0'.repeat(40));
    mkdirSync(oldSnapshot, { recursive: true });
    mkdirSync(join(WD_REPO(), 'blobs'), { recursive: true });
    writeFileSync(join(WD_REPO(), 'blobs', 'badblob'), 'bad blob bytes');
    symlinkSync('../../blobs/badblob', join(oldSnapshot, 'model.onnx.corrupt-2'));
    // another model's copy stays: only a verified download of the same file clears it
    mkdirSync(join(root, 'tl', 'models', 'u2net'), { recursive: true });
    writeFileSync(join(root, 'tl', 'models', 'u2net', 'u2net.onnx.corrupt'), 'x');
    const removed: string[] = [];
    await pullModel('wd-vit-tagger-v3', {
      ...opts(),
      onCorruptRemoved: ({ modelId, file, path, bytes }) =>
        removed.push(`${modelId} ${file} ${path} ${bytes}`),
    });
    expect(removed.sort()).toEqual(
      [
        `wd-vit-tagger-v3 model.onnx ${join(manual, 'model.onnx.corrupt')} 9`,
        `wd-vit-tagger-v3 model.onnx ${join(oldSnapshot, 'model.onnx.corrupt-2')} 14`,
      ].sort(),
    );
    expect(existsSync(join(manual, 'model.onnx.corrupt'))).toBe(false);
    expect(existsSync(join(WD_REPO(), 'blobs', 'badblob'))).toBe(false);
    expect(existsSync(join(root, 'tl', 'models', 'u2net', 'u2net.onnx.corrupt'))).toBe(true);
  });
});

describe('pullModel into a folder that cannot be written', () => {
  it('names the HF cache and HF_HOME when the cache is under a file (ENOTDIR)', async () => {
    writeFileSync(join(root, 'a-file'), '');
    const env = { ...opts().env, HF_HOME: join(root, 'a-file', 'hf') };
    const error = (await pullModel('wd-vit-tagger-v3', { ...opts(), env }).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_CONFIG' });
    expect(error.message).toMatch(
      new RegExp(
        `^cannot write to the Hugging Face cache ${join(root, 'a-file', 'hf', 'hub')} \\(.*a-file is not a folder\\)`,
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

describe('pullModel: a single-file-list model partly in the HF cache', () => {
  it('fetches the missing file at the commit of the present one, leaving refs/main where it was', async () => {
    const old = '9'.repeat(40);
    mkdirSync(join(WD_REPO(), 'refs'), { recursive: true });
    writeFileSync(join(WD_REPO(), 'refs', 'main'), old);
    const model = join(WD_REPO(), 'snapshots', old, 'model.onnx');
    mkdirSync(join(model, '..'), { recursive: true });
    writeFileSync(model, 'onnx-bytes');
    const result = await pullModel('wd-vit-tagger-v3', opts());
    expect(requests.filter((url) => url.includes('/resolve/') && !url.startsWith('/cdn/'))).toEqual([
      `/SmilingWolf/wd-vit-tagger-v3/resolve/${old}/selected_tags.csv`,
    ]);
    expect(result.files.map((f) => f.path)).toEqual([
      model,
      join(WD_REPO(), 'snapshots', old, 'selected_tags.csv'),
    ]);
    expect(readFileSync(join(WD_REPO(), 'refs', 'main'), 'utf8')).toBe(old);
    expect(existsSync(join(WD_REPO(), 'snapshots', COMMIT))).toBe(false);
  });
});

describe('pullModel: a file far smaller than the registry says', () => {
  it('is refused when nothing states its checksum (a 10-byte "model.onnx" of about 379 MB)', async () => {
    linkedEtag = false;
    const error = (await pullModel('wd-vit-tagger-v3', opts()).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_CHECKSUM' });
    expect(error.message).toContain('size: 10 bytes, far below the 379000000 or so expected');
    expect(isModelPresent('wd-vit-tagger-v3', opts())).toBe(false);
  });
});

describe('pullModel: tokens and refusals', () => {
  it('sends the token `hf auth login` wrote ($HF_HOME/token, or $HF_TOKEN_PATH) when HF_TOKEN is unset', async () => {
    mkdirSync(join(root, 'hf'), { recursive: true });
    writeFileSync(join(root, 'hf', 'token'), 'hf_from_file\n');
    await pullModel('wd-vit-tagger-v3', opts());
    const hub = auths.filter((_, i) => !requests[i]?.startsWith('/cdn/'));
    expect(hub).toEqual(['Bearer hf_from_file', 'Bearer hf_from_file']); // trimmed; never sent to another host (download.test)

    rmSync(join(root, 'hf', 'hub'), { recursive: true });
    writeFileSync(join(root, 'elsewhere'), 'hf_path_var');
    auths = [];
    requests = [];
    await pullModel('wd-vit-tagger-v3', {
      ...opts(),
      env: { ...opts().env, HF_TOKEN_PATH: join(root, 'elsewhere') },
    });
    expect(auths[0]).toBe('Bearer hf_path_var');

    rmSync(join(root, 'hf', 'hub'), { recursive: true });
    auths = [];
    await pullModel('wd-vit-tagger-v3', { ...opts(), env: { ...opts().env, HF_TOKEN: 'hf_env' } });
    expect(auths[0]).toBe('Bearer hf_env'); // the variable wins over the file
  });

  it('says a refused listing is a gated or private repo and how to give a token, not "without network"', async () => {
    blipListingStatus = 401;
    const error = (await pullModel('blip-base', opts()).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_DOWNLOAD' });
    expect(error.message).toContain(
      `HTTP 401 Unauthorized: Salesforce/blip-image-captioning-base is gated or private, or the token was refused. ` +
        `Accept its terms on ${endpoint}/Salesforce/blip-image-captioning-base (logged in), then set HF_TOKEN`,
    );
    expect(error.message).toContain('`hf auth login`');
    expect(error.message).not.toContain('Without network');
    blipListingStatus = 404;
    const missing = (await pullModel('blip-base', opts()).catch((e: unknown) => e)) as Error;
    expect(missing.message).toContain('HTTP 404 Not Found: the file or revision is not on the Hub');
  });
});

describe('pullModel: where the .part files go, and a full disk', () => {
  it("keeps a Hugging Face .part beside the HF cache's files, not in toonlora's home", async () => {
    await expect(
      pullModel('wd-vit-tagger-v3', { ...opts(), fetchImpl: dropping, retries: 0 }),
    ).rejects.toMatchObject({
      code: 'TL_ERR_DOWNLOAD',
    });
    const part = join(WD_REPO(), '.toonlora-partial', 'main', 'model.onnx.part');
    expect(existsSync(part)).toBe(true);
    expect(existsSync(join(root, 'tl', 'downloads', 'wd-vit-tagger-v3'))).toBe(false);
    await pullModel('wd-vit-tagger-v3', opts());
    expect(readFileSync(join(WD_REPO(), 'snapshots', COMMIT, 'model.onnx'), 'utf8')).toBe('onnx-bytes');
    expect(existsSync(part)).toBe(false);
  });

  it("moves a .part an older version left in toonlora's home to the HF cache and resumes it there", async () => {
    const legacy = join(root, 'tl', 'downloads', 'wd-vit-tagger-v3', 'main', 'model.onnx.part');
    mkdirSync(join(legacy, '..'), { recursive: true });
    writeFileSync(legacy, 'onnx');
    const moved: string[] = [];
    const watch: typeof fetch = (input, init) => {
      const part = join(WD_REPO(), '.toonlora-partial', 'main', 'model.onnx.part');
      if (String(input).endsWith('model.onnx') && existsSync(part)) moved.push(readFileSync(part, 'utf8'));
      return fetch(input, init);
    };
    await pullModel('wd-vit-tagger-v3', { ...opts(), fetchImpl: watch });
    expect(moved[0]).toBe('onnx'); // in place before the first request
    expect(existsSync(legacy)).toBe(false);
    expect(readFileSync(join(WD_REPO(), 'snapshots', COMMIT, 'model.onnx'), 'utf8')).toBe('onnx-bytes');
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
      `wd-vit-tagger-v3: not enough free space in the Hugging Face cache ${join(root, 'hf', 'hub')}: the download ` +
        'needs about 379 MB and 100 MB is free there; nothing was downloaded. Free space there, or set HF_HOME ' +
        '(or HF_HUB_CACHE) to a folder on a bigger disk',
    );
    expect(folders).toEqual([join(root, 'hf', 'hub')]);
    expect(requests).toEqual([]);
    // what a .part already holds is not needed again
    const part = join(WD_REPO(), '.toonlora-partial', 'main', 'model.onnx.part');
    mkdirSync(join(part, '..'), { recursive: true });
    writeFileSync(part, '');
    truncateSync(part, 300e6); // sparse: takes no room
    await pullModel('wd-vit-tagger-v3', { ...opts(), freeBytes });
  });

  it('names the full disk and the HF cache when the .part cannot be written (ENOSPC)', async () => {
    const part = join(WD_REPO(), '.toonlora-partial', 'main', 'model.onnx.part');
    mkdirSync(join(part, '..'), { recursive: true });
    symlinkSync('/dev/full', part); // every write fails with ENOSPC
    const error = (await pullModel('wd-vit-tagger-v3', opts()).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_OUTPUT_WRITE' });
    expect(error.message).toBe(
      `cannot write to the Hugging Face cache ${join(root, 'hf', 'hub')}: no space left on the disk (ENOSPC at ` +
        `${part}). Free space there, or set HF_HOME (or HF_HUB_CACHE) to a folder on a bigger disk.`,
    );
    expect(readdirSync(join(WD_REPO(), '.toonlora-partial', 'main'))).toContain('model.onnx.part');
  });
});

describe('pullModel without network', () => {
  it('fails with one line naming the model, the URL and the manual path', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const redirect: typeof fetch = (input, init) =>
      fetch(String(input).replace('https://github.com', `http://127.0.0.1:${port}`), init);
    const error = await pullModel('isnet-anime', { ...opts(), fetchImpl: redirect }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TL_ERR_DOWNLOAD' });
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain(
      'isnet-anime: cannot download https://github.com/danielgatis/rembg/releases/download/v0.0.0/isnet-anime.onnx: connect ECONNREFUSED',
    );
    expect(message).toContain(
      `place the file at ${join(root, 'tl', 'models', 'isnet-anime', 'isnet-anime.onnx')}`,
    );
  });

  it("fetches rembg's release files from TOONLORA_REMBG_MIRROR when it is set", async () => {
    const env = { ...opts().env, TOONLORA_REMBG_MIRROR: `${endpoint}/rembg-mirror/` };
    const error = (await pullModel('u2net', { ...opts(), env }).catch((e: unknown) => e)) as Error;
    expect(requests).toEqual(['/rembg-mirror/u2net.onnx']);
    expect(error.message).toContain(`u2net: cannot download ${endpoint}/rembg-mirror/u2net.onnx: HTTP 404`);
  });

  it('fails a snapshot listing the same way, naming the folder to fill by hand', async () => {
    const env = { ...opts().env, HF_ENDPOINT: 'http://127.0.0.1:9' };
    const error = (await pullModel('anything-v5', { ...opts(), env }).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^anything-v5: cannot list http:\/\/127\.0\.0\.1:9\/api\/models\//);
    expect(error.message).toContain(`into ${join(root, 'tl', 'models', 'anything-v5')}/`);
  });

  it("names the `hf download` command with the registry's filters (huggingface_hub 2 has no huggingface-cli)", async () => {
    const env = { ...opts().env, HF_ENDPOINT: 'http://127.0.0.1:9' };
    const error = (await pullModel('anything-v5', { ...opts(), env }).catch((e: unknown) => e)) as Error;
    expect(error.message).not.toContain('huggingface-cli');
    expect(error.message).toContain(
      "run `hf download stablediffusionapi/anything-v5 --include 'model_index.json' --include 'scheduler/*'",
    );
    expect(error.message).toContain("--exclude '*.fp16.*' --exclude '*.ckpt'");
    expect(error.message).toContain('its .bin / .ckpt copies are not needed');
  });

  it('says offline mode is on under HF_HUB_OFFLINE=1, without a request', async () => {
    const env = { ...opts().env, HF_HUB_OFFLINE: '1' };
    const error = (await pullModel('anything-v5', { ...opts(), env }).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_DOWNLOAD' });
    expect(error.message).toMatch(
      /^anything-v5: not on disk, and Hugging Face offline mode is on \(HF_HUB_OFFLINE=1\)/,
    );
    expect(error.message).toContain('hf download stablediffusionapi/anything-v5');
    await expect(pullModel('lama', { ...opts(), env: { ...env, HF_HUB_OFFLINE: 'true' } })).rejects.toThrow(
      /offline mode is on.*Place lama_fp32\.onnx by hand at /,
    );
    // several files: the folder they go in, not the first one's path
    await expect(pullModel('wd-vit-tagger-v3', { ...opts(), env })).rejects.toThrow(
      `Place model.onnx, selected_tags.csv by hand in ${join(root, 'tl', 'models', 'wd-vit-tagger-v3')}/`,
    );
    expect(requests).toEqual([]);
  });

  it('reports a Hugging Face cache it cannot write before the network', async () => {
    writeFileSync(join(root, 'a-file'), '');
    const env = { ...opts().env, HF_HOME: join(root, 'a-file', 'hf'), HF_ENDPOINT: 'http://127.0.0.1:9' };
    const error = (await pullModel('anything-v5', { ...opts(), env }).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_CONFIG' });
    expect(error.message).toMatch(/^cannot write to the Hugging Face cache /);
  });

  it('leaves no empty folders behind', async () => {
    const env = { ...opts().env, HF_ENDPOINT: 'http://127.0.0.1:9' };
    const offline: typeof fetch = () => Promise.reject(new TypeError('fetch failed'));
    for (const id of ['lama', 'isnet-anime', 'anything-v5']) {
      await expect(pullModel(id, { ...opts(), env, fetchImpl: offline })).rejects.toMatchObject({
        code: 'TL_ERR_DOWNLOAD',
      });
    }
    expect(existsSync(join(root, 'tl', 'models'))).toBe(false);
    expect(existsSync(join(root, 'tl'))).toBe(false); // nor the lock's downloads/, nor the home it made
    expect(existsSync(join(root, 'hf', 'hub'))).toBe(false);
  });
});
