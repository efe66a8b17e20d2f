// src/models/pull-ids.ts — what the names given to `models pull` stand for: registry ids, `all` (every missing
// model, with any other names given beside it), and a registry model's Hugging Face repo (`owner/name`). Any
// other Hub id is refused with the `hf download` command that fetches it as a base and where toonlora finds it.
import { homedir } from 'node:os';
import { ToonloraError } from '../errors.js';
import type { CacheOptions } from './cache.js';
import { hfHubCacheFor, hfRepoDir } from './cache-paths.js';
import { hfDownloadCommand } from './offline-hint.js';
import { getModelEntry, listModelIds } from './registry.js';

/** The registry id whose Hugging Face repo is `repo` (`stablediffusionapi/anything-v5` -> `anything-v5`). */
function registryIdOfRepo(repo: string): string | undefined {
  return listModelIds().find((id) => {
    const { source } = getModelEntry(id);
    return source.kind === 'huggingface' && source.repo === repo;
  });
}

const HUB_ID = /^[\w.-]+\/[\w.-]+$/;

/** The error for a Hub id no registry model comes from: the download command and the folder the worker reads. */
function hubIdError(repo: string, options: CacheOptions): ToonloraError {
  const base = getModelEntry('anything-v5').source;
  if (base.kind !== 'huggingface') throw new Error('anything-v5 must come from the Hub');
  const command = hfDownloadCommand({ ...base, repo, revision: 'main' });
  const cacheDir = hfRepoDir(hfHubCacheFor(options.env ?? process.env, options.homeDir ?? homedir()), repo);
  return new ToonloraError(
    'TL_ERR_MODEL_UNKNOWN',
    `"${repo}" is a Hugging Face repo, not a model of toonlora's registry (${listModelIds().join(', ')}), ` +
      `so models pull does not fetch it. To use it as a base (SD1.5, diffusers layout), run \`${command}\`: ` +
      `it goes to the Hugging Face cache (${cacheDir}/snapshots/<commit>/), where ` +
      `\`toonlora train --base ${repo}\` and \`toonlora generate --base ${repo}\` find it`,
    { details: { model: repo } },
  );
}

/**
 * The registry ids to pull for the names given, in order, each once: `all` stands for `missingIds` (every
 * model not on disk), a registry model's Hub repo for its id.
 * @throws ToonloraError TL_ERR_MODEL_UNKNOWN for an unknown name (a Hub id: with the `hf download` command).
 */
export function resolvePullIds(
  names: readonly string[],
  missingIds: readonly string[],
  options: CacheOptions = {},
): string[] {
  const ids = names.flatMap((name) => {
    if (name === 'all') return missingIds;
    const fromRepo = registryIdOfRepo(name);
    if (fromRepo) return [fromRepo];
    if (HUB_ID.test(name) && !listModelIds().includes(name)) throw hubIdError(name, options);
    return [getModelEntry(name).id]; // an unknown id: the registry's error, naming the known ids
  });
  return [...new Set(ids)];
}
