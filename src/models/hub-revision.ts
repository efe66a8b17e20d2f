// src/models/hub-revision.ts — the revision `models pull owner/name` fetches and how it is kept, as huggingface_hub's
// snapshot_download does it: a branch, tag or full commit sha (`--revision`, default main) is asked of the Hub API,
// whose answer's commit names `snapshots/<commit>/`; a branch or tag is then written to `refs/<revision>` (nested
// for `refs/pr/1`), which diffusers' `from_pretrained(revision=…)` and offline loads read. Also the words said when
// a cached copy is checked against the Hub (refreshed, or used without a check).
import { statSync } from 'node:fs';
import { copyFile, link, mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ToonloraError } from '../errors.js';
import { readHfCommit } from './cache.js';
import { hfRefFile, hfSnapshotDir, isCommitHash } from './cache-paths.js';
import { type HubListing, type ListingTarget, listHubRepo } from './hub-listing.js';
import { isHfOffline } from './pull-guards.js';
import { envOf, type PullOptions } from './pull-options.js';

/** The revision pulled without `--revision`: the repo's default branch, as `hf download` without one. */
export const DEFAULT_HUB_REVISION = 'main';

/**
 * Whether `revision` can name a ref file in the cache: `/`-separated segments of letters, digits, `_ . -`,
 * none starting with `.` or `-` (so none is `..`), as branch and tag names on the Hub are (`v1.0`, `refs/pr/1`).
 */
export function isSafeRevision(revision: string): boolean {
  return /^[A-Za-z0-9_][\w.-]*(\/[A-Za-z0-9_][\w.-]*)*$/.test(revision) && !revision.includes('..');
}

/**
 * Who names a revision: the CLI's `--revision` flag, the API's `revision` (`?revision=`, the job's base), or a base
 * written `owner/name@REV` (`--base`, `models pull|path owner/name@REV`).
 */
export type RevisionCaller = 'cli' | 'api' | 'base';

/** The revision as `caller` wrote it, for a message: `--revision "x"`, `revision "x"` or `owner/name@x`. */
function revisionWords(repo: string, revision: string, caller: RevisionCaller): string {
  if (caller === 'base') return JSON.stringify(`${repo}@${revision}`);
  return `${caller === 'cli' ? '--revision' : 'revision'} ${JSON.stringify(revision)}`;
}

/**
 * The usage error for a revision that cannot be a branch, tag or commit sha, worded for `caller` (a REST answer
 * names no CLI flag).
 */
export function invalidRevisionError(
  repo: string,
  revision: string,
  caller: RevisionCaller = 'cli',
): ToonloraError {
  const what =
    caller === 'base'
      ? `${revisionWords(repo, revision, caller)}: the revision after '@' is not a branch, tag or commit sha`
      : `${repo}: ${revisionWords(repo, revision, caller)} is not a branch, tag or commit sha`;
  return new ToonloraError(
    'TL_ERR_USAGE',
    `${what} (letters, digits, '_', '.', '-', segments joined by '/', as main, v1.0 or refs/pr/1)`,
    { details: { model: repo, revision } },
  );
}

/**
 * `revision` when a branch, tag or commit sha can be that; else a usage error worded for `caller`.
 * @throws ToonloraError TL_ERR_USAGE naming what a revision may hold
 */
export function checkRevision(repo: string, revision: string, caller: RevisionCaller = 'cli'): string {
  if (isSafeRevision(revision)) return revision;
  throw invalidRevisionError(repo, revision, caller);
}

/** The snapshot folder `revision` names in the cache (a commit sha itself, else its ref file's commit), if any. */
export function revisionSnapshotDir(repoDir: string, revision: string): string | undefined {
  const commit = readHfCommit(repoDir, revision);
  return commit === undefined ? undefined : hfSnapshotDir(repoDir, commit);
}

/**
 * Points `refs/<revision>` at `commit`, as huggingface_hub does after a download: not for a commit sha (its
 * folder is its name), nor when the Hub's listing named no commit (it then is the revision itself).
 */
export async function writeRevisionRef(repoDir: string, revision: string, commit: string): Promise<void> {
  if (revision === commit || isCommitHash(revision)) return;
  const ref = hfRefFile(repoDir, revision);
  await mkdir(dirname(ref), { recursive: true });
  await writeFile(ref, commit);
}

/** The first 12 characters of a commit sha, as messages name one. */
export function shortCommit(commit: string): string {
  return isCommitHash(commit) ? commit.slice(0, 12) : commit;
}

