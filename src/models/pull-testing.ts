// src/models/pull-testing.ts — for the `models pull` tests: a fake Hugging Face endpoint (HF_ENDPOINT) on 127.0.0.1
// started once per test file, its per-test knobs and log, a fresh cache root per test, and a fetch that drops.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach } from 'vitest';
import { loopbackServerForFile } from './loopback-testing.js';

export const COMMIT = '1'.repeat(40);

const REPO_FILES: Record<string, string> = {
  '/SmilingWolf/wd-vit-tagger-v3/resolve/main/model.onnx': 'onnx-bytes',
  '/SmilingWolf/wd-vit-tagger-v3/resolve/main/selected_tags.csv': 'tag_id,name,category,count\n',
  '/deepghs/anime_person_detection/resolve/e39c744c22432ad01f91dd254fe2b02c8d878b8c/person_detect_v1.3_s/model.onnx':
    'not the real detector',
};
export const BLIP = ['config.json', 'preprocessor_config.json', 'model.safetensors', 'vocab.txt'];
export const ANYTHING_CONFIGS = [
  'model_index.json',
  'scheduler/scheduler_config.json',
  'text_encoder/config.json',
  'tokenizer/vocab.json',
  'unet/config.json',
  'vae/config.json',
];
export const ANYTHING_WEIGHTS = [
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

/** The fake Hub's address, what it saw, and how it answers; reset before each test. */
export interface FakeHub {
  readonly endpoint: string;
  /** A fresh temp folder per test: `tl/` is toonlora's home, `hf/` the HF_HOME. */
  root: string;
  /** The URL of each request, in order. */
  requests: string[];
  /** The Authorization header of each request, in order. */
  auths: (string | undefined)[];
  /** An HTTP status the BLIP listing answers with instead of the listing. */
  blipListingStatus: number | undefined;
  siblingsOverride: string[] | undefined;
  hubHeaders: boolean;
  /** Whether the fake Hub states each LFS file's sha256 (x-linked-etag), as the real one does. */
  linkedEtag: boolean;
  /** A BLIP file the fake Hub answers 404 for (a pull stopped half-way). */
  missingBlipFile: string | undefined;
  /** Replaces the BLIP listing's body (a bad mirror). */
  blipListing: string | undefined;
  /** Pull options on this test's folders and the fake endpoint, with room for anything on the disk. */
  opts: () => {
    env: Record<string, string>;
    homeDir: string;
    freeBytes: () => Promise<number>;
  };
}

function answer(fake: FakeHub, url: string, res: ServerResponse): void {
  if (url === '/api/models/Salesforce/blip-image-captioning-base/revision/main') {
    if (fake.blipListingStatus) return void res.writeHead(fake.blipListingStatus).end();
    res.writeHead(200, { 'content-type': 'application/json' });
    if (fake.blipListing !== undefined) return void res.end(fake.blipListing);
    const names = fake.siblingsOverride ?? [...BLIP, 'pytorch_model.bin', 'tf_model.h5'];
    const siblings = names.map((rfilename) => ({ rfilename }));
    return void res.end(JSON.stringify({ sha: COMMIT, siblings }));
  }
  if (url === '/api/models/stablediffusionapi/anything-v5/revision/main') {
    const names = [...ANYTHING_CONFIGS, ...ANYTHING_WEIGHTS, 'unet/diffusion_pytorch_model.fp16.safetensors'];
    return void res.end(JSON.stringify({ sha: COMMIT, siblings: names.map((rfilename) => ({ rfilename })) }));
  }
  const anything = url.match(/^\/stablediffusionapi\/anything-v5\/resolve\/([0-9a-f]{40})\/(.+)$/);
  if (anything) return void lfs(res).end(`anything:${anything[2]}`);
  if (url === '/api/models/SmilingWolf/wd-vit-tagger-v3/revision/main') {
    return void res.end(JSON.stringify({ sha: COMMIT, siblings: [] }));
  }
  const blip = url.match(/^\/Salesforce\/blip-image-captioning-base\/resolve\/([0-9a-f]{40})\/(.+)$/);
  if (blip && blip[2] === fake.missingBlipFile) return void res.writeHead(404).end();
  if (blip) return void lfs(res).end(`blip:${blip[2]}`);
  if (url.startsWith('/cdn/')) {
    const body = REPO_FILES[url.slice('/cdn'.length)];
    return void (body === undefined ? res.writeHead(404).end() : res.end(body));
  }
  // Files are served at any revision, like the Hub (resolve/main and resolve/<commit>); like the Hub,
  // the commit is sent on the 302 to the CDN only, never on the CDN's 200.
  const canonical =
    REPO_FILES[url] === undefined ? url.replace(/\/resolve\/[0-9a-f]{40}\//, '/resolve/main/') : url;
  if (REPO_FILES[canonical] === undefined) return void res.writeHead(404).end();
  res.writeHead(302, {
    location: `/cdn${canonical}`,
    ...(fake.linkedEtag ? { 'x-linked-etag': `"${sha256(REPO_FILES[canonical])}"` } : {}), // verified
    ...(fake.hubHeaders ? { 'x-repo-commit': COMMIT } : {}),
  });
  res.end();
}

/** Call at a test file's top level: starts the fake Hub for the file and resets it (and `root`) before each test. */
export function fakeHubForFile(): FakeHub {
  const endpoint = loopbackServerForFile((req, res) => {
    const url = req.url ?? '';
    fake.requests.push(url);
    fake.auths.push(req.headers.authorization);
    answer(fake, url, res);
  });
  const fake: FakeHub = {
    get endpoint() {
      return endpoint();
    },
    root: '',
    requests: [],
    auths: [],
    blipListingStatus: undefined,
    siblingsOverride: undefined,
    hubHeaders: true,
    linkedEtag: true,
    missingBlipFile: undefined,
    blipListing: undefined,
    opts: () => ({
      env: {
        TOONLORA_HOME: join(fake.root, 'tl'),
        HF_HOME: join(fake.root, 'hf'),
        HF_ENDPOINT: fake.endpoint,
      },
      homeDir: join(fake.root, 'home'),
      freeBytes: async () => 1e15, // the registry's sizes fit whatever the test machine's disk holds
    }),
  };
  beforeEach(() => {
    fake.requests = [];
    fake.auths = [];
    fake.blipListingStatus = undefined;
    fake.siblingsOverride = undefined;
    fake.hubHeaders = true;
    fake.linkedEtag = true;
    fake.missingBlipFile = undefined;
    fake.blipListing = undefined;
    fake.root = mkdtempSync(join(tmpdir(), 'toonlora-pull-'));
    return () => rmSync(fake.root, { recursive: true, force: true });
  });
  return fake;
}

/** The HF cache folder of wd-vit-tagger-v3 under `root`. */
export const wdRepo = (root: string) => join(root, 'hf', 'hub', 'models--SmilingWolf--wd-vit-tagger-v3');

/** A fetch whose bodies deliver their first chunk, then fail (a dropped connection). */
export const dropping: typeof fetch = async (input, init) => {
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
