// src/models/pull-guards.ts — what `models pull` checks before its first download (Hugging Face offline
// mode, caches it cannot write) and the empty folders a pull that failed leaves behind, removed.
import { existsSync } from 'node:fs';
import { readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ToonloraError } from '../errors.js';
import { probeWritable } from '../host/disk-probes.js';
import { type CacheOptions, manualPlacementPath } from './cache.js';
import {
  type CacheEnv,
  hfEndpoint,
  hfPartialDir,
  hfRepoDir,
  hfResolveUrl,
  manualModelDir,
  releaseUrl,
  snapshotPullDir,
} from './cache-paths.js';
import { HF_OFFLINE_STEP, withCliSteps } from './download-http.js';
import { notWritableRootError, type WriteRoots } from './not-writable.js';
import { offlineSnapshotHint } from './offline-hint.js';
import { type ModelEntry, REMBG_RELEASE } from './registry.js';

/** Whether HF_HUB_OFFLINE is on, read as huggingface_hub reads it (1 / ON / YES / TRUE, any case). */
export function isHfOffline(env: CacheEnv): boolean {
  return ['1', 'ON', 'YES', 'TRUE'].includes((env.HF_HUB_OFFLINE ?? '').trim().toUpperCase());
}

/**
 * Refuses a download that cannot succeed, before any request: a Hugging Face model while HF_HUB_OFFLINE is
 * on, and a pull whose toonlora home (or, for a Hugging Face model, HF cache) cannot be written, which
 * would otherwise surface as a network error or after gigabytes were fetched.
 * @param hint what to do by hand instead (placement path or `hf download` command)
 * @throws ToonloraError TL_ERR_DOWNLOAD (offline mode), TL_ERR_CONFIG (names the folder and the setting)
 */
export async function checkCanDownload(
  id: string,
  fromHub: boolean,
  roots: WriteRoots,
  env: CacheEnv,
  hint: string,
): Promise<void> {
  if (fromHub && isHfOffline(env)) {
    const { message, cliSteps } = withCliSteps(
      `${id}: not on disk, and Hugging Face offline mode is on (HF_HUB_OFFLINE=${env.HF_HUB_OFFLINE}): nothing was downloaded. ` +
        HF_OFFLINE_STEP,
      hint,
    );
    throw new ToonloraError('TL_ERR_DOWNLOAD', message, { details: { model: id, cliSteps } });
  }
  const homeProblem = await probeWritable(roots.toonloraHome);
  if (homeProblem) throw notWritableRootError(roots, false, homeProblem);
  const hfProblem = fromHub ? await probeWritable(roots.hfHubCache) : undefined;
  if (hfProblem) throw notWritableRootError(roots, true, hfProblem);
}

async function removeIfEmpty(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return; // gone, or a file
  }
  for (const name of names) await removeIfEmpty(join(dir, name));
  await rmdir(dir).catch(() => undefined); // not empty: a .part file to resume from stays
}

/** The folders of `candidates` that do not exist yet: the ones a pull may leave behind empty. */
export function missingFolders(candidates: readonly string[]): string[] {
  return candidates.filter((dir) => !existsSync(dir));
}

/** Removes each of `dirs` that holds nothing but empty folders (deepest first); others are left alone. */
export async function removeEmptyFolders(dirs: readonly string[]): Promise<void> {
  for (const dir of [...dirs].sort((a, b) => b.length - a.length)) await removeIfEmpty(dir);
}

/** The URLs `entry`'s files are fetched from (a release mirror and HF_ENDPOINT applied); [] for a snapshot. */
export function fileUrlsOf(entry: ModelEntry, env: CacheEnv): string[] {
  const { source } = entry;
  if (source.kind === 'url') return source.urls.map((url) => releaseUrl(url, env, REMBG_RELEASE));
  if (source.kind !== 'huggingface' || source.snapshot) return [];
  return source.files.map((file) => hfResolveUrl(hfEndpoint(env), source.repo, source.revision, file.path));
}

/**
 * What to do without the network: the `hf download` command of a snapshot, else where to place the file and
 * the URL(s) to fetch it from on a machine that has network.
 */
export function byHandHint(entry: ModelEntry, options: CacheOptions): string {
  const { source } = entry;
  const manual = manualPlacementPath(entry, source.files[0]?.path ?? '', options);
  if (source.kind === 'huggingface' && source.snapshot) return offlineSnapshotHint(source, manual);
  const urls = fileUrlsOf(entry, options.env ?? process.env);
  const from =
    urls.length === 0 ? '' : ` (download ${urls.length === 1 ? 'it' : 'them'} from ${urls.join(', ')})`;
  if (source.files.length === 1) return `Place ${source.files[0]?.path} by hand at ${manual}${from}`;
  const folder = manualPlacementPath(entry, '', options);
  return `Place ${source.files.map((f) => f.path).join(', ')} by hand in ${folder.replace(/\/?$/, '/')}${from}`;
}

/** The folders a pull of `entry` may create under `roots`, outermost first. */
export function foldersPullMayCreate(entry: ModelEntry, roots: WriteRoots): string[] {
  const { source } = entry;
  if (source.kind === 'url') {
    return [join(roots.toonloraHome, 'models'), manualModelDir(roots.toonloraHome, entry.id)];
  }
  if (source.kind !== 'huggingface') return [];
  const downloads = join(roots.toonloraHome, 'downloads', entry.id);
  const repoDir = hfRepoDir(roots.hfHubCache, source.repo);
  return [
    downloads,
    snapshotPullDir(roots.toonloraHome, entry.id, source.revision),
    // the .part files go into the HF cache (hfPartialDir), which a failed first pull leaves as it found it
    join(roots.hfHubCache, '..'),
    roots.hfHubCache,
    repoDir,
    join(hfPartialDir(repoDir, source.revision), '..'),
  ];
}
