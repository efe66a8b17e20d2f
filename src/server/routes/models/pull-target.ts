// src/server/routes/models/pull-target.ts — what the id of a web pull names (pure): a registry model (its id,
// or its Hugging Face repo), or another Hub repo `owner/name` pulled as an SD1.5 base (src/models/hub-pull.ts),
// as `toonlora models pull <id>` reads it. The id is the pull's key, so one repo is never pulled twice at once.
import { ToonloraError } from '../../../errors.js';
import { isHubRepoId } from '../../../models/hub-pull.js';
import { registryIdOfRepo } from '../../../models/pull-ids.js';
import { listModelIds, MODEL_REGISTRY } from '../../../models/registry.js';

/** A pull's model: `registry` (an id of the registry) or `hub` (any other Hub repo, an SD1.5 base). */
export interface PullTarget {
  id: string;
  origin: 'registry' | 'hub';
}

/**
 * The model `name` names: a registry id, the registry id of its Hub repo (`stablediffusionapi/anything-v5` ->
 * `anything-v5`), or another Hub repo id `owner/name` as written.
 * @throws ToonloraError TL_ERR_MODEL_UNKNOWN (404) for a name that is none of these, naming what is taken
 */
export function pullTargetOf(name: string): PullTarget {
  if (MODEL_REGISTRY.has(name)) return { id: name, origin: 'registry' };
  const fromRepo = registryIdOfRepo(name);
  if (fromRepo !== undefined) return { id: fromRepo, origin: 'registry' };
  if (isHubRepoId(name)) return { id: name, origin: 'hub' };
  throw new ToonloraError(
    'TL_ERR_MODEL_UNKNOWN',
    `model: unknown id "${name.slice(0, 120)}". Known ids: ${listModelIds().join(', ')}; or a Hugging Face Hub ` +
      'id `owner/name` (a diffusers SD1.5 repo, pulled as a base; URL-encode its `/` as %2F in the path).',
    { details: { model: name } },
  );
}
