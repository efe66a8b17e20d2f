// Tests of `models pull owner/name` for a Hub repo outside the registry, against a local fake Hub (HF_ENDPOINT on
// 127.0.0.1) that serves the API listing with sizes and LFS sha256s (`?blobs=true`) and the files, with Range.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkBaseModelOnDisk, workerBaseModel } from './base-model.js';
import { loopbackServerForFile } from './loopback-testing.js';
import { describeModels } from './model-status.js';
import { pullModel } from './pull.js';
import { SD15_FILES } from './sd15-testing.js';

const REPO = 'someone/toon-sd15';
const COMMIT = 'c'.repeat(40);
const sha256 = (body: Buffer | string) => createHash('sha256').update(body).digest('hex');
const json = (value: unknown) => JSON.stringify(value);

/** A repo as the Hub lists it: a complete SD1.5 layout plus what a pull must skip. */
function sd15Repo(): Map<string, Buffer> {
  const files: Record<string, string | Buffer> = {
    ...SD15_FILES,
    'unet/diffusion_pytorch_model.safetensors': Buffer.alloc(64_000, 7),
    // skipped: a .bin beside .safetensors, variants, the safety checker, a single-file copy
    'unet/diffusion_pytorch_model.bin': 'bin',
    'unet/diffusion_pytorch_model.fp16.safetensors': 'fp16',
    'safety_checker/model.safetensors': 'checker',
    'feature_extractor/preprocessor_config.json': '{}',
    'toon-sd15.ckpt': 'ckpt',
    'README.md': 'readme',
  };
  return new Map(Object.entries(files).map(([path, body]) => [path, Buffer.from(body)]));
}

const isLfs = (path: string) => /\.(safetensors|bin|ckpt)$/.test(path);

let root: string;
let repoFiles: Map<string, Buffer>;
/** What the CDN serves instead of a file's real bytes (a corrupted mirror). */
let served: Map<string, Buffer>;
let listingStatus: number | undefined;
let listingHeaders: Record<string, string> = {};
/** Whether the Hub's 302 states an LFS file's sha256 (`x-linked-etag`); a mirror may not: the listing's is used. */
let linkedEtag = true;
let requests: { url: string; auth?: string; range?: string }[] = [];

function answer(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '';
  requests.push({ url, auth: req.headers.authorization, range: req.headers.range });
  if (url === `/api/models/${REPO}/revision/main?blobs=true`) {
    if (listingStatus) return void res.writeHead(listingStatus, listingHeaders).end();
    const siblings = [...repoFiles].map(([rfilename, body]) => ({
      rfilename,
      size: body.length,
      ...(isLfs(rfilename) ? { lfs: { sha256: sha256(body), size: body.length, pointerSize: 134 } } : {}),
    }));
    return void res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(json({ sha: COMMIT, siblings }));
  }
  const resolve = url.match(new RegExp(`^/${REPO}/resolve/${COMMIT}/(.+)$`));
  const path = resolve ? decodeURIComponent(resolve[1] as string) : undefined;
  if (path !== undefined && repoFiles.has(path)) {
    const body = repoFiles.get(path) as Buffer;
    return void res
      .writeHead(302, {
        location: `/cdn/${path}`,
        'x-repo-commit': COMMIT,
        ...(isLfs(path) && linkedEtag
          ? { 'x-linked-etag': `"${sha256(body)}"` }
          : { etag: `"${body.length}"` }),
      })
      .end();
  }
  const cdnPath = url.startsWith('/cdn/') ? url.slice('/cdn/'.length) : undefined;
  const body = cdnPath === undefined ? undefined : (served.get(cdnPath) ?? repoFiles.get(cdnPath));
  if (body === undefined) return void res.writeHead(404).end();
  const from = Number(req.headers.range?.match(/^bytes=(\d+)-$/)?.[1] ?? 0);
  if (from > 0) {
    res.writeHead(206, { 'content-range': `bytes ${from}-${body.length - 1}/${body.length}` });
    return void res.end(body.subarray(from));
  }
  res.writeHead(200, { 'content-length': body.length }).end(body);
}

const endpoint = loopbackServerForFile(answer);

beforeEach(() => {
  repoFiles = sd15Repo();
  served = new Map();
  listingStatus = undefined;
  listingHeaders = {};
  linkedEtag = true;
  requests = [];
  root = mkdtempSync(join(tmpdir(), 'toonlora-hub-pull-'));
  return () => rmSync(root, { recursive: true, force: true });
});

const opts = (env: Record<string, string> = {}) => ({
  env: { TOONLORA_HOME: join(root, 'tl'), HF_HOME: join(root, 'hf'), HF_ENDPOINT: endpoint(), ...env },
  homeDir: join(root, 'home'),
  freeBytes: async () => 1e15,
  retryDelayMs: 1,
});
const repoDir = () => join(root, 'hf', 'hub', 'models--someone--toon-sd15');
const snapshot = () => join(repoDir(), 'snapshots', COMMIT);
const fileRequests = () => requests.filter((r) => r.url.startsWith('/cdn/')).map((r) => r.url.slice(5));

