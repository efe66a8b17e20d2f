// Tests of removing a model (remove.ts, remove-plan.ts): what goes and the bytes freed, for a huggingface_hub-style
// cache (snapshots linking into blobs/), for toonlora's own pulls at two revisions (files hard-linked between
// snapshots) against the multi-commit fake Hub, for a release model's folder; the refusal while a pull holds the
// lock; "not present"; and which names are taken.
import { existsSync, linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireInstallLock } from '../host/install-lock.js';
import { hubDownloadLockPath } from './download-lock.js';
import { findPulledHubModelDir } from './hub-snapshot.js';
import { pullHubModel } from './hub-pull.js';
import { NEW_COMMIT, OLD_COMMIT, pullBytesOf, REV_REPO, revisionHubForFile } from './hub-revision-testing.js';
import { rootsOf } from './pull-options.js';
import { removeModel, removeTargetOf } from './remove.js';
import { SD15_FILES } from './sd15-testing.js';
import { freedBytesOf } from './remove-plan.js';

const hub = revisionHubForFile();

/** A huggingface_hub-style repo: snapshots `one` (f1 -> b1, f2 -> b2) and `two` (f1 -> b1); refs v1 -> one, main -> two. */
function hfStyleRepo(): string {
  const repo = hub.repoDir();
  mkdirSync(join(repo, 'blobs'), { recursive: true });
  writeFileSync(join(repo, 'blobs', 'b1'), 'x'.repeat(5));
  writeFileSync(join(repo, 'blobs', 'b2'), 'y'.repeat(1000));
  for (const [snapshot, files] of [
    ['one', ['f1', 'f2']],
    ['two', ['f1']],
  ] as const) {
    mkdirSync(join(repo, 'snapshots', snapshot, 'sub'), { recursive: true });
    for (const file of files)
      symlinkSync(`../../../blobs/b${file.slice(1)}`, join(repo, 'snapshots', snapshot, 'sub', file));
  }
  mkdirSync(join(repo, 'refs'), { recursive: true });
  writeFileSync(join(repo, 'refs', 'v1'), 'one');
  writeFileSync(join(repo, 'refs', 'main'), 'two');
  return repo;
}

describe('removeModel of a Hub repo', () => {
  it('@REV deletes that snapshot, its refs and only the blobs no other snapshot links to', async () => {
    const repo = hfStyleRepo();
    const removed = await removeModel(removeTargetOf(`${REV_REPO}@v1`), hub.opts());
    expect(removed.id).toBe(`${REV_REPO}@v1`);
    expect(removed.freedBytes).toBe(1000 + 'one'.length); // b2 and refs/v1; b1 stays, `two` links to it
    expect(existsSync(join(repo, 'snapshots', 'one'))).toBe(false);
    expect(existsSync(join(repo, 'refs', 'v1'))).toBe(false);
    expect(existsSync(join(repo, 'blobs', 'b2'))).toBe(false);
    expect(existsSync(join(repo, 'blobs', 'b1'))).toBe(true);
    expect(existsSync(join(repo, 'snapshots', 'two', 'sub', 'f1'))).toBe(true);
    // its last snapshot takes the whole folder, blobs and all
    const last = await removeModel(removeTargetOf(`${REV_REPO}@main`), hub.opts());
    expect(last.paths).toEqual([repo]);
    expect(last.freedBytes).toBe(5 + 'two'.length);
    expect(existsSync(repo)).toBe(false);
  });

  it('frees only the files no snapshot that stays shares (a refresh hard-links the unchanged ones)', async () => {
    await pullHubModel(REV_REPO, hub.opts()); // main at OLD_COMMIT
    hub.refs.set('main', NEW_COMMIT);
    await pullHubModel(REV_REPO, hub.opts()); // main moved: the old snapshot stays
    // the text encoder's and VAE's weights (same LFS sha256 in both commits) are hard links of the old ones
    const shared =
      (SD15_FILES['text_encoder/model.safetensors'] as string).length +
      (SD15_FILES['vae/diffusion_pytorch_model.safetensors'] as string).length;
    const removed = await removeModel(removeTargetOf(`${REV_REPO}@${OLD_COMMIT}`), hub.opts());
    expect(removed.freedBytes).toBe(pullBytesOf(OLD_COMMIT) - shared);
    expect(findPulledHubModelDir(REV_REPO, hub.opts())).toContain(NEW_COMMIT);
    expect(findPulledHubModelDir(REV_REPO, { ...hub.opts(), revision: OLD_COMMIT })).toBeUndefined();
  });

  it('is "not present" for a repo not in the cache, and for a revision whose ref names no snapshot', async () => {
    await expect(removeModel(removeTargetOf('nobody/nothing'), hub.opts())).rejects.toMatchObject({
      code: 'TL_ERR_MODEL_MISSING',
      message:
        'nobody/nothing: not present (the Hugging Face cache has no folder of it); nothing was removed',
    });
    const repo = hfStyleRepo();
    writeFileSync(join(repo, 'refs', 'v2'), 'gone');
    await expect(removeModel(removeTargetOf(`${REV_REPO}@v2`), hub.opts())).rejects.toMatchObject({
      code: 'TL_ERR_MODEL_MISSING',
    });
    expect(existsSync(join(repo, 'refs', 'v2'))).toBe(true);
  });

  it('is refused while a pull of the repo holds its download lock, and removes nothing', async () => {
    const repo = hfStyleRepo();
    const lockPath = hubDownloadLockPath(rootsOf(hub.opts()).toonloraHome, REV_REPO);
    const lock = await acquireInstallLock(lockPath, { what: 'test' });
    try {
      await expect(removeModel(removeTargetOf(REV_REPO), hub.opts())).rejects.toMatchObject({
        code: 'TL_ERR_CONFLICT',
        message: expect.stringContaining(
          `${REV_REPO}: a pull of it is running (lock ${lockPath}, held by process ${process.pid}`,
        ),
      });
      expect(existsSync(join(repo, 'blobs', 'b2'))).toBe(true);
    } finally {
      await lock.release();
    }
    await removeModel(removeTargetOf(REV_REPO), hub.opts());
    expect(existsSync(repo)).toBe(false);
  });
});

