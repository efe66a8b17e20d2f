// src/models/hub-revision-testing.ts — for the tests of `models pull owner/name --revision` and of refreshing a
// cached copy: a fake Hub (HF_ENDPOINT on 127.0.0.1) whose SD1.5 repo has several commits and refs (branches,
// tags, `refs/pr/1`) that a test moves, listing each revision as the Hub API does (`?blobs=true`: sizes, LFS
// sha256) and serving the files of each commit; and a fresh cache root per test.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach } from 'vitest';
import { loopbackServerForFile } from './loopback-testing.js';
import { SD15_FILES } from './sd15-testing.js';

export const REV_REPO = 'someone/toon-sd15';
/** Two commits of the repo: the UNet weights differ (and so its size), the rest is the same. */
export const OLD_COMMIT = 'a'.repeat(40);
export const NEW_COMMIT = 'b'.repeat(40);
/** A commit that is not SD1.5 (an SD2 UNet: text features of 1024); its text encoder and VAE are the same. */
export const SD2_COMMIT = 'd'.repeat(40);

const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');
const isLfs = (path: string) => path.endsWith('.safetensors');

/** The files of commit `commit`: a complete SD1.5 layout whose UNet weights name the commit. */
export function commitFiles(commit: string): Map<string, Buffer> {
  const files = new Map(Object.entries(SD15_FILES).map(([path, body]) => [path, Buffer.from(body)]));
  files.set('unet/diffusion_pytorch_model.safetensors', Buffer.from(`unet-weights@${commit}`));
  files.set('README.md', Buffer.from('readme'));
  if (commit === SD2_COMMIT) {
    files.set('unet/config.json', Buffer.from(JSON.stringify({ cross_attention_dim: 1024, in_channels: 4 })));
  }
  return files;
}

/** Bytes of the files an SD1.5 pull of `commit` fetches (all but the README). */
export function pullBytesOf(commit: string): number {
  return [...commitFiles(commit)]
    .filter(([path]) => path !== 'README.md')
    .reduce((sum, [, body]) => sum + body.length, 0);
}

export interface RevisionHub {
  readonly endpoint: string;
  /** A fresh temp folder per test: `tl/` is toonlora's home, `hf/` the HF_HOME. */
  root: string;
  /** Branch / tag name → commit; a commit sha is listed as itself when it is one of `commits`. */
  refs: Map<string, string>;
  /** The URL of each request, in order (revisions decoded). */
  requests: string[];
  /** An HTTP status every listing answers with instead (the Hub down, a token refused). */
  listingStatus: number | undefined;
  /** Pull options on this test's folders and the fake endpoint. */
  opts: (env?: Record<string, string>) => {
    env: Record<string, string>;
    homeDir: string;
    freeBytes: () => Promise<number>;
    retryDelayMs: number;
  };
  /** The HF cache folder of REV_REPO. */
  repoDir: () => string;
}

const COMMITS = [OLD_COMMIT, NEW_COMMIT, SD2_COMMIT];

function listing(commit: string): string {
  const siblings = [...commitFiles(commit)].map(([rfilename, body]) => ({
    rfilename,
    size: body.length,
    ...(isLfs(rfilename) ? { lfs: { sha256: sha256(body), size: body.length, pointerSize: 134 } } : {}),
  }));
  return JSON.stringify({ sha: commit, siblings });
}

function answer(hub: RevisionHub, url: string, res: ServerResponse): void {
  const api = url.match(new RegExp(`^/api/models/${REV_REPO}/revision/([^?]+)\\?blobs=true$`));
  if (api) {
    if (hub.listingStatus) return void res.writeHead(hub.listingStatus).end();
    const revision = decodeURIComponent(api[1] as string);
    const commit = hub.refs.get(revision) ?? (COMMITS.includes(revision) ? revision : undefined);
    if (commit === undefined) {
      return void res.writeHead(404, { 'x-error-code': 'RevisionNotFound' }).end();
    }
    return void res.writeHead(200, { 'content-type': 'application/json' }).end(listing(commit));
  }
  const resolve = url.match(new RegExp(`^/${REV_REPO}/resolve/([0-9a-f]{40})/(.+)$`));
  const body = resolve && commitFiles(resolve[1] as string).get(decodeURIComponent(resolve[2] as string));
  if (!resolve || !body || !COMMITS.includes(resolve[1] as string)) return void res.writeHead(404).end();
  res.writeHead(200, {
    'content-length': body.length,
    'x-repo-commit': resolve[1] as string,
    ...(isLfs(resolve[2] as string) ? { 'x-linked-etag': `"${sha256(body)}"` } : {}),
  });
  res.end(body);
}

/** Call at a test file's top level: starts the fake Hub and resets it (main at OLD_COMMIT) before each test. */
export function revisionHubForFile(): RevisionHub {
  const endpoint = loopbackServerForFile((req: IncomingMessage, res: ServerResponse) => {
    const url = decodeURIComponent(req.url ?? '').replace(/%2F/gi, '/');
    hub.requests.push(url);
    answer(hub, req.url ?? '', res);
  });
  const hub: RevisionHub = {
    get endpoint() {
      return endpoint();
    },
    root: '',
    refs: new Map(),
    requests: [],
    listingStatus: undefined,
    opts: (env = {}) => ({
      env: {
        TOONLORA_HOME: join(hub.root, 'tl'),
        HF_HOME: join(hub.root, 'hf'),
        HF_ENDPOINT: hub.endpoint,
        ...env,
      },
      homeDir: join(hub.root, 'home'),
      freeBytes: async () => 1e15,
      retryDelayMs: 1,
    }),
    repoDir: () => join(hub.root, 'hf', 'hub', `models--${REV_REPO.replace('/', '--')}`),
  };
  beforeEach(() => {
    hub.refs = new Map([
      ['main', OLD_COMMIT],
      ['v1.0', OLD_COMMIT],
      ['refs/pr/1', NEW_COMMIT],
    ]);
    hub.requests = [];
    hub.listingStatus = undefined;
    hub.root = mkdtempSync(join(tmpdir(), 'toonlora-hub-rev-'));
    return () => rmSync(hub.root, { recursive: true, force: true });
  });
  return hub;
}
