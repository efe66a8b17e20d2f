// src/models/hub-snapshot.ts — what a Hub repo's copy in the HF cache holds, read without the network: the
// snapshot with a complete SD1.5 layout of a revision (what `models pull owner/name [--revision REV]` leaves and
// `--base owner/name` loads), and the bytes a stopped pull left to resume from.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type CacheOptions, hfSnapshotDirs } from './cache.js';
import { hfHubCacheFor, hfPartialDir, hfRepoDir } from './cache-paths.js';
import { DEFAULT_HUB_REVISION, revisionSnapshotDir } from './hub-revision.js';
import { partBytesUnder } from './part-files.js';
import { sizeOf } from './pull-files.js';
import { sd15Refusal, selectSd15Files } from './sd15-layout.js';

/** Every file under `dir` as a `/`-separated path relative to it (links followed); [] when it is missing. */
function filesUnder(dir: string, prefix = ''): string[] {
  let names: string[];
  try {
    names = readdirSync(join(dir, prefix));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const rel = prefix === '' ? name : `${prefix}/${name}`;
    try {
      return statSync(join(dir, rel)).isDirectory() ? filesUnder(dir, rel) : [rel];
    } catch {
      return []; // a dangling link
    }
  });
}

/** The JSON in `path`, or undefined when it is missing or not JSON. */
export function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The snapshot of `repoDir` that holds a complete SD1.5 layout of `revision`, and its files, or undefined: only
 * the one its ref (`refs/main` for the default) or sha names, as huggingface_hub resolves a revision offline, so
 * a tag's or pull request's snapshot never stands in for main. Files enter a snapshot only once verified, so a
 * stopped pull never looks complete.
 */
export function completeSd15Snapshot(
  repoDir: string,
  revision = DEFAULT_HUB_REVISION,
): { dir: string; files: string[] } | undefined {
  const dir = revisionSnapshotDir(repoDir, revision);
  if (dir === undefined || !existsSync(join(dir, 'model_index.json'))) return undefined; // not a pipeline
  const selection = selectSd15Files(filesUnder(dir), (path) => readJson(join(dir, path)));
  if (selection.missing.length > 0) return undefined;
  const refusal = sd15Refusal(
    readJson(join(dir, 'model_index.json')),
    readJson(join(dir, 'unet/config.json')),
  );
  return refusal === undefined ? { dir, files: selection.files } : undefined;
}

/**
 * The refs of `repoDir` (`main`, `v1.0`, `refs/pr/1`: the files under `refs/`) whose snapshot holds a complete SD1.5
 * layout, main first, then sorted: each a base as `owner/name@<ref>` (`owner/name` for main).
 */
export function completeSd15Refs(repoDir: string): string[] {
  const refs = filesUnder(join(repoDir, 'refs')).filter((ref) => completeSd15Snapshot(repoDir, ref));
  return refs.sort((a, b) =>
    a === DEFAULT_HUB_REVISION ? -1 : b === DEFAULT_HUB_REVISION ? 1 : a < b ? -1 : 1,
  );
}

/**
 * Bytes a stopped `models pull owner/name` left in `repoDir` (0: none): its `.part` files, and the SD1.5 files
 * already in a snapshot whose model_index.json is an SD1.5 pipeline (not another model's `hf download`).
 * Meant for a repo without a complete snapshot; `models pull <id>` resumes from these.
 */
export function stoppedSd15PullBytes(repoDir: string): number {
  const parts = partBytesUnder(join(hfPartialDir(repoDir, DEFAULT_HUB_REVISION), '..')); // every commit's
  const committed = hfSnapshotDirs(repoDir, DEFAULT_HUB_REVISION).map((dir) => {
    const index = readJson(join(dir, 'model_index.json'));
    if (index === undefined || sd15Refusal(index, readJson(join(dir, 'unet/config.json')))) return 0;
    return selectSd15Files(filesUnder(dir)).files.reduce((sum, file) => sum + sizeOf(join(dir, file)), 0);
  });
  return parts + Math.max(0, ...committed);
}

/**
 * The snapshot folder of Hub repo `repo` in the HF cache holding a complete SD1.5 layout (what `models pull
 * owner/name [--revision REV]` leaves) of `options.revision` (default main: see completeSd15Snapshot), or undefined.
 */
export function findPulledHubModelDir(
  repo: string,
  options: CacheOptions & { revision?: string } = {},
): string | undefined {
  const hubCache = hfHubCacheFor(options.env ?? process.env, options.homeDir ?? homedir());
  return completeSd15Snapshot(hfRepoDir(hubCache, repo), options.revision)?.dir;
}
