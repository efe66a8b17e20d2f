// src/models/base-revision.ts — a Hub base named at a revision, `owner/name@REV` (`--base`, `baseModel`, the job API):
// parsed here only, and resolved as huggingface_hub resolves a revision offline: a full commit sha is itself, a
// branch or tag the commit its `refs/<REV>` names (what `models pull owner/name --revision REV` wrote). The worker is
// handed `owner/name@<commit>`, which it loads with `from_pretrained(revision=<commit>)` (trainer base_files.py
// split_revision) and records in its checkpoints and adapter config, so a run names the commit it trained on.
import { homedir } from 'node:os';
import { ToonloraError } from '../errors.js';
import { readHfCommit } from './cache.js';
import { hfHubCacheFor, hfRepoDir, hfSnapshotDir } from './cache-paths.js';
import { checkRevision, isSafeRevision } from './hub-revision.js';

/** A Hub base and the revision it names; `revision` undefined for a bare `owner/name` (main). */
export interface HubBase {
  repo: string;
  revision: string | undefined;
}

const HUB_REPO = /^[\w.-]+\/[\w.-]+$/;
const isRepo = (repo: string) => HUB_REPO.test(repo) && repo.split('/').every((p) => p !== '.' && p !== '..');

/**
 * `name` as a Hub base, `owner/name` or `owner/name@REV` (REV a branch, tag, `refs/pr/N` or commit sha, as
 * `models pull --revision` takes it), or undefined when it is not written as one.
 */
export function parseHubBase(name: string): HubBase | undefined {
  const at = name.indexOf('@');
  if (at < 0) return isRepo(name) ? { repo: name, revision: undefined } : undefined;
  const repo = name.slice(0, at);
  const revision = name.slice(at + 1);
  return isRepo(repo) && isSafeRevision(revision) ? { repo, revision } : undefined;
}

/**
 * `name` as parseHubBase reads it, except that a Hub repo followed by `@` and text no revision can be (`owner/name@`,
 * `owner/name@v 1`, `owner/name@..`) is refused as such: before, it was read as some other name, and the words
 * offered `toonlora models pull owner/name@`, itself refused.
 * @throws ToonloraError TL_ERR_USAGE naming the revision (hub-revision.ts invalidRevisionError, worded for a base)
 */
export function readHubBase(name: string): HubBase | undefined {
  const at = name.indexOf('@');
  const repo = name.slice(0, Math.max(at, 0));
  if (at >= 0 && isRepo(repo)) checkRevision(repo, name.slice(at + 1), 'base');
  return parseHubBase(name);
}

/** The command that pulls `base` at its revision. */
export function basePullCommand({ repo, revision }: HubBase): string {
  return `toonlora models pull ${repo}${revision === undefined ? '' : ` --revision ${revision}`}`;
}

/**
 * A worker's error about base `given` (`owner/name@REV`, as the user named it) in the user's words: the worker is
 * handed the commit REV names (pinnedBaseName), so its pull command said `--revision <commit>`; it says REV again
 * (basePullCommand). Any other error, or a base without a revision, is returned as it is.
 */
export function errorInGivenBaseWords<E>(error: E, given: string): E | ToonloraError {
  const base = parseHubBase(given);
  if (!(error instanceof ToonloraError) || base?.revision === undefined) return error;
  const repo = base.repo.replace(/[.]/g, '\\.');
  const pinnedPull = new RegExp(`toonlora models pull ${repo} --revision [0-9a-f]{40}(?![\\w.-])`, 'g');
  const text = error.text.replace(pinnedPull, basePullCommand(base));
  if (text === error.text) return error;
  return new ToonloraError(error.code, text, {
    cause: error.cause,
    details: { ...error.details },
    fix: error.fix,
  });
}

/** Where the Hugging Face cache is, as CacheOptions say it. */
export interface HubCacheOptions {
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
}

/**
 * The snapshot folder `base`'s revision (main without one) names in the Hugging Face cache, and its commit, or
 * undefined when the cache has no such ref (the folder itself may be missing: callers check what it holds).
 */
export function baseSnapshot(
  base: HubBase,
  options: HubCacheOptions = {},
): { commit: string; dir: string } | undefined {
  const repoDir = hfRepoDir(
    hfHubCacheFor(options.env ?? process.env, options.homeDir ?? homedir()),
    base.repo,
  );
  const commit = readHfCommit(repoDir, base.revision ?? 'main');
  return commit === undefined ? undefined : { commit, dir: hfSnapshotDir(repoDir, commit) };
}

/** `owner/name@<commit>`: the base as the worker loads and records it. */
export function pinnedBaseName(repo: string, commit: string): string {
  return `${repo}@${commit}`;
}