const WANTED = [
  'model_index.json',
  'scheduler/scheduler_config.json',
  'text_encoder/config.json',
  'tokenizer/merges.txt',
  'tokenizer/vocab.json',
  'unet/config.json',
  'vae/config.json',
  'text_encoder/model.safetensors',
  'unet/diffusion_pytorch_model.safetensors',
  'vae/diffusion_pytorch_model.safetensors',
];

describe('pullModel of a Hub id outside the registry (diffusers SD1.5)', () => {
  it("fetches only an SD1.5 load's files into the HF cache, which --base then reads; a second pull fetches nothing", async () => {
    const result = await pullModel(REPO, opts({ HF_TOKEN: 'hf_secret' }));
    expect(result.id).toBe(REPO);
    expect(result.files.map((f) => [f.file, f.status])).toEqual(WANTED.map((f) => [f, 'downloaded']));
    expect(fileRequests().sort()).toEqual([...WANTED].sort()); // no .bin, fp16, safety checker, ckpt, README
    expect(requests[0]).toMatchObject({
      url: `/api/models/${REPO}/revision/main?blobs=true`,
      auth: 'Bearer hf_secret',
    });
    expect(readFileSync(join(repoDir(), 'refs', 'main'), 'utf8')).toBe(COMMIT);
    for (const file of WANTED) expect(readFileSync(join(snapshot(), file))).toEqual(repoFiles.get(file));
    expect(existsSync(join(repoDir(), '.toonlora-partial', COMMIT))).toBe(false); // no parts left

    // the existing --base resolution reads that folder: a server job's name, and the CLI's check
    const base = { env: opts().env, homeDir: opts().homeDir };
    expect(workerBaseModel(REPO, { ...base, fromApi: true })).toBe(snapshot());
    expect(() => checkBaseModelOnDisk('baseModel', REPO, base)).not.toThrow();
    // `models list` and `doctor` show it after the registry's models
    const row = describeModels(base).at(-1);
    expect(row).toMatchObject({ id: REPO, present: true, path: snapshot(), stages: ['train', 'generate'] });
    expect(row?.sizeBytes).toBe(WANTED.reduce((sum, file) => sum + (repoFiles.get(file)?.length ?? 0), 0));

    requests = [];
    const again = await pullModel(REPO, opts());
    expect(again.files.every((f) => f.status === 'present')).toBe(true);
    // only whether main moved is asked (hub-revision.test.ts): no file
    expect(requests.map((r) => r.url)).toEqual([`/api/models/${REPO}/revision/main?blobs=true`]);
  });

  it('refuses a repo whose model_index.json is not a StableDiffusionPipeline before any weights, keeping nothing', async () => {
    repoFiles.set('model_index.json', Buffer.from(json({ _class_name: 'StableDiffusionXLPipeline' })));
    const error = (await pullModel(REPO, opts()).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_INPUT_INVALID' });
    expect(error.message).toContain(
      `${REPO}: its model_index.json names a StableDiffusionXLPipeline, not a StableDiffusionPipeline (SD1.5); ` +
        'toonlora trains and generates with SD1.5 bases only, so nothing was kept',
    );
    expect(fileRequests()).toEqual(['model_index.json', 'unet/config.json']);
    expect(existsSync(repoDir())).toBe(false); // no snapshot, no parts, no empty folders
  });

  it('refuses a repo with no diffusers layout (a single-file checkpoint) from its listing alone', async () => {
    repoFiles = new Map([['toon.safetensors', Buffer.from('single')]]);
    const error = (await pullModel(REPO, opts()).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_INPUT_INVALID' });
    expect(error.message).toMatch(/not a diffusers SD1\.5 layout at c{40}: it has no model_index\.json, /);
    expect(error.message).toContain('`--base <file>.safetensors`');
    expect(fileRequests()).toEqual([]);
  });

  it('refuses a sharded UNet whose listing lacks a shard, up front, naming it', async () => {
    repoFiles.delete('unet/diffusion_pytorch_model.safetensors');
    repoFiles.set('unet/diffusion_pytorch_model-00001-of-00002.safetensors', Buffer.from('shard-1'));
    repoFiles.set('unet/diffusion_pytorch_model.safetensors.index.json', Buffer.from('{}'));
    const error = (await pullModel(REPO, opts()).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_INPUT_INVALID' });
    expect(error.message).toContain(
      `${REPO}: its sharded weights at ${COMMIT} are incomplete: it has no ` +
        'unet/diffusion_pytorch_model-00002-of-00002.safetensors (a weight shard); nothing was downloaded',
    );
    expect(fileRequests()).toEqual([]);
  });

  it('stops a file larger than the listing says at once, as a listing problem (not "run the pull again")', async () => {
    const vae = 'vae/diffusion_pytorch_model.safetensors';
    served.set(vae, Buffer.alloc(2_000_000, 1)); // listed as 11 bytes
    linkedEtag = false;
    const error = (await pullModel(REPO, opts()).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_CHECKSUM' });
    expect(error.message).toContain(
      'does not match its listing: listed as 11 bytes, but the server sends 2000000 bytes',
    );
    expect(error.message).not.toContain('run the pull again');
    expect(existsSync(join(repoDir(), '.toonlora-partial', COMMIT, `${vae}.part`))).toBe(false);
    expect(existsSync(join(snapshot(), vae))).toBe(false);
  });

  it("catches a file whose bytes do not match the listing's sha256, and keeps it out of the snapshot", async () => {
    served.set('vae/diffusion_pytorch_model.safetensors', Buffer.from('vae-weightZ')); // same length
    linkedEtag = false; // only the listing (`lfs.sha256`) says what the file must be
    const error = (await pullModel(REPO, opts()).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_CHECKSUM' });
    expect(error.message).toContain(
      `sha256: expected ${sha256('vae-weights')}, got ${sha256('vae-weightZ')}`,
    );
    expect(existsSync(join(snapshot(), 'vae/diffusion_pytorch_model.safetensors'))).toBe(false);
    expect(existsSync(join(repoDir(), 'refs', 'main'))).toBe(false);

    served.clear(); // the mirror is fixed: the next pull fetches only that file
    requests = [];
    const again = await pullModel(REPO, opts());
    expect(fileRequests()).toEqual(['vae/diffusion_pytorch_model.safetensors']);
    expect(again.files.filter((f) => f.status === 'downloaded').map((f) => f.file)).toEqual([
      'vae/diffusion_pytorch_model.safetensors',
    ]);
  });

  it('resumes a weights file a dropped connection cut, from its .part, with a Range request', async () => {
    const unet = 'unet/diffusion_pytorch_model.safetensors';
    /** Delivers 10 000 bytes of the UNet's body, then fails (a pulled cable). */
    const cutting: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).endsWith(`/cdn/${unet}`) || !response.body) return response;
      const reader = response.body.getReader();
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (sent >= 10_000) {
            await new Promise((resolve) => setTimeout(resolve, 50)); // the bytes sent reach the disk first
            return void controller.error(new Error('cable pulled'));
          }
          const chunk = await reader.read();
          const part = (chunk.value ?? new Uint8Array()).subarray(0, 10_000 - sent);
          sent += part.length;
          controller.enqueue(part);
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    };
    await expect(pullModel(REPO, { ...opts(), fetchImpl: cutting, retries: 0 })).rejects.toMatchObject({
      code: 'TL_ERR_DOWNLOAD',
    });
    const part = join(repoDir(), '.toonlora-partial', COMMIT, `${unet}.part`);
    expect(statSync(part).size).toBe(10_000);
    // `models list` / GET /api/models show the stopped pull: not present, the bytes on disk, resumable
    const base = { env: opts().env, homeDir: opts().homeDir };
    const committed = WANTED.filter((file) => existsSync(join(snapshot(), file)));
    expect(committed).toContain('model_index.json');
    const onDisk = committed.reduce((sum, file) => sum + statSync(join(snapshot(), file)).size, 10_000);
    expect(describeModels(base).at(-1)).toMatchObject({ id: REPO, present: false, partBytes: onDisk });

    requests = [];
    await pullModel(REPO, opts());
    expect(requests.find((r) => r.url === `/cdn/${unet}`)?.range).toBe('bytes=10000-');
    expect(readFileSync(join(snapshot(), unet))).toEqual(repoFiles.get(unet));
  });

  it('names a gated or private repo (401) with the token fix, and a repo not on the Hub (404)', async () => {
    listingStatus = 401;
    const error = (await pullModel(REPO, opts()).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_DOWNLOAD' });
    expect(error.message).toContain(
      `HTTP 401 Unauthorized: ${REPO} is gated or private, or the token was refused. Accept its terms on ` +
        `${endpoint()}/${REPO} (logged in), then set HF_TOKEN to a token of that account or run \`hf auth login\``,
    );
    expect(error.message).not.toContain('Without network');
    expect(existsSync(join(root, 'hf'))).toBe(false);

    listingStatus = 404;
    listingHeaders = { 'x-error-code': 'RepoNotFound' };
    const missing = (await pullModel(REPO, opts()).catch((e: unknown) => e)) as Error;
    expect(missing.message).toContain(
      `HTTP 404 Not Found: the repo is not on the Hub (${endpoint()}/${REPO};`,
    );
  });

  it('says offline mode is on under HF_HUB_OFFLINE=1, with the hf download command, without a request', async () => {
    const error = (await pullModel(REPO, opts({ HF_HUB_OFFLINE: '1' })).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_DOWNLOAD' });
    expect(error.message).toContain(
      `hf download ${REPO} --include 'model_index.json' --include 'scheduler/*'`,
    );
    expect(requests).toEqual([]);
    expect(readdirSync(root)).toEqual([]);
  });
});
