// test/helpers/fake-sd15-hub.ts — a fake Hugging Face endpoint (fake-hub-server.ts) for pulls of Hub
// repos outside the registry: a tiny diffusers SD1.5 repo (listed with sizes and LFS sha256, as the Hub's
// `?blobs=true` listing), an SDXL one (refused after its two small configs), a gated one (401) and nothing else
// (404). Each repo has main and one tag, SD15_TAG, both at HUB_COMMIT (any other revision: 404). The SD1.5
// UNet weights can be held half-sent (a slow download to cancel and then resume).
import { createHash } from 'node:crypto';
import { SD15_FILES } from '../../src/models/sd15-testing.js';
import { type FakeHubKind, type FakeHubServer, startFakeHubServer } from './fake-hub-server.js';

export const SD15_REPO = 'someone/toon-sd15';
export const SDXL_REPO = 'someone/toon-sdxl';
export const GATED_REPO = 'someone/gated-sd15';
export const HUB_COMMIT = 'c'.repeat(40);
/** The tag each repo has besides main (at the same commit), for pulls with --revision / the Revision field. */
export const SD15_TAG = 'v1.0';
/** The file `hold` holds: 64 KiB, sent in two halves. */
export const HELD_FILE = 'unet/diffusion_pytorch_model.safetensors';

const json = (value: unknown) => JSON.stringify(value);
const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');
const isLfs = (path: string) => path.endsWith('.safetensors');

/**
 * A repo's files: the SD1.5 layout sd15-testing.ts writes (HELD_FILE 64 KiB) and a README; `pipeline` is the
 * class model_index.json names.
 */
function repoFiles(pipeline: string): Map<string, Buffer> {
  const files: Record<string, string | Buffer> = {
    ...SD15_FILES,
    'model_index.json': json({ _class_name: pipeline, unet: ['diffusers', 'UNet2DConditionModel'] }),
    [HELD_FILE]: Buffer.alloc(64 * 1024, 7),
    'README.md': 'readme',
  };
  return new Map(Object.entries(files).map(([path, body]) => [path, Buffer.from(body)]));
}

/** Bytes of the files an SD1.5 pull fetches from SD15_REPO (all but the README). */
export const SD15_PULL_BYTES = [...repoFiles('StableDiffusionPipeline')]
  .filter(([path]) => path !== 'README.md')
  .reduce((sum, [, body]) => sum + body.length, 0);

/** Paths asked for (listing and files, `<repo>/resolve/<commit>/` left out of files), in order; `hold` holds HELD_FILE. */
export type FakeSd15Hub = FakeHubServer;

const REPOS = new Map([
  [SD15_REPO, repoFiles('StableDiffusionPipeline')],
  [SDXL_REPO, repoFiles('StableDiffusionXLPipeline')],
]);

/** The hub of Hub repos outside the registry: listings (`?blobs=true`) and files at a commit. */
export const SD15_HUB: FakeHubKind<FakeSd15Hub> = {
  fresh: () => ({}),
  route: (req, res, hub, send) => {
    const url = req.url ?? '';
    const listing = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/(main|v1\.0)\?blobs=true$/.exec(url);
    if (listing) {
      hub.requests.push(url);
      const repo = listing[1] as string;
      if (repo === GATED_REPO) return void res.writeHead(401, { 'x-error-code': 'GatedRepo' }).end();
      const files = REPOS.get(repo);
      if (!files) return void res.writeHead(404, { 'x-error-code': 'RepoNotFound' }).end();
      const siblings = [...files].map(([rfilename, body]) => ({
        rfilename,
        size: body.length,
        ...(isLfs(rfilename) ? { lfs: { sha256: sha256(body), size: body.length } } : {}),
      }));
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(json({ sha: HUB_COMMIT, siblings }));
    }
    const file = /^\/([^/]+\/[^/]+)\/resolve\/[0-9a-f]{40}\/(.+)$/.exec(url);
    const body = file ? REPOS.get(file[1] as string)?.get(decodeURIComponent(file[2] as string)) : undefined;
    if (!file || !body) return void res.writeHead(404).end();
    const path = decodeURIComponent(file[2] as string);
    hub.requests.push(req.headers.range ? `${file[1]}:${path} ${req.headers.range}` : `${file[1]}:${path}`);
    const headers = {
      'x-repo-commit': HUB_COMMIT,
      ...(isLfs(path) ? { 'x-linked-etag': `"${sha256(body)}"` } : { etag: `"${body.length}"` }),
    };
    send(body, headers, path === HELD_FILE);
  },
};

/** Starts the hub; the caller closes it (fakeHubForFile(SD15_HUB) does it for a test file). */
export const startFakeSd15Hub = (): Promise<FakeSd15Hub> => startFakeHubServer(SD15_HUB);
