// src/models/hub-pull.ts — `models pull owner/name` for a Hub repo outside the registry, as huggingface_hub's
// snapshot_download would fetch it: the repo is listed with each file's size and LFS sha256, refused unless it
// is a diffusers SD1.5 layout (sd15-layout.ts), and the files an SD1.5 load needs are downloaded (resumable,
// verified, under the model's lock) into the HF cache (snapshots/<commit>/, refs/<revision>), where
// `--base owner/name` finds them offline. A cached copy of a branch or tag is checked against the Hub and a moved
// one pulled anew (the old snapshot kept); hub-revision.ts says which revision and writes its ref, and
// hub-snapshot.ts what a copy in the cache holds.
import { statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { probeDisk } from '../host/disk-probes.js';
import { ToonloraError } from '../errors.js';
import { hfEndpoint, hfPartialDir, hfRepoDir, hfResolveUrl, hfSnapshotDir } from './cache-paths.js';
import { type DownloadResult, downloadToPart, partTagPath } from './download.js';
import { DownloadLock, hubDownloadLockPath, untilSettled } from './download-lock.js';
import { type HubListing, type ListedFile, type ListingTarget, listHubRepo } from './hub-listing.js';
import { diskFullError, notEnoughSpaceError, notWritableError } from './not-writable.js';
import { hfDownloadCommand } from './offline-hint.js';
import {
  checkRevision,
  DEFAULT_HUB_REVISION,
  movedListing,
  reuseUnchanged,
  writeRevisionRef,
} from './hub-revision.js';
import { completeSd15Snapshot, readJson } from './hub-snapshot.js';
import { checkCanDownload, missingFolders, removeEmptyFolders } from './pull-guards.js';
import { commitVerified, sizeOf } from './pull-files.js';
import type { PulledFile, PullResult } from './pull-json-lines.js';
import { authHeaders, envOf, fetchOf, hubRefOf, type PullOptions, rootsOf } from './pull-options.js';
import { SD15_HF_DOWNLOAD_RULE, sd15Refusal, selectSd15Files } from './sd15-layout.js';
import {
  recordPartRevision,
  removeSpentPartFolder,
  removeStaleParts,
  stalePartsText,
} from './stale-parts.js';

// what a pulled copy holds (hub-snapshot.ts), also reachable from here for the pull's callers and tests
export { completeSd15Snapshot, findPulledHubModelDir, stoppedSd15PullBytes } from './hub-snapshot.js';

/** Read before any weights, to refuse a repo that is not SD1.5 after a few kB. */
const GATE_FILES = ['model_index.json', 'unet/config.json'];

/** Whether `name` is written as a Hub repo id (`owner/name`, neither part `.` or `..`). */
export function isHubRepoId(name: string): boolean {
  return /^[\w.-]+\/[\w.-]+$/.test(name) && name.split('/').every((part) => part !== '.' && part !== '..');
}

/** The `hf download` command that fetches what this pull fetches (the SD1.5 components, no variants). */
export function hubSd15DownloadCommand(repo: string, revision = DEFAULT_HUB_REVISION): string {
  return hfDownloadCommand({
    kind: 'huggingface',
    repo,
    revision,
    files: [],
    snapshot: SD15_HF_DOWNLOAD_RULE,
  });
}

function hubHint(repo: string, revision: string): string {
  return (
    `Without network, run \`${hubSd15DownloadCommand(repo, revision)} --local-dir <folder>\` on another machine ` +
    "(leave out --exclude '*.bin' if a component has only .bin weights), " +
    'copy that folder here and pass it as --base <folder>'
  );
}

/** Whether `path` is a committed copy of `listed` (same size where the listing says it). */
function isCommitted(path: string, listed: ListedFile | undefined): boolean {
  try {
    const stats = statSync(path);
    return stats.isFile() && (listed?.sizeBytes === undefined || stats.size === listed.sizeBytes);
  } catch {
    return false;
  }
}

/** The repo lacks a required file of an SD1.5 layout: a single-file checkpoint, fp16-only weights, not a pipeline. */
function notSd15LayoutError(repo: string, missing: string[], variantOnly: string[], commit: string) {
  const shards = missing.filter((path) => path.endsWith(' (a weight shard)'));
  if (shards.length > 0 && shards.length === missing.length) {
    return new ToonloraError(
      'TL_ERR_INPUT_INVALID',
      `${repo}: its sharded weights at ${commit} are incomplete: it has no ${shards.join(', ')}; nothing was ` +
        'downloaded. The repo (or its mirror) lacks a shard its weights name: an upload that did not finish?',
      { details: { model: repo, missing } },
    );
  }
  const variants =
    variantOnly.length > 0
      ? ` (${variantOnly.join(', ')}: only fp16 / ema variants, which the worker does not load)`
      : '';
  return new ToonloraError(
    'TL_ERR_INPUT_INVALID',
    `${repo}: not a diffusers SD1.5 layout at ${commit}: it has no ${missing.join(', ')}${variants}; nothing was ` +
      'downloaded. A single-file SD1.5 checkpoint is used as `--base <file>.safetensors` once downloaded',
    { details: { model: repo, missing } },
  );
}

/** One pull of a listed repo's SD1.5 files; `lock` is taken before the listing. */
class ListedPull {
  readonly snapshotDir: string;
  private readonly byPath: Map<string, ListedFile>;

  constructor(
    readonly repo: string,
    readonly repoDir: string,
    /** The branch, tag or sha asked for: recorded beside the `.part` files (stale-parts.ts). */
    readonly revision: string,
    readonly listing: HubListing,
    readonly options: PullOptions,
  ) {
    this.snapshotDir = hfSnapshotDir(repoDir, listing.commit);
    this.byPath = new Map(listing.files.map((file) => [file.path, file]));
  }

  destOf(path: string): string {
    return join(this.snapshotDir, path);
  }

  /**
   * Keyed by the listing's commit, not the revision: a pull stopped before its branch moved leaves bytes of the old
   * commit, which a resume of the new one must not extend (with no content tag from the server, nothing else tells).
   */
  partOf(path: string): string {
    return join(hfPartialDir(this.repoDir, this.listing.commit), `${path}.part`);
  }

  isPresent(path: string): boolean {
    return isCommitted(this.destOf(path), this.byPath.get(path));
  }

  /** Bytes still to fetch for `paths`: their listed sizes less what their `.part` files hold. */
  bytesToFetch(paths: readonly string[]): number {
    return paths
      .filter((path) => !this.isPresent(path))
      .reduce(
        (sum, path) => sum + Math.max(0, (this.byPath.get(path)?.sizeBytes ?? 0) - sizeOf(this.partOf(path))),
        0,
      );
  }

  /** Downloads `path` into its `.part` file, checked against the listing's size and LFS sha256. */
  async download(path: string): Promise<DownloadResult> {
    const { repo, options } = this;
    const listed = this.byPath.get(path);
    const url = hfResolveUrl(hfEndpoint(envOf(options)), repo, this.listing.commit, path);
    options.onFileStart?.({ modelId: repo, file: path, url, totalBytes: listed?.sizeBytes });
    await recordPartRevision(this.repoDir, this.listing.commit, this.revision);
    return await downloadToPart({
      url,
      partPath: this.partOf(path),
      modelId: repo,
      manualPath: this.destOf(path),
      expected: { sha256: listed?.sha256, sizeBytes: listed?.sizeBytes },
      headers: authHeaders(options),
      hub: hubRefOf(repo, options),
      onProgress: (p) => options.onProgress?.({ ...p, modelId: repo, file: path }),
      signal: options.signal,
      retries: options.retries,
      retryDelayMs: options.retryDelayMs,
      onRetry: (info) => options.onRetry?.({ ...info, modelId: repo, file: path }),
      fetchImpl: fetchOf(options),
      idleTimeoutMs: options.idleTimeoutMs,
    });
  }

  /** Moves a verified `.part` into the snapshot and says so. */
  async commit(path: string, result: DownloadResult): Promise<PulledFile> {
    const dest = this.destOf(path);
    await commitVerified(result.partPath, dest, rootsOf(this.options));
    this.options.onFileDone?.({ modelId: this.repo, file: path, path: dest, bytes: result.bytes });
    return { file: path, path: dest, status: 'downloaded', bytes: result.bytes };
  }
}

/**
 * Fetches model_index.json and the UNet config first and refuses a repo that is not SD1.5 before any weights:
 * the two verified parts are then deleted, and nothing enters the snapshot.
 * @returns the gate files' downloads not yet committed (none for files already in the snapshot)
 */
async function checkIsSd15(pull: ListedPull): Promise<Map<string, DownloadResult>> {
  const fetched = new Map<string, DownloadResult>();
  for (const path of GATE_FILES) {
    if (!pull.isPresent(path)) fetched.set(path, await pull.download(path));
  }
  const read = (path: string) => readJson(fetched.get(path)?.partPath ?? pull.destOf(path));
  const refusal = sd15Refusal(read('model_index.json'), read('unet/config.json'));
  if (refusal === undefined) return fetched;
  for (const result of fetched.values()) {
    await rm(result.partPath, { force: true });
    await rm(partTagPath(result.partPath), { force: true });
  }
  await removeSpentPartFolder(pull.repoDir, pull.listing.commit);
  throw new ToonloraError(
    'TL_ERR_INPUT_INVALID',
    `${pull.repo}: ${refusal}; toonlora trains and generates with SD1.5 bases only, so nothing was kept. ` +
      'Pick an SD1.5 model in diffusers layout (its model_index.json names StableDiffusionPipeline)',
    { details: { model: pull.repo } },
  );
}

/** Refuses a pull whose remaining bytes (exact, from the listing) exceed the HF cache's free space. */
async function checkHubFreeSpace(pull: ListedPull, files: readonly string[]): Promise<void> {
  const needBytes = pull.bytesToFetch(files);
  if (needBytes === 0) return;
  const roots = rootsOf(pull.options);
  const freeBytes = pull.options.freeBytes ?? (async (path: string) => (await probeDisk(path)).freeBytes);
  const free = await freeBytes(roots.hfHubCache);
  if (free !== undefined && free < needBytes)
    throw notEnoughSpaceError(pull.repo, roots, true, needBytes, free);
}

/** The repo a pull is of, its folder in the HF cache, and the revision asked for. */
interface HubTarget {
  repo: string;
  repoDir: string;
  revision: string;
}

function listingTargetOf({ repo, revision }: HubTarget, checkOnly = false): ListingTarget {
  return checkOnly
    ? { id: repo, repo, revision, hint: '', byHand: '', blobs: true }
    : {
        id: repo,
        repo,
        revision,
        hint: hubHint(repo, revision),
        byHand: 'Nothing was downloaded',
        blobs: true,
      };
}

/** The bytes of `files` the listing states (a size it does not state counts 0). */
function listedBytes(listing: HubListing, files: readonly string[]): number {
  const sizes = new Map(listing.files.map((file) => [file.path, file.sizeBytes ?? 0]));
  return files.reduce((sum, path) => sum + (sizes.get(path) ?? 0), 0);
}

async function pullOnce(target: HubTarget, options: PullOptions, lock: DownloadLock): Promise<PullResult> {
  const { repo, repoDir, revision } = target;
  const done = completeSd15Snapshot(repoDir, revision);
  const moved =
    done === undefined ? undefined : await movedListing(listingTargetOf(target, true), done.dir, options);
  if (done !== undefined && moved === undefined) {
    const commit = basename(done.dir);
    const totalBytes = done.files.reduce((sum, file) => sum + sizeOf(join(done.dir, file)), 0);
    options.onListed?.({ modelId: repo, commit, totalBytes });
    return {
      id: repo,
      commit,
      totalBytes,
      files: done.files.map((file): PulledFile => ({ file, path: join(done.dir, file), status: 'present' })),
    };
  }
  await lock.take();
  const listing = moved ?? (await listHubRepo(listingTargetOf(target), options));
  const selection = selectSd15Files(listing.paths);
  if (selection.missing.length > 0) {
    throw notSd15LayoutError(repo, selection.missing, selection.variantOnly, listing.commit);
  }
  const totalBytes = listedBytes(listing, selection.files);
  options.onListed?.({ modelId: repo, commit: listing.commit, totalBytes });
  const pull = new ListedPull(repo, repoDir, revision, listing, options);
  // the gate first: a move to a commit that is not SD1.5 must not leave the old snapshot's weights linked in
  const gate = await checkIsSd15(pull);
  if (done && moved) {
    const { files } = selection;
    await reuseUnchanged(listingTargetOf(target, true), done.dir, pull.snapshotDir, listing, files, options);
  }
  await checkHubFreeSpace(pull, selection.files);
  const files: PulledFile[] = [];
  for (const path of selection.files) {
    const fetched = gate.get(path);
    if (fetched === undefined && pull.isPresent(path)) {
      files.push({ file: path, path: pull.destOf(path), status: 'present' });
      continue;
    }
    files.push(await pull.commit(path, fetched ?? (await pull.download(path))));
  }
  await writeRevisionRef(repoDir, revision, listing.commit);
  // the lock is held: no live pull writes the .part files of an older commit of this revision
  const removed = await removeStaleParts(repoDir, revision, listing.commit);
  const freed = stalePartsText(repo, revision, listing.commit, removed);
  if (freed !== undefined) options.onNotice?.({ modelId: repo, kind: 'removed', message: freed });
  return { id: repo, commit: listing.commit, totalBytes, files };
}

/**
 * Makes Hub repo `repo` (`owner/name`, not in the registry) present in the HF cache as an SD1.5 base, at
 * `options.revision` (a branch, tag or commit sha; default main). A complete snapshot already there of a commit
 * sha is kept without a request; of a branch or tag, the Hub is asked which commit it names now, and a moved one
 * is pulled into a new snapshot (onNotice `refresh`; the old one kept), while offline or with the Hub unreachable
 * the cached one serves (onNotice `cached`). A pull that lists the repo then removes the `.part` files that pulls of
 * the same revision left at other commits, saying how much that freed (onNotice `removed`; stale-parts.ts). Honours
 * HF_ENDPOINT, HF_TOKEN, the proxy variables and HF_HUB_OFFLINE as registry pulls do.
 * @throws ToonloraError TL_ERR_USAGE (a revision that cannot be a ref), TL_ERR_DOWNLOAD (no network; 401 / 403:
 *   gated or private, with the token fix; 404: not on the Hub, or no such revision), TL_ERR_INPUT_INVALID (not a
 *   diffusers SD1.5 layout: names what it is), TL_ERR_CHECKSUM, TL_ERR_CONFIG / TL_ERR_OUTPUT_WRITE (caches not
 *   writable, disk full)
 */
export async function pullHubModel(repo: string, options: PullOptions = {}): Promise<PullResult> {
  const revision = checkRevision(repo, options.revision ?? DEFAULT_HUB_REVISION);
  const roots = rootsOf(options);
  const repoDir = hfRepoDir(roots.hfHubCache, repo);
  const lock = new DownloadLock(
    hubDownloadLockPath(roots.toonloraHome, repo),
    {
      what: `model ${repo}`,
      onWait: options.onWaitForLock,
      onTakeOver: options.onLockTakeOver,
      signal: options.signal,
    },
    () => checkCanDownload(repo, true, roots, envOf(options), hubHint(repo, revision)),
  );
  const created = missingFolders([
    join(roots.hfHubCache, '..'),
    roots.hfHubCache,
    repoDir,
    join(hfPartialDir(repoDir, DEFAULT_HUB_REVISION), '..'),
  ]);
  const createdForLock = missingFolders([roots.toonloraHome, join(roots.toonloraHome, 'downloads')]);
  let failed = false;
  try {
    return await untilSettled(() => pullOnce({ repo, repoDir, revision }, options, lock));
  } catch (error) {
    failed = true;
    throw notWritableError(error, roots) ?? diskFullError(error, roots) ?? error;
  } finally {
    await removeEmptyFolders(created);
    await lock.release();
    if (failed) await removeEmptyFolders(createdForLock);
  }
}
