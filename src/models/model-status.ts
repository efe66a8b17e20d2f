// src/models/model-status.ts — one status row per registry model (present or not, where, size, what it
// blocks), shared by `toonlora models list` and `toonlora doctor`; the zod schema is the JSON contract.
import { readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { modelStageSchema } from '../schemas/models-api.js';
import {
  type CacheOptions,
  findModelDir,
  findModelFile,
  isModelPresent,
  manualPlacementPath,
} from './cache.js';
import { hfHubCacheFor } from './cache-paths.js';
import { checkFileLooksComplete, checkFileSize } from './file-check.js';
import { isHubRepoId } from './hub-pull.js';
import { completeSd15Refs, completeSd15Snapshot, stoppedSd15PullBytes } from './hub-snapshot.js';
import { registryPartBytes } from './part-files.js';
import { registryIdOfRepo } from './pull-ids.js';
import { getModelEntry, listModelIds, modelSizeBytes } from './registry.js';

export const modelStatusSchema = z.object({
  id: z.string(),
  description: z.string(),
  stages: z.array(modelStageSchema),
  /** `huggingface:<repo>@<revision>`, the first release URL, or `npm:<package>`. */
  source: z.string(),
  license: z.string(),
  /** Every file is on disk (and of the registry's size where that is exact). */
  present: z.boolean(),
  /** Set when a file is on disk with the wrong size: its path and sizes; `models pull <id>` replaces it. */
  broken: z.string().optional(),
  /** Bytes the `.part` files a stopped pull left hold (part-files.ts), when not present and any: `models pull <id>` resumes them. */
  partBytes: z.number().int().positive().optional(),
  /** Main file (or the folder of a snapshot model) when present. */
  path: z.string().optional(),
  /** Where the user may put it by hand when there is no network. */
  manualPath: z.string(),
  sizeBytes: z.number().int(),
  whenMissing: z.string(),
  /**
   * A Hub-id base's refs with a complete SD1.5 snapshot (`main` first when there), set only when one is not main
   * (`models pull owner/name --revision v1.0`): each a base as `owner/name@<ref>`, main's as `owner/name`. Without
   * `main` among them the repo is present only at these (onlyAtRevisions): the bare id, main, is not on disk.
   */
  revisions: z.array(z.string()).optional(),
});
export type ModelStatus = z.infer<typeof modelStatusSchema>;

/**
 * The refs a Hub-id base is present at when main is not one of them (pulled only at `v2`), else undefined: its row
 * then must not say the bare id (main) is there, which `--base owner/name` and `models path owner/name` refuse.
 */
export function onlyAtRevisions(status: Pick<ModelStatus, 'present' | 'revisions'>): string[] | undefined {
  const refs = status.revisions;
  return status.present && refs !== undefined && refs.length > 0 && !refs.includes('main') ? refs : undefined;
}

/**
 * `<path>: <size problem>` of the first file of model `id` (or of `only`, one of its files) on disk with a size
 * other than the registry's exact one, or undefined. Only the size is checked (a stat): hashing every model on
 * each `list` / `doctor` would take minutes.
 */
export function wrongSizeFile(id: string, options: CacheOptions, only?: string): string | undefined {
  for (const file of getModelEntry(id).source.files) {
    if (only !== undefined && file.path !== only) continue;
    const path = findModelFile(id, file.path, options);
    const problem = path === undefined ? undefined : checkFileSize(path, file);
    if (path !== undefined && problem !== undefined) return `${path}: ${problem}`;
  }
  return undefined;
}

/**
 * The first file of model `id` on disk that looks incomplete: a wrong exact size, or far under the
 * registry's rounded size (see checkFileLooksComplete); `<path>: <problem>`, or undefined. A stat per file.
 */
export function incompleteModelFile(id: string, options: CacheOptions = {}): string | undefined {
  for (const file of getModelEntry(id).source.files) {
    const path = findModelFile(id, file.path, options);
    const problem = path === undefined ? undefined : checkFileLooksComplete(path, file);
    if (path !== undefined && problem !== undefined) return `${path}: ${problem}`;
  }
  return undefined;
}

/** Status of model `id` on this machine. @throws ToonloraError TL_ERR_MODEL_UNKNOWN. */
export function describeModel(id: string, options: CacheOptions = {}): ModelStatus {
  const entry = getModelEntry(id);
  const source = entry.source;
  const sourceText =
    source.kind === 'huggingface'
      ? `huggingface:${source.repo}@${source.revision}`
      : source.kind === 'url'
        ? (source.urls[0] as string)
        : `npm:${source.package}`;
  const broken = isModelPresent(id, options) ? wrongSizeFile(id, options) : undefined;
  const present = isModelPresent(id, options) && broken === undefined;
  const isSnapshot = source.kind === 'huggingface' && source.snapshot !== undefined;
  const partBytes = present ? 0 : registryPartBytes(entry, options);
  const path =
    present || broken
      ? isSnapshot
        ? findModelDir(id, options)
        : findModelFile(id, undefined, options)
      : undefined;
  return {
    id,
    description: entry.description,
    stages: entry.stages,
    source: sourceText,
    license: entry.license,
    present,
    ...(broken === undefined ? {} : { broken }),
    ...(partBytes > 0 ? { partBytes } : {}),
    ...(path === undefined ? {} : { path }),
    manualPath: manualPlacementPath(entry, source.files[0]?.path ?? '', options),
    sizeBytes: modelSizeBytes(entry),
    whenMissing: entry.whenMissing,
  };
}

/**
 * A row per Hub repo outside the registry with a complete SD1.5 snapshot in the Hugging Face cache (what
 * `models pull owner/name` leaves, or `hf download`), or with what a stopped pull of one left (not present,
 * `partBytes` downloaded, which `models pull <id>` resumes), sorted by id: a readdir of the cache, and per repo
 * whose snapshot has a model_index.json, a walk of that snapshot and two small JSON reads.
 */
export function describePulledHubModels(options: CacheOptions = {}): ModelStatus[] {
  const hubCache = hfHubCacheFor(options.env ?? process.env, options.homeDir ?? homedir());
  let names: string[];
  try {
    names = readdirSync(hubCache).sort();
  } catch {
    return [];
  }
  return names.flatMap((name): ModelStatus[] => {
    const repo = name.startsWith('models--') ? name.slice('models--'.length).replaceAll('--', '/') : '';
    if (!isHubRepoId(repo) || registryIdOfRepo(repo) !== undefined) return [];
    const refs = completeSd15Refs(join(hubCache, name));
    const revisions = refs.some((ref) => ref !== 'main') ? { revisions: refs } : {};
    // main's snapshot, else (pulled only at a tag, a branch, a pull request) the first such ref's
    const snapshot = completeSd15Snapshot(join(hubCache, name), refs[0]);
    const row = {
      id: repo,
      // no CLI flag: the web app's Models page shows these words too
      description: 'SD1.5 base (diffusers layout) from the Hugging Face Hub, for training and generating',
      stages: ['train', 'generate'] as ModelStatus['stages'],
      source: `huggingface:${repo}@${refs[0] ?? 'main'}`, // a repo pulled only at v1.0 has no main
      license: 'see its model card',
      manualPath: join(hubCache, name),
      whenMissing: `training and generating on ${repo} need it`,
    };
    if (snapshot === undefined) {
      // a stopped pull: its full size is unknown offline, so the row's size is what is on disk
      const partBytes = stoppedSd15PullBytes(join(hubCache, name));
      return partBytes > 0 ? [{ ...row, present: false, partBytes, sizeBytes: partBytes }] : [];
    }
    const sizeBytes = snapshot.files.reduce((sum, file) => sum + statSync(join(snapshot.dir, file)).size, 0);
    // no CLI flag or command either: the web app's Models card shows it (the CLI's path cell names the pull)
    const at = refs.includes('main') ? undefined : refs.map((ref) => `${repo}@${ref}`).join(', ');
    const whenMissing =
      at === undefined
        ? row.whenMissing
        : `pulled only at ${refs.join(', ')} (the base ${at}); ${repo} itself (main) is not pulled`;
    return [{ ...row, whenMissing, present: true, path: snapshot.dir, sizeBytes, ...revisions }];
  });
}

/** Status of every registry model, in registry order, then the SD1.5 bases pulled by Hub id. */
export function describeModels(options: CacheOptions = {}): ModelStatus[] {
  return [...listModelIds().map((id) => describeModel(id, options)), ...describePulledHubModels(options)];
}