describe('removeModel of a registry model', () => {
  it("deletes its folder under toonlora's home and its HF repo folder, by id or by its repo", async () => {
    const { toonloraHome, hfHubCache } = rootsOf(hub.opts());
    mkdirSync(join(toonloraHome, 'models', 'u2net'), { recursive: true });
    writeFileSync(join(toonloraHome, 'models', 'u2net', 'u2net.onnx'), 'z'.repeat(300));
    writeFileSync(join(toonloraHome, 'models', 'u2net', 'u2net.onnx.part'), 'z'.repeat(20));
    const removed = await removeModel(removeTargetOf('u2net'), hub.opts());
    expect(removed).toEqual({ id: 'u2net', paths: [join(toonloraHome, 'models', 'u2net')], freedBytes: 320 });
    const tagger = join(hfHubCache, 'models--SmilingWolf--wd-vit-tagger-v3', 'snapshots', 'main');
    mkdirSync(tagger, { recursive: true });
    writeFileSync(join(tagger, 'model.onnx'), 'w'.repeat(10));
    const byRepo = await removeModel(removeTargetOf('SmilingWolf/wd-vit-tagger-v3'), hub.opts());
    expect(byRepo.id).toBe('wd-vit-tagger-v3');
    expect(byRepo.freedBytes).toBe(10);
    await expect(removeModel(removeTargetOf('u2net'), hub.opts())).rejects.toMatchObject({
      code: 'TL_ERR_MODEL_MISSING',
    });
    // found only in rembg's own cache (`models list`: present): named, and left alone
    const u2netHome = join(hub.opts().homeDir, '.u2net');
    mkdirSync(u2netHome, { recursive: true });
    writeFileSync(join(u2netHome, 'u2net.onnx'), 'r');
    await expect(removeModel(removeTargetOf('u2net'), hub.opts())).rejects.toMatchObject({
      code: 'TL_ERR_MODEL_MISSING',
      message: `u2net: not in toonlora's models folder; it is at ${join(u2netHome, 'u2net.onnx')}, rembg's own cache, which toonlora leaves alone; nothing was removed`,
    });
    expect(existsSync(join(u2netHome, 'u2net.onnx'))).toBe(true);
  });
});

describe('removeTargetOf', () => {
  it('refuses a revision of a registry model, an npm-packaged one and an unknown name', () => {
    expect(() => removeTargetOf('stablediffusionapi/anything-v5@v1')).toThrow(
      /anything-v5 is a registry model/,
    );
    expect(() => removeTargetOf('paddleocr-det-v4')).toThrow(/nothing to remove/);
    expect(() => removeTargetOf('not-a-model')).toThrow(/unknown id "not-a-model"/);
    expect(() => removeTargetOf(`${REV_REPO}@`)).toThrow(/not a branch, tag or commit sha/);
    expect(removeTargetOf(`${REV_REPO}@v1.0`)).toEqual({ origin: 'hub', id: REV_REPO, revision: 'v1.0' });
  });
});

describe('freedBytesOf', () => {
  it('counts a hard-linked file once, and not at all when a link stays outside', () => {
    const dir = join(hub.root, 'links');
    mkdirSync(join(dir, 'a'), { recursive: true });
    mkdirSync(join(dir, 'b'), { recursive: true });
    writeFileSync(join(dir, 'a', 'f'), 'q'.repeat(50));
    linkSync(join(dir, 'a', 'f'), join(dir, 'b', 'f'));
    expect(freedBytesOf([join(dir, 'a')])).toBe(0);
    expect(freedBytesOf([join(dir, 'a'), join(dir, 'b')])).toBe(50);
  });
});
