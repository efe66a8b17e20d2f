// Tests of `models pull owner/name --revision REV` (a branch, tag, `refs/pr/N` or commit sha, kept as huggingface_hub
// keeps it) and of a pull that finds a cached copy (refreshed when its branch moved on the Hub, used as it is
// offline), against the multi-commit fake Hub of hub-revision-testing.ts.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hubCacheSnapshotDir } from './cache.js';
import { hfPartialDir } from './cache-paths.js';
import { completeSd15Snapshot, findPulledHubModelDir, stoppedSd15PullBytes } from './hub-pull.js';
import { invalidRevisionError, isSafeRevision } from './hub-revision.js';
import {
  commitFiles,
  NEW_COMMIT,
  OLD_COMMIT,
  pullBytesOf,
  REV_REPO,
  revisionHubForFile,
  SD2_COMMIT,
} from './hub-revision-testing.js';
import type { PullOptions } from './pull.js';
import { pullModel } from './pull.js';

const hub = revisionHubForFile();
const UNET = 'unet/diffusion_pytorch_model.safetensors';
const snapshot = (commit: string) => join(hub.repoDir(), 'snapshots', commit);
const ref = (name: string) => readFileSync(join(hub.repoDir(), 'refs', name), 'utf8');
const fileRequests = () => hub.requests.filter((url) => url.includes('/resolve/'));
const cache = () => ({ env: hub.opts().env, homeDir: hub.opts().homeDir });

/** Pull options that keep what the pull says (onNotice) and its listed size (onListed). */
function heard(extra: PullOptions = {}) {
  const notices: { kind: string; message: string }[] = [];
  const listed: number[] = [];
  const options: PullOptions = {
    ...hub.opts(),
    ...extra,
    onNotice: ({ kind, message }) => notices.push({ kind, message }),
    onListed: ({ totalBytes }) => listed.push(totalBytes),
  };
  return { options, notices, listed };
}