/**
 * Said when the Hub names another commit for `revision` than the cached snapshot's (a cached copy is found only
 * through the revision's own ref, so it moved): the new one is pulled, the old one kept.
 */
export function movedText(
  repo: string,
  revision: string,
  cached: string,
  current: string,
  oldDir: string,
): string {
  const what = `${revision} moved on the Hub from ${shortCommit(cached)} to ${shortCommit(current)}`;
  return `${repo}: ${what}; pulling the new snapshot (the old one stays in ${oldDir})`;
}

/** Said when the cached snapshot is used without knowing whether `revision` moved on the Hub. */
export function uncheckedText(repo: string, revision: string, cached: string, why: string): string {
  return `${repo}: could not check whether ${revision} moved on the Hub (${why}); using the cached snapshot ${shortCommit(cached)}`;
}

/**
 * Whether the complete cached snapshot `cachedDir` of a branch or tag is still what the Hub names, as
 * snapshot_download asks the Hub first and uses the cache when it cannot: the listing of the revision's new commit
 * when it moved (said: `refresh`), else undefined; the cached one then serves (said: `cached`, when it could not be
 * checked: offline mode, no network, an HTTP error). A commit sha is never asked again.
 * @param target the listing to ask for, with empty hints: its error's message becomes the notice's reason
 */
export async function movedListing(
  target: ListingTarget,
  cachedDir: string,
  options: PullOptions,
): Promise<HubListing | undefined> {
  const { repo, revision } = target;
  const cached = basename(cachedDir);
  if (cached === revision) return undefined;
  const env = envOf(options);
  const notice = (kind: 'refresh' | 'cached', message: string) =>
    options.onNotice?.({ modelId: repo, kind, message });
  if (isHfOffline(env)) {
    const why = `offline mode is on: HF_HUB_OFFLINE=${env.HF_HUB_OFFLINE}`;
    notice('cached', uncheckedText(repo, revision, cached, why));
    return undefined;
  }
  let listing: HubListing;
  try {
    listing = await listHubRepo(target, options);
  } catch (error) {
    if (!(error instanceof ToonloraError) || error.code !== 'TL_ERR_DOWNLOAD') throw error;
    const why = error.message.replace(`${target.id}: `, '').replace(/\.\s*$/, '');
    notice('cached', uncheckedText(repo, revision, cached, why));
    return undefined;
  }
  if (listing.commit === cached) return undefined;
  notice('refresh', movedText(repo, revision, cached, listing.commit, cachedDir));
  return listing;
}

/** Whether `path` is a file of `bytes` bytes. */
function hasSize(path: string, bytes: number | undefined): boolean {
  try {
    const stats = statSync(path);
    return stats.isFile() && stats.size === bytes;
  } catch {
    return false;
  }
}

/**
 * Puts into `newDir` (the moved revision's snapshot) each of `files` whose LFS sha256 and size the listings of both
 * commits agree on, linked (else copied) from the cached snapshot `oldDir`, where it was committed verified: as
 * huggingface_hub's blobs are shared between revisions, so a refresh fetches only what changed. Without the old
 * commit's listing (an error) nothing is reused and every file is fetched.
 * @param target the revision's listing target (empty hints); the old commit is listed with it
 * @returns the paths put in place
 */
export async function reuseUnchanged(
  target: ListingTarget,
  oldDir: string,
  newDir: string,
  listing: HubListing,
  files: readonly string[],
  options: PullOptions,
): Promise<string[]> {
  let old: HubListing;
  try {
    old = await listHubRepo({ ...target, revision: basename(oldDir) }, options);
  } catch {
    return [];
  }
  const before = new Map(old.files.map((file) => [file.path, file]));
  const now = new Map(listing.files.map((file) => [file.path, file]));
  const reused: string[] = [];
  for (const path of files) {
    const was = before.get(path);
    const is = now.get(path);
    if (is?.sha256 === undefined || was?.sha256 !== is.sha256 || was.sizeBytes !== is.sizeBytes) continue;
    const from = join(oldDir, path);
    const to = join(newDir, path);
    if (!hasSize(from, is.sizeBytes) || hasSize(to, is.sizeBytes)) continue;
    await mkdir(dirname(to), { recursive: true });
    await link(from, to).catch(() => copyFile(from, to));
    reused.push(path);
  }
  return reused;
}
