// src/models/pull-ids.ts — what the names given to `models pull` stand for: registry ids, `all` (every missing
// model, with any other names given beside it), a registry model's Hugging Face repo (`owner/name`), and any
// other Hub id, kept as is (pulled as an SD1.5 base by hub-pull.ts); a pasted Hub address is read as its id and
// revision (`…/tree/v1.0` pulls v1.0).
import { ToonloraError } from '../errors.js';
import type { CacheOptions } from './cache.js';
import { readHubBase } from './base-revision.js';
import { parseHubAddress } from './hub-address.js';
import { isHubRepoId } from './hub-pull.js';
import { getModelEntry, listModelIds } from './registry.js';

/** The registry id whose Hugging Face repo is `repo` (`stablediffusionapi/anything-v5` -> `anything-v5`). */
export function registryIdOfRepo(repo: string): string | undefined {
  return listModelIds().find((id) => {
    const { source } = getModelEntry(id);
    return source.kind === 'huggingface' && source.repo === repo;
  });
}

/** A name `models pull` cannot take: the known ids, and that any Hub id `owner/name` is taken too. */
function unknownPullIdError(name: string): ToonloraError {
  return new ToonloraError(
    'TL_ERR_MODEL_UNKNOWN',
    `model: unknown id "${name}". Known ids: ${listModelIds().join(', ')}; or a Hugging Face Hub id ` +
      '`owner/name` (a diffusers SD1.5 repo, pulled as a base for --base owner/name).',
    { details: { model: name } },
  );
}

/**
 * The ids to pull for the names given, in order, each once: `all` stands for `missingIds` (every model not
 * on disk), a registry model's Hub repo for its id, another Hub id (`owner/name`) for itself.
 * @param _options kept for callers; the names are resolved without looking at the disk
 * @throws ToonloraError TL_ERR_MODEL_UNKNOWN for a name that is neither a registry id nor a Hub id.
 */
export function resolvePullIds(
  names: readonly string[],
  missingIds: readonly string[],
  _options: CacheOptions = {},
): string[] {
  const ids = names.flatMap((name) => {
    if (name === 'all') return missingIds;
    const fromRepo = registryIdOfRepo(name);
    if (fromRepo) return [fromRepo];
    if (isHubRepoId(name) && !listModelIds().includes(name)) return [name];
    if (listModelIds().includes(name)) return [name];
    throw unknownPullIdError(name);
  });
  return [...new Set(ids)];
}

/**
 * `--revision` with anything but one Hub repo outside the registry is a usage error before any download (a
 * registry model is pulled at the revision it pins, and one revision cannot be every id's).
 */
export function checkRevisionIds(ids: readonly string[], revision: string | undefined): void {
  if (revision === undefined) return;
  const [id] = ids;
  if (ids.length === 1 && id !== undefined && isHubRepoIdOutsideRegistry(id)) return;
  throw new ToonloraError(
    'TL_ERR_USAGE',
    `--revision ${revision} goes with one Hub repo outside the registry (\`models pull owner/name --revision ` +
      `${revision}\`), not with ${ids.join(' ')}: a registry model is pulled at the revision toonlora checked`,
    { details: { ids: [...ids], revision } },
  );
}

/** Whether `id` is a Hub repo id that is neither a registry id nor a registry model's repo. */
export function isHubRepoIdOutsideRegistry(id: string): boolean {
  return !listModelIds().includes(id) && isHubRepoId(id) && registryIdOfRepo(id) === undefined;
}

/** A name given with the revision it shows, and how the clash message names it. */
interface ShownRevision {
  repo: string;
  revision: string | undefined;
  said: string;
}

/**
 * `name` read as a Hub repo at a revision: a pasted address (`…/tree/v1.0`) or a base `owner/name@REV` (as `models
 * list` names one); undefined for any other name.
 * @throws ToonloraError TL_ERR_USAGE for `owner/name@` with no valid revision after it
 */
function shownRevision(name: string): ShownRevision | undefined {
  const address = parseHubAddress(name);
  if (address !== undefined) return { ...address, said: 'the address given shows' };
  const base = name.includes('@') ? readHubBase(name) : undefined;
  return base === undefined ? undefined : { ...base, said: `${name} names` };
}

/**
 * The names given to `models pull` (or `models path`) with each pasted Hub address
 * (`https://huggingface.co/owner/name/tree/v1.0`) and each `owner/name@REV` read as its `owner/name`, and the
 * revision: `--revision`, else the one a name shows. Pure.
 * @param command the command named in the usage error
 * @throws ToonloraError TL_ERR_USAGE when a name shows a revision other than `--revision`, or names show two, or
 *   `owner/name@REV` has no valid revision.
 */
export function readPullNames(
  names: readonly string[],
  revision: string | undefined,
  command = 'models pull',
): { ids: string[]; revision: string | undefined } {
  const read = names.map(shownRevision);
  const shown = read.filter(
    (name): name is ShownRevision & { revision: string } => name?.revision !== undefined,
  );
  const first = shown[0]?.revision;
  const clash = shown.find((name) => name.revision !== (revision ?? first));
  if (clash !== undefined) {
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `${command}: ${clash.said} revision ${clash.revision}, but ${revision === undefined ? `another shows ${first}` : `--revision is ${revision}`}: ` +
        'give one revision (owner/name@REV, the address, or owner/name with --revision)',
      { details: { names: [...names], revision: revision ?? null } },
    );
  }
  return {
    ids: names.map((name, i) => read[i]?.repo ?? name),
    revision: revision ?? first,
  };
}