describe('models pull owner/name --revision', () => {
  it('pulls a tag into its commit snapshot and writes refs/<tag>, not refs/main; models path finds it', async () => {
    const result = await pullModel(REV_REPO, { ...hub.opts(), revision: 'v1.0' });
    expect(result).toMatchObject({ id: REV_REPO, commit: OLD_COMMIT });
    expect(hub.requests[0]).toBe(`/api/models/${REV_REPO}/revision/v1.0?blobs=true`);
    expect(ref('v1.0')).toBe(OLD_COMMIT);
    expect(existsSync(join(hub.repoDir(), 'refs', 'main'))).toBe(false);
    expect(readFileSync(join(snapshot(OLD_COMMIT), UNET))).toEqual(commitFiles(OLD_COMMIT).get(UNET));
    expect(findPulledHubModelDir(REV_REPO, { ...cache(), revision: 'v1.0' })).toBe(snapshot(OLD_COMMIT));
    expect(findPulledHubModelDir(REV_REPO, { ...cache(), revision: 'v2.0' })).toBeUndefined();
  });

  it('writes a pull request ref nested (refs/refs/pr/1) as huggingface_hub does, which main does not take', async () => {
    await pullModel(REV_REPO, { ...hub.opts(), revision: 'refs/pr/1' });
    expect(hub.requests[0]).toBe(`/api/models/${REV_REPO}/revision/refs/pr/1?blobs=true`);
    expect(ref('refs/pr/1')).toBe(NEW_COMMIT);
    expect(completeSd15Snapshot(hub.repoDir(), 'refs/pr/1')?.dir).toBe(snapshot(NEW_COMMIT));
    expect(completeSd15Snapshot(hub.repoDir(), 'v1.0')).toBeUndefined();
  });

  it('pulls a commit sha into snapshots/<sha> with no ref, and never asks the Hub about it again', async () => {
    await pullModel(REV_REPO, { ...hub.opts(), revision: NEW_COMMIT });
    expect(existsSync(join(hub.repoDir(), 'refs'))).toBe(false);
    expect(completeSd15Snapshot(hub.repoDir(), NEW_COMMIT)?.dir).toBe(snapshot(NEW_COMMIT));
    hub.requests = [];
    const again = heard({ revision: NEW_COMMIT });
    const result = await pullModel(REV_REPO, again.options);
    expect(result.files.every((f) => f.status === 'present')).toBe(true);
    expect(hub.requests).toEqual([]);
    expect(again.notices).toEqual([]);
  });

  it('refuses a revision that could leave the cache before any request, and names one the Hub lacks', async () => {
    for (const revision of ['../../etc', '/abs', 'a/../b', '-x', '']) {
      expect(isSafeRevision(revision)).toBe(false);
      await expect(pullModel(REV_REPO, { ...hub.opts(), revision })).rejects.toMatchObject({
        code: 'TL_ERR_USAGE',
      });
    }
    expect(hub.requests).toEqual([]);
    await expect(pullModel(REV_REPO, { ...hub.opts(), revision: '..' })).rejects.toThrow(
      `${REV_REPO}: --revision ".." is not a branch, tag or commit sha (`,
    );
    const error = (await pullModel(REV_REPO, { ...hub.opts(), revision: 'v9' }).catch((e) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_DOWNLOAD' });
    expect(error.message).toContain(`HTTP 404 Not Found: revision v9 of ${REV_REPO} is not on the Hub`);
    // offline, the hf download command a pull names fetches that revision
    const offline = { ...hub.opts({ HF_HUB_OFFLINE: '1' }), revision: 'v1.0' };
    const hint = (await pullModel(REV_REPO, offline).catch((e) => e)) as Error;
    expect(hint.message).toContain(`hf download ${REV_REPO} --revision v1.0 --include`);
  });

  it('refuses --revision for a registry model, which is pulled at the revision it pins', async () => {
    const error = (await pullModel('anything-v5', { ...hub.opts(), revision: 'v1.0' }).catch(
      (e) => e,
    )) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_USAGE' });
    expect(error.message).toContain('--revision is for a Hub repo outside the registry');
    expect(hub.requests).toEqual([]);
  });

  it("counts a stopped --revision pull's .part files in what models list shows", () => {
    const part = join(hfPartialDir(hub.repoDir(), 'v1.0'), `${UNET}.part`);
    mkdirSync(join(part, '..'), { recursive: true });
    writeFileSync(part, Buffer.alloc(1234));
    expect(stoppedSd15PullBytes(hub.repoDir())).toBe(1234);
  });
});

describe('models pull owner/name of a cached copy', () => {
  it('pulls the new snapshot when main moved on the Hub (fetching only changed weights), keeps the old one, says so and moves refs/main', async () => {
    await pullModel(REV_REPO, hub.opts());
    expect(ref('main')).toBe(OLD_COMMIT);
    hub.refs.set('main', NEW_COMMIT);
    hub.requests = [];
    const { options, notices, listed } = heard();
    const result = await pullModel(REV_REPO, options);
    expect(result).toMatchObject({ commit: NEW_COMMIT, totalBytes: pullBytesOf(NEW_COMMIT) });
    // the weights both commits list with the same sha256 come from the old snapshot; the rest is fetched
    const unchanged = ['text_encoder/model.safetensors', 'vae/diffusion_pytorch_model.safetensors'];
    const fetched = result.files.filter((f) => f.status === 'downloaded').map((f) => f.file);
    expect(fetched).toHaveLength(result.files.length - unchanged.length);
    expect(fetched).toContain(UNET);
    for (const file of unchanged) {
      expect(fetched).not.toContain(file);
      expect(fileRequests().some((url) => url.endsWith(file))).toBe(false);
      expect(readFileSync(join(snapshot(NEW_COMMIT), file))).toEqual(commitFiles(NEW_COMMIT).get(file));
    }
    expect(hub.requests).toContain(`/api/models/${REV_REPO}/revision/${OLD_COMMIT}?blobs=true`);
    expect(listed).toEqual([pullBytesOf(NEW_COMMIT)]);
    expect(notices).toEqual([
      {
        kind: 'refresh',
        message:
          `${REV_REPO}: main moved on the Hub from ${OLD_COMMIT.slice(0, 12)} to ${NEW_COMMIT.slice(0, 12)}; ` +
          `pulling the new snapshot (the old one stays in ${snapshot(OLD_COMMIT)})`,
      },
    ]);
    expect(fileRequests().every((url) => url.includes(`/resolve/${NEW_COMMIT}/`))).toBe(true);
    expect(ref('main')).toBe(NEW_COMMIT);
    expect(readFileSync(join(snapshot(NEW_COMMIT), UNET))).toEqual(commitFiles(NEW_COMMIT).get(UNET));
    expect(readFileSync(join(snapshot(OLD_COMMIT), UNET))).toEqual(commitFiles(OLD_COMMIT).get(UNET));
    expect(findPulledHubModelDir(REV_REPO, cache())).toBe(snapshot(NEW_COMMIT)); // what --base loads
  });

  it('keeps nothing of a move to a commit that is not SD1.5 (before: its text encoder and VAE were linked in)', async () => {
    await pullModel(REV_REPO, hub.opts());
    hub.refs.set('main', SD2_COMMIT);
    const error = (await pullModel(REV_REPO, hub.opts()).catch((e) => e)) as Error;
    expect(error).toMatchObject({ code: 'TL_ERR_INPUT_INVALID' });
    expect(error.message).toContain('nothing was kept');
    expect(existsSync(snapshot(SD2_COMMIT))).toBe(false);
    expect(ref('main')).toBe(OLD_COMMIT);
    expect(findPulledHubModelDir(REV_REPO, cache())).toBe(snapshot(OLD_COMMIT));
  });

  it('asks only the listing when main did not move, and says nothing', async () => {
    await pullModel(REV_REPO, hub.opts());
    hub.requests = [];
    const { options, notices, listed } = heard();
    const result = await pullModel(REV_REPO, options);
    expect(result).toMatchObject({ commit: OLD_COMMIT, totalBytes: pullBytesOf(OLD_COMMIT) });
    expect(result.files.every((f) => f.status === 'present')).toBe(true);
    expect(hub.requests).toEqual([`/api/models/${REV_REPO}/revision/main?blobs=true`]);
    expect(notices).toEqual([]);
    expect(listed).toEqual([pullBytesOf(OLD_COMMIT)]);
  });

  it('uses the cached snapshot offline (HF_HUB_OFFLINE=1) without a request, and says it could not check', async () => {
    await pullModel(REV_REPO, hub.opts());
    hub.refs.set('main', NEW_COMMIT);
    hub.requests = [];
    const { options, notices } = heard({ env: hub.opts({ HF_HUB_OFFLINE: '1' }).env });
    const result = await pullModel(REV_REPO, options);
    expect(result).toMatchObject({ commit: OLD_COMMIT });
    expect(result.files.every((f) => f.status === 'present')).toBe(true);
    expect(hub.requests).toEqual([]);
    expect(notices).toEqual([
      {
        kind: 'cached',
        message:
          `${REV_REPO}: could not check whether main moved on the Hub (offline mode is on: HF_HUB_OFFLINE=1); ` +
          `using the cached snapshot ${OLD_COMMIT.slice(0, 12)}`,
      },
    ]);
  });

  it('uses the cached snapshot when the Hub answers with an error, naming the error', async () => {
    await pullModel(REV_REPO, { ...hub.opts(), revision: 'v1.0' });
    hub.listingStatus = 503;
    const { options, notices } = heard({ revision: 'v1.0' });
    const result = await pullModel(REV_REPO, options);
    expect(result.files.every((f) => f.status === 'present')).toBe(true);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.kind).toBe('cached');
    expect(notices[0]?.message).toMatch(
      new RegExp(`^${REV_REPO}: could not check whether v1\\.0 moved on the Hub \\(cannot list .*HTTP 503`),
    );
    expect(notices[0]?.message).toContain(`using the cached snapshot ${OLD_COMMIT.slice(0, 12)}`);
  });

  it("does not take another revision's snapshot for main (a pull request's, a sha's), and pulls main", async () => {
    await pullModel(REV_REPO, { ...hub.opts(), revision: 'refs/pr/1' });
    await pullModel(REV_REPO, { ...hub.opts(), revision: NEW_COMMIT });
    // before: main counted as complete at the pull request's snapshot (models path / list, the web, a dry run)
    expect(findPulledHubModelDir(REV_REPO, cache())).toBeUndefined();
    expect(completeSd15Snapshot(hub.repoDir())).toBeUndefined();
    expect(hubCacheSnapshotDir(REV_REPO, cache())).toBeUndefined();
    const { options, notices } = heard();
    const result = await pullModel(REV_REPO, options);
    expect(result).toMatchObject({ commit: OLD_COMMIT });
    expect(notices).toEqual([]);
    expect(ref('main')).toBe(OLD_COMMIT);
    expect(ref('refs/pr/1')).toBe(NEW_COMMIT);
    expect(findPulledHubModelDir(REV_REPO, cache())).toBe(snapshot(OLD_COMMIT));
  });

  it('writes refs/main when main names a commit a tag pull already cached (before: "already present", no ref)', async () => {
    await pullModel(REV_REPO, { ...hub.opts(), revision: 'v1.0' });
    expect(findPulledHubModelDir(REV_REPO, cache())).toBeUndefined();
    hub.requests = [];
    const result = await pullModel(REV_REPO, hub.opts());
    expect(result).toMatchObject({ commit: OLD_COMMIT });
    expect(result.files.every((f) => f.status === 'present')).toBe(true);
    expect(fileRequests()).toEqual([]);
    // huggingface_hub's local_files_only load without a revision reads refs/main, as the worker's does
    expect(ref('main')).toBe(OLD_COMMIT);
    expect(findPulledHubModelDir(REV_REPO, cache())).toBe(snapshot(OLD_COMMIT));
    expect(hubCacheSnapshotDir(REV_REPO, cache())).toBe(snapshot(OLD_COMMIT));
  });
});

describe('invalidRevisionError', () => {
  it('names the revision as its caller wrote it: the CLI flag, the API field, or the base owner/name@REV', () => {
    const words = (caller: 'cli' | 'api' | 'base') =>
      invalidRevisionError('someone/toon', 'v 1', caller).message;
    expect(words('cli')).toMatch(/^someone\/toon: --revision "v 1" is not a branch, tag or commit sha \(/);
    expect(words('api')).toMatch(/^someone\/toon: revision "v 1" is not a branch, tag or commit sha \(/);
    expect(words('base')).toMatch(
      /^"someone\/toon@v 1": the revision after '@' is not a branch, tag or commit sha \(/,
    );
    expect(invalidRevisionError('someone/toon', '..', 'api').code).toBe('TL_ERR_USAGE');
  });
});
