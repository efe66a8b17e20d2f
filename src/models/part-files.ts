// src/models/part-files.ts — what a stopped or failed pull left of a model: its `.part` files (cache-paths.ts
// says where: beside the HF cache's files under `.toonlora-partial/<revision>/`, an older version's under
// toonlora's home, a release file's beside its final path) and the bytes they hold, which the next pull resumes
// from; and the files of a diffusers / transformers snapshot it committed before it stopped.
import { readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type CacheOptions, hfSnapshotDirs, snapshotFileIn } from './cache.js';
import {
  hfHubCacheFor,
  hfPartialDir,
  hfRepoDir,
  manualModelPath,
  snapshotPullDir,
  toonloraHomeFor,
} from './cache-paths.js';
import type { ModelEntry } from './registry.js';

/** Size of the file at `path` in bytes; 0 when it is missing or not a file. */
function fileBytes(path: string): number {
  try {
    const stats = statSync(path);
    return stats.isFile() ? stats.size : 0;
  } catch {
    return 0;
  }
}

/** Bytes of every `*.part` file under `dir` (sub-folders included); 0 when it is missing. */
export function partBytesUnder(dir: string): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  return names.reduce((sum, name) => {
    const path = join(dir, name);
    if (name.endsWith('.part')) return sum + fileBytes(path);
    try {
      return statSync(path).isDirectory() ? sum + partBytesUnder(path) : sum;
    } catch {
      return sum;
    }
  }, 0);
}

function roots(options: CacheOptions) {
  const env = options.env ?? process.env;
  const homeDir = options.homeDir ?? homedir();
  return { home: toonloraHomeFor(env, homeDir), hubCache: hfHubCacheFor(env, homeDir) };
}

/** Bytes the `.part` files of registry model `entry` hold (0: none); npm models have none. */
export function registryPartBytes(entry: ModelEntry, options: CacheOptions = {}): number {
  const { home, hubCache } = roots(options);
  const { source } = entry;
  if (source.kind === 'npm') return 0;
  if (source.kind === 'url') {
    return source.files.reduce(
      (sum, file) => sum + fileBytes(`${manualModelPath(home, entry.id, file.path)}.part`),
      0,
    );
  }
  return (
    partBytesUnder(hfPartialDir(hfRepoDir(hubCache, source.repo), source.revision)) +
    partBytesUnder(snapshotPullDir(home, entry.id, source.revision))
  );
}

/**
 * The registry's files of snapshot model `entry` (a diffusers / transformers layout) in its fullest snapshot
 * folder, complete or not (findModelFile sees only a complete one); [] for other models.
 */
export function snapshotFilesOnDisk(entry: ModelEntry, options: CacheOptions = {}): string[] {
  const { source } = entry;
  if (source.kind !== 'huggingface' || source.snapshot === undefined) return [];
  const repoDir = hfRepoDir(roots(options).hubCache, source.repo);
  return hfSnapshotDirs(repoDir, source.revision)
    .map((dir) => source.files.flatMap((file) => snapshotFileIn(dir, file) ?? []))
    .reduce((best, files) => (files.length > best.length ? files : best), [] as string[]);
}
