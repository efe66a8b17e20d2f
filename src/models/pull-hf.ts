// src/models/pull-hf.ts — `models pull` of a registry model that comes from the Hugging Face Hub: its files
// (a fixed list, or a snapshot rule over the repo's listing) into the HF cache layout (snapshots/<commit>/,
// refs/<rev>), so diffusers / transformers find them too.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, sep } from 'node:path';
import { ToonloraError } from '../errors.js';
import { findModelFile, manualPlacementPath, snapshotFileIn } from './cache.js';
import {
  hfEndpoint,
  hfHubCacheFor,
  hfPartialDir,
  hfRefFile,
  hfRepoDir,
  hfResolveUrl,
  hfSnapshotDir,
  isCommitHash,
  snapshotPullDir,
  toonloraHomeFor,
} from './cache-paths.js';
import { downloadToPart } from './download.js';
import type { DownloadLock } from './download-lock.js';
import { isSafeCommit, type ListingTarget, listHubRepo } from './hub-listing.js';
import { writeRevisionRef } from './hub-revision.js';
import { offlineSnapshotHint } from './offline-hint.js';
import { adoptLegacyPart, commitVerified, expectedOf, findGoodFile, removeOldCopies } from './pull-files.js';
import type { PulledFile } from './pull-json-lines.js';
import { authHeaders, envOf, fetchOf, hubRefOf, type PullOptions, rootsOf } from './pull-options.js';
import type { HuggingFaceSource, ModelEntry, ModelFile } from './registry.js';
import { selectSnapshotFiles } from './snapshot-files.js';

/** What a listing of a registry model's repo says when it fails: the hand-placement folder and command. */
function listingTarget(entry: ModelEntry, source: HuggingFaceSource, options: PullOptions): ListingTarget {
  const manual = manualPlacementPath(entry, '', options);
  return {
    id: entry.id,
    repo: source.repo,
    revision: source.revision,
    hint: offlineSnapshotHint(source, manual),
    byHand: `Or copy the repo's files into ${manual} by hand`,
    manualPath: manual,
  };
}

/** The commit a revision names, from the Hub API (for endpoints that send no `x-repo-commit`). */
async function resolveHubCommit(entry: ModelEntry, source: HuggingFaceSource, options: PullOptions) {
  try {
    return (await listHubRepo(listingTarget(entry, source, options), options)).commit;
  } catch {
    return source.revision; // the file itself arrived: keep it under the revision's name
  }
}

/** The commit of the snapshot folder `path` is in (`<repo>/snapshots/<commit>/…`), or undefined. */
function snapshotCommitOf(repoDir: string, path: string): string | undefined {
  const rel = relative(join(repoDir, 'snapshots'), path);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  const commit = rel.split(sep)[0];
  return commit !== undefined && isSafeCommit(commit) ? commit : undefined;
}

