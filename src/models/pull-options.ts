// src/models/pull-options.ts — what a pull is given (progress hooks, stop signal, test overrides) and what
// every kind of pull reads from it the same way: the environment, the fetch (proxy-aware), the Hub token
// and the folders it writes.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import type { CacheOptions } from './cache.js';
import { type CacheEnv, hfEndpoint, hfHubCacheFor, hfTokenPath, toonloraHomeFor } from './cache-paths.js';
import type { DownloadProgress, HubRef } from './download.js';
import type { WriteRoots } from './not-writable.js';
import { proxyFetchFor } from './proxy-fetch.js';

export interface PullProgress extends DownloadProgress {
  modelId: string;
  file: string;
}

export interface PullOptions extends CacheOptions {
  onProgress?: (progress: PullProgress) => void;
  /** Called once per file before its download starts. */
  onFileStart?: (info: { modelId: string; file: string; url: string; totalBytes?: number }) => void;
  /** Called before a file already on disk is hashed (reading a multi-GB file takes a while). */
  onVerifyStart?: (info: { modelId: string; file: string; path: string; bytes: number }) => void;
  /** Called when a file on disk is not the registry's: it was renamed to `movedTo` and is fetched again. */
  onCorrupt?: (info: {
    modelId: string;
    file: string;
    path: string;
    movedTo: string;
    problems: string[];
  }) => void;
  /** Called per `.corrupt` copy of a file deleted once a verified download of that file is in place. */
  onCorruptRemoved?: (info: { modelId: string; file: string; path: string; bytes: number }) => void;
  /** Called once per file after it was verified and moved into place. */
  onFileDone?: (info: { modelId: string; file: string; path: string; bytes: number }) => void;
  /** Called when another process is downloading this model: this pull waits for it, then looks again. */
  onWaitForLock?: (message: string) => void;
  /** Called when the model's lock was left by a dead process of this host and is taken over (default: onWaitForLock). */
  onLockTakeOver?: (message: string) => void;
  /** Ctrl-C / SIGTERM: ends the download under way (its `.part` file is kept) and the pull with DownloadStopped. */
  signal?: AbortSignal;
  /** Told before a download is tried again (a dropped connection, a 5xx, a 429): why, and after what wait. */
  onRetry?: (info: {
    modelId: string;
    file: string;
    reason: string;
    waitMs: number;
    attempt: number;
    attempts: number;
  }) => void;
  /** Passed to downloadToPart: further tries per file (default 4) and the first wait (default 1 s). */
  retries?: number;
  retryDelayMs?: number;
  fetchImpl?: typeof fetch;
  idleTimeoutMs?: number;
  /** A Hub repo outside the registry only: the branch, tag or commit sha to pull (default main, hub-revision.ts). */
  revision?: string;
  /**
   * Told what a pull of a cached Hub repo found: `refresh`, its revision moved on the Hub and the new snapshot is
   * pulled (the old one kept); `cached`, the cached snapshot is used without knowing (offline, the Hub unreachable);
   * `removed`, the `.part` files earlier pulls of the revision left at other commits were deleted (the bytes freed).
   */
  onNotice?: (info: { modelId: string; kind: 'refresh' | 'cached' | 'removed'; message: string }) => void;
  /**
   * A Hub repo outside the registry: told the commit pulled and the bytes of the files an SD1.5 load needs, once
   * known (from the Hub's listing, or from the cached snapshot that serves).
   */
  onListed?: (info: { modelId: string; commit: string; totalBytes: number }) => void;
  /** Free bytes on the disk holding a folder (default: statfs of it or its nearest existing parent). */
  freeBytes?: (folder: string) => Promise<number | undefined>;
}

export function envOf(options: PullOptions): CacheEnv {
  return options.env ?? process.env;
}

/** The test's fetch, else one through the proxy the environment names (proxy-fetch.ts), else the built-in one. */
export function fetchOf(options: PullOptions): typeof fetch {
  return options.fetchImpl ?? proxyFetchFor(envOf(options)) ?? fetch;
}

/**
 * The Hub token, as huggingface_hub finds it: `HF_TOKEN` (or its legacy name `HUGGING_FACE_HUB_TOKEN`), else the
 * file `hf auth login` wrote ({@link hfTokenPath}). It is sent to the Hub only (download.ts drops it on a
 * redirect to another host).
 */
export function authHeaders(options: PullOptions): Record<string, string> {
  const env = envOf(options);
  let token = (env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN)?.trim();
  if (!token) {
    try {
      token = readFileSync(hfTokenPath(env, options.homeDir ?? homedir()), 'utf8').trim();
    } catch {
      token = undefined; // no token file: anonymous, as for any public repo
    }
  }
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** Hub repo `repo` as error messages name it: the id and its page on the endpoint in use. */
export function hubRefOf(repo: string, options: PullOptions): HubRef {
  return { repo, page: `${hfEndpoint(envOf(options))}/${repo}` };
}

/** The two folders a pull writes to: toonlora's home (locks, release files) and the HF hub cache. */
export function rootsOf(options: PullOptions): WriteRoots {
  const homeDir = options.homeDir ?? homedir();
  return {
    toonloraHome: toonloraHomeFor(envOf(options), homeDir),
    hfHubCache: hfHubCacheFor(envOf(options), homeDir),
  };
}
