// src/models/cache.ts — finds models on disk: applies the path rules of cache-paths.ts to the file
// system (reads HF `refs/`, checks which candidate exists) and answers "where is it / is it there".
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ToonloraError } from '../errors.js';
import {
  type CacheEnv,
  type CandidateContext,
  type FileCandidate,
  hfHubCacheFor,
  hfRefFile,
  hfRepoDir,
  hfSnapshotDir,
  isCommitHash,
  manualModelDir,
  manualModelPath,
  modelFileCandidates,
  toonloraHomeFor,
} from './cache-paths.js';
import { getModelEntry, getModelFile, type ModelEntry, type ModelFile } from './registry.js';

/** Repository root (two folders above this file). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Overrides for tests; every field defaults to the real process (env, home folder, repo root). */
export interface CacheOptions {
  env?: CacheEnv;
  homeDir?: string;
  projectRoot?: string;
}

function contextOf(options: CacheOptions): CandidateContext {
  return {
    env: options.env ?? process.env,
    homeDir: options.homeDir ?? homedir(),
    projectRoot: options.projectRoot ?? PROJECT_ROOT,
  };
}

/** toonlora's cache home: `TOONLORA_HOME`, else `$XDG_CACHE_HOME/toonlora`, else `~/.cache/toonlora`. */
export function toonloraHome(env: CacheEnv = process.env, homeDir: string = homedir()): string {
  return toonloraHomeFor(env, homeDir);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The commit a revision points at in the HF cache: itself when a hash, else the content of refs/<rev>. */
export function readHfCommit(repoDir: string, revision: string): string | undefined {
  if (isCommitHash(revision)) return revision;
  try {
    const commit = readFileSync(hfRefFile(repoDir, revision), 'utf8').trim();
    return commit === '' ? undefined : commit;
  } catch {
    return undefined;
  }
}

/** Snapshot folders of an HF repo folder: the one the revision points at first, then any other. */
export function hfSnapshotDirs(repoDir: string, revision: string): string[] {
  const preferred = readHfCommit(repoDir, revision);
  let others: string[] = [];
  try {
    others = readdirSync(join(repoDir, 'snapshots')).sort();
  } catch {
    others = [];
  }
  const ordered = preferred ? [preferred, ...others.filter((name) => name !== preferred)] : others;
  return ordered.map((commit) => hfSnapshotDir(repoDir, commit));
}

/**
 * The snapshot folder of Hub repo `repo` (`owner/name`) in the Hugging Face cache that its `main` ref names, as
 * the worker's `local_files_only` load without a revision resolves it, or undefined when there is no refs/main
 * or its snapshot is missing: another revision's snapshot (a tag, a pull request) is not main's.
 */
export function hubCacheSnapshotDir(repo: string, options: CacheOptions = {}): string | undefined {
  const ctx = contextOf(options);
  const repoDir = hfRepoDir(hfHubCacheFor(ctx.env, ctx.homeDir), repo);
  const commit = readHfCommit(repoDir, 'main');
  const dir = commit === undefined ? undefined : hfSnapshotDir(repoDir, commit);
  return dir !== undefined && existsSync(dir) ? dir : undefined;
}

function resolveCandidate(candidate: FileCandidate): string | undefined {
  if (candidate.path) return isFile(candidate.path) ? candidate.path : undefined;
  if (!candidate.hfRepoDir || !candidate.revision) return undefined;
  for (const dir of hfSnapshotDirs(candidate.hfRepoDir, candidate.revision)) {
    const path = join(dir, candidate.file);
    if (isFile(path)) return path;
  }
  return undefined;
}

/** Where `file` of a snapshot model sits in `dir`: its path or the first alternative there, or undefined. */
export function snapshotFileIn(dir: string, file: ModelFile): string | undefined {
  return [file.path, ...(file.alternatives ?? [])].map((path) => join(dir, path)).find(isFile);
}

/**
 * The folder holding all of a snapshot model's required files, weights included (hand-placed folder
 * first, then HF snapshots), or undefined. For single-file models it is the folder of the first file found.
 * Any complete copy counts: files are moved into a snapshot only once whole, so a pull that stopped
 * half-way (or its leftover marker) cannot make a folder look complete, nor hide another one.
 */
export function findModelDir(id: string, options: CacheOptions = {}): string | undefined {
  const entry = getModelEntry(id);
  const ctx = contextOf(options);
  if (entry.source.kind === 'huggingface' && entry.source.snapshot) {
    const manual = manualModelDir(toonloraHomeFor(ctx.env, ctx.homeDir), id);
    const hf = modelFileCandidates(entry, entry.source.files[0]?.path ?? '', ctx).find(
      (candidate) => candidate.origin === 'huggingface-cache',
    );
    const hfDirs = hf?.hfRepoDir ? hfSnapshotDirs(hf.hfRepoDir, entry.source.revision) : [];
    return [manual, ...hfDirs].find((dir) =>
      entry.source.files.every((file) => snapshotFileIn(dir, file) !== undefined),
    );
  }
  const first = findModelFile(id, undefined, options);
  return first === undefined ? undefined : join(first, '..');
}

/**
 * Path of `file` of model `id` (its first file when left out), or undefined when it is not on disk.
 * @throws ToonloraError TL_ERR_MODEL_UNKNOWN for an id or file the registry does not have.
 */
export function findModelFile(id: string, file?: string, options: CacheOptions = {}): string | undefined {
  const entry = getModelEntry(id);
  const modelFile = getModelFile(entry, file);
  if (entry.source.kind === 'huggingface' && entry.source.snapshot) {
    const dir = findModelDir(id, options);
    return dir === undefined ? undefined : snapshotFileIn(dir, modelFile);
  }
  for (const candidate of modelFileCandidates(entry, modelFile.path, contextOf(options))) {
    const found = resolveCandidate(candidate);
    if (found) return found;
  }
  return undefined;
}

/** Where a missing file can be placed by hand (the exact path `models pull` would also accept). */
export function manualPlacementPath(entry: ModelEntry, file: string, options: CacheOptions = {}): string {
  const ctx = contextOf(options);
  const home = toonloraHomeFor(ctx.env, ctx.homeDir);
  if (entry.source.kind === 'huggingface' && entry.source.snapshot)
    return `${manualModelDir(home, entry.id)}/`;
  return manualModelPath(home, entry.id, file);
}

/**
 * Path of `file` of model `id`, which must be on disk.
 * @throws ToonloraError TL_ERR_MODEL_MISSING: "<id>: <file> is not downloaded ... Run: toonlora models pull <id>".
 */
export function requireModelFile(id: string, file?: string, options: CacheOptions = {}): string {
  const found = findModelFile(id, file, options);
  if (found) return found;
  const entry = getModelEntry(id);
  const modelFile = getModelFile(entry, file);
  const ctx = contextOf(options);
  const hfCache =
    entry.source.kind === 'huggingface'
      ? ` and the Hugging Face cache ${hfRepoDir(hfHubCacheFor(ctx.env, ctx.homeDir), entry.source.repo)}`
      : '';
  throw new ToonloraError(
    'TL_ERR_MODEL_MISSING',
    `${id}: ${modelFile.path} is not downloaded (looked in ${manualPlacementPath(entry, modelFile.path, options)}` +
      `${hfCache}). Run: toonlora models pull ${id}`,
    { details: { model: id, file: modelFile.path }, fix: { kind: 'pull-model', id } },
  );
}

/** Whether every registry file of model `id` is on disk. */
export function isModelPresent(id: string, options: CacheOptions = {}): boolean {
  const entry = getModelEntry(id);
  return entry.source.files.every((file) => findModelFile(id, file.path, options) !== undefined);
}