/** Fetches HF files into `<hub>/models--o--n/snapshots/<commit>/` and points `refs/<revision>` at it. */
export async function pullHfModel(
  entry: ModelEntry,
  source: HuggingFaceSource,
  options: PullOptions,
  lock: DownloadLock,
) {
  const env = envOf(options);
  const homeDir = options.homeDir ?? homedir();
  const repoDir = hfRepoDir(hfHubCacheFor(env, homeDir), source.repo);
  const partialDir = hfPartialDir(repoDir, source.revision);
  const legacyPartialDir = snapshotPullDir(toonloraHomeFor(env, homeDir), entry.id, source.revision);
  let wanted: { path: string; file?: ModelFile }[];
  let commit: string | undefined = isCommitHash(source.revision) ? source.revision : undefined;
  if (source.snapshot) {
    const present: PulledFile[] = [];
    for (const f of source.files) {
      const path = await findGoodFile(entry, f, options);
      if (path) present.push({ file: f.path, path, status: 'present' });
    }
    if (present.length === source.files.length) return present;
    await lock.take();
    const listing = await listHubRepo(listingTarget(entry, source, options), options);
    commit = listing.commit;
    wanted = selectSnapshotFiles(listing.paths, source.snapshot).map((path) => ({
      path,
      file: source.files.find((f) => f.path === path),
    }));
  } else {
    wanted = source.files.map((file) => ({ path: file.path, file }));
  }
  // Single-file-list models: files already in a snapshot fix the commit the others are fetched at, so a tagger
  // and its tag list come from one revision, and the ref the Python cache resolves is not moved away from them.
  const found = new Map<string, string>();
  let pinned = false;
  if (!source.snapshot) {
    for (const file of source.files) {
      const path = await findGoodFile(entry, file, options);
      if (path) found.set(file.path, path);
    }
    const existing = [...found.values()].map((path) => snapshotCommitOf(repoDir, path)).find(Boolean);
    if (commit === undefined && existing !== undefined) {
      commit = existing;
      pinned = true;
    }
  }
  const files: PulledFile[] = [];
  for (const { path, file } of wanted) {
    let present: string | undefined;
    if (source.snapshot && commit) {
      // a file already in this commit's folder was verified and committed by an earlier, stopped pull
      const committed = join(hfSnapshotDir(repoDir, commit), path);
      present = existsSync(committed) ? committed : undefined;
    } else if (!source.snapshot && file) {
      present = found.get(file.path);
    }
    if (present) {
      files.push({ file: path, path: present, status: 'present' });
      continue;
    }
    await lock.take();
    const url = hfResolveUrl(hfEndpoint(env), source.repo, commit ?? source.revision, path);
    options.onFileStart?.({ modelId: entry.id, file: path, url, totalBytes: file?.sizeBytes });
    const partPath = join(partialDir, `${path}.part`);
    await adoptLegacyPart(join(legacyPartialDir, `${path}.part`), partPath);
    const result = await downloadToPart({
      url,
      partPath,
      modelId: entry.id,
      manualPath: manualPlacementPath(entry, path, options),
      expected: file ? expectedOf(file) : undefined,
      headers: authHeaders(options),
      hub: hubRefOf(source.repo, options),
      onProgress: (p) => options.onProgress?.({ ...p, modelId: entry.id, file: path }),
      signal: options.signal,
      retries: options.retries,
      retryDelayMs: options.retryDelayMs,
      onRetry: (info) => options.onRetry?.({ ...info, modelId: entry.id, file: path }),
      fetchImpl: fetchOf(options),
      idleTimeoutMs: options.idleTimeoutMs,
    });
    commit ??= result.headers.get('x-repo-commit') ?? (await resolveHubCommit(entry, source, options));
    const destPath = join(hfSnapshotDir(repoDir, commit), path);
    await commitVerified(result.partPath, destPath, rootsOf(options));
    options.onFileDone?.({ modelId: entry.id, file: path, path: destPath, bytes: result.bytes });
    await removeOldCopies(entry, path, options);
    files.push({ file: path, path: destPath, status: 'downloaded', bytes: result.bytes });
  }
  const downloaded = files.some((f) => f.status === 'downloaded');
  const keepRef = pinned && existsSync(hfRefFile(repoDir, source.revision));
  if (downloaded && commit && !keepRef) await writeRevisionRef(repoDir, source.revision, commit);
  const snapshotDir = hfSnapshotDir(repoDir, commit ?? source.revision);
  const absent = source.snapshot
    ? source.files.filter((file) => !snapshotFileIn(snapshotDir, file))
    : source.files.filter((file) => !findModelFile(entry.id, file.path, options));
  if (absent.length > 0) {
    throw new ToonloraError(
      'TL_ERR_MODEL_MISSING',
      `${entry.id}: ${source.repo}@${commit ?? source.revision} has no ${absent.map((f) => f.path).join(', ')}, ` +
        'which toonlora needs; the repo changed. Place a matching copy in ' +
        `${manualPlacementPath(entry, '', options)} or pin a revision in src/models/registry.ts`,
      { details: { model: entry.id } },
    );
  }
  return files;
}
