// src/models/base-model.ts — what a base-model name (`--base`, `training.baseModel`) means to the worker.
// A registry base (its id, e.g. `anything-v5`, or its Hugging Face repo) is loaded from the folder the
// registry finds it in, so that what `models list` / `doctor` call present is what the worker opens, a
// hand-placed copy included; a local file or folder is made absolute against the user's working folder
// (the worker runs in trainer/); `tiny` and Hub ids pass unchanged; a near miss of a known name is refused.
// A name a server job got over the API is never a local path: a Hub id is read from the Hugging Face cache.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, resolve } from 'node:path';
import { ToonloraError } from '../errors.js';
import { DEFAULT_BASE_MODEL } from '../schemas/config.js';
import { suggestKey } from '../schemas/unknown-keys.js';
import { type CacheOptions, findModelDir, hubCacheSnapshotDir } from './cache.js';
import {
  basePullCommand,
  baseSnapshot,
  type HubBase,
  parseHubBase,
  pinnedBaseName,
} from './base-revision.js';
import { expandHomeDir } from './cache-paths.js';
import { findPulledHubModelDir } from './hub-snapshot.js';
import { getModelEntry, listModelIds } from './registry.js';

const TINY = 'tiny';

/** CacheOptions plus the folder a relative base path is read from (default: process.cwd()). */
export interface BaseModelOptions extends CacheOptions {
  cwd?: string;
  /**
   * The name came over the API (a server job): it is never a local file or folder, so a client cannot make
   * the server open or probe its paths; a Hub id is the snapshot folder in the Hugging Face cache.
   * Default false: the CLI's `--base`, where a relative folder is read from `cwd`.
   */
  fromApi?: boolean;
}

/** `--help` text of `train --base` / `generate --base`, which take any base-model name. */
export const BASE_MODEL_HELP =
  'base model: anything-v5 (pulled or placed by hand; also by its HF id), another HF id in diffusers layout (owner/name, or owner/name@REV for the branch, tag or commit `models pull --revision REV` fetched), a local diffusers folder, an SD1.5 .safetensors file, or tiny';

/** Registry ids of the models the trainer and the generator load as a base. */
export function registryBaseModelIds(): string[] {
  return listModelIds().filter((id) => getModelEntry(id).stages.includes('train'));
}

/** The registry id `name` stands for (the id itself, or its Hugging Face repo), or undefined. */
export function registryBaseModelId(name: string): string | undefined {
  return registryBaseModelIds().find((id) => {
    const { source } = getModelEntry(id);
    return name === id || (source.kind === 'huggingface' && source.repo === name);
  });
}

/** Whether `name` is written as a path: a `.safetensors` / `.ckpt` file, or it starts with `./ ../ / ~/`. */
export function looksLikePath(name: string): boolean {
  return /\.(safetensors|ckpt)$/i.test(name) || /^(\.{1,2}|~)?\//.test(name);
}

/**
 * The absolute path base-model `name` stands for, or undefined when it is not a path: written as one
 * (looksLikePath), or naming a file or folder that exists in `cwd`. `tiny` and API names (`fromApi`)
 * never are.
 */
export function localBasePath(name: string, options: BaseModelOptions = {}): string | undefined {
  if (name === TINY || options.fromApi) return undefined;
  const path = resolve(options.cwd ?? process.cwd(), expandHomeDir(name, options.homeDir ?? homedir()));
  return looksLikePath(name) || existsSync(path) ? path : undefined;
}

function notInHubCache(field: string, name: string, base: HubBase): ToonloraError {
  return new ToonloraError(
    'TL_ERR_MODEL_MISSING',
    `${field}: ${name} is not in the server's Hugging Face cache. Run \`${basePullCommand(base)}\` on the server's machine (any diffusers SD1.5 repo on the Hub), or use tiny (a small random-weight model: the flow runs, the images are noise).`,
    { details: { fields: [field], model: name }, fix: { kind: 'pull-model', id: base.repo } },
  );
}

function partlyInHubCache(field: string, name: string, snapshot: string, base: HubBase): ToonloraError {
  return new ToonloraError(
    'TL_ERR_MODEL_MISSING',
    `${field}: ${name} is only partly in the server's Hugging Face cache (${snapshot} lacks files of an SD1.5 load: a stopped pull, or not an SD1.5 model). Run \`${basePullCommand(base)}\` on the server's machine to finish it, or use tiny (a small random-weight model: the flow runs, the images are noise).`,
    { details: { fields: [field], model: name }, fix: { kind: 'pull-model', id: base.repo } },
  );
}

/**
 * The snapshot folder of Hub id `name` holding a complete SD1.5 layout (hub-pull.ts completeSd15Snapshot: what a
 * finished `models pull` leaves), as a server job loads it.
 * @throws ToonloraError TL_ERR_MODEL_MISSING naming the pull: none there, or only a stopped pull's files
 */
function hubCacheBaseDir(field: string, name: string, options: CacheOptions): string {
  const base = parseHubBase(name) ?? { repo: name, revision: undefined };
  const complete = findPulledHubModelDir(base.repo, { ...options, revision: base.revision });
  if (complete !== undefined) return complete;
  const partial =
    base.revision === undefined ? hubCacheSnapshotDir(name, options) : baseSnapshot(base, options)?.dir;
  throw partial === undefined || !existsSync(partial)
    ? notInHubCache(field, name, base)
    : partlyInHubCache(field, name, partial, base);
}

/**
 * A Hub base named at a revision (`owner/name@REV`) as the worker loads it: `owner/name@<commit>` of the snapshot the
 * revision names in the cache (an API job's: complete, or refused), or the name unchanged when the CLI's is not there
 * (checkTrainingBase refused it before; the worker names the pull). Undefined for any other name.
 */
function pinnedHubBase(name: string, options: BaseModelOptions): string | undefined {
  const base = parseHubBase(name);
  if (base?.revision === undefined) return undefined;
  if (options.fromApi)
    return pinnedBaseName(base.repo, basename(hubCacheBaseDir('baseModel', name, options)));
  const snapshot = baseSnapshot(base, options);
  return snapshot === undefined ? name : pinnedBaseName(base.repo, snapshot.commit);
}

/**
 * Refuses a bare base-model name (no `owner/`) that is nothing on this machine but close to a known one
 * (`anythng-v5`, `tinny`): not `tiny`, a registry base, nor a local path. A Hub id (`owner/name`) is never
 * refused, since the Hub has many repos a letter or two from anything-v5 (`stablediffusionapi/anything-v3`);
 * it and other unknown names pass, and the worker names what is missing.
 * @param field where the name came from, e.g. `--base`
 * @throws ToonloraError TL_ERR_MODEL_UNKNOWN with "did you mean <name>?"
 */
export function checkBaseModelName(field: string, name: string, options: BaseModelOptions = {}): void {
  if (name === TINY || registryBaseModelId(name) !== undefined || localBasePath(name, options)) return;
  if (name.includes('/')) return;
  const known = baseModelChoices(options).flatMap((choice) => choice.aliases);
  const suggestion = suggestKey(
    [name],
    known.filter((alias) => !alias.includes('/')),
  );
  if (suggestion === undefined) return;
  throw new ToonloraError(
    'TL_ERR_MODEL_UNKNOWN',
    `${field}: unknown base model "${name}" (not ${TINY}, a registry base, a local file or folder, nor a ` +
      `Hugging Face id in the cache); did you mean ${suggestion}? Known bases: ${known.join(', ')}.`,
    { details: { model: name, suggestion } },
  );
}

/**
 * What the worker loads for base-model `name`: a registry base's folder when it is on disk, its Hub repo
 * when not (the worker then names the pull); a local path made absolute against `options.cwd`; `tiny` and
 * other Hub ids unchanged; a Hub id at a revision (`owner/name@REV`) is `owner/name@<commit>` (base-revision.ts),
 * the commit the worker loads and records. With `options.fromApi` no name is a local path, and another Hub id is its
 * snapshot folder in the Hugging Face cache (the worker, whose cwd is trainer/, would read a relative
 * `owner/name` that exists there as a folder); only a complete SD1.5 snapshot counts, not a stopped pull's.
 * @throws ToonloraError TL_ERR_MODEL_UNKNOWN for a near miss of a known base (checkBaseModelName);
 *   TL_ERR_MODEL_MISSING for an API Hub id not in the cache
 */
export function workerBaseModel(name: string, options: BaseModelOptions = {}): string {
  const pinned = localBasePath(name, options) === undefined ? pinnedHubBase(name, options) : undefined;
  if (pinned !== undefined) return pinned;
  const id = registryBaseModelId(name);
  if (id === undefined && options.fromApi) {
    if (name === TINY) return name;
    return hubCacheBaseDir('baseModel', name, options);
  }
  if (id === undefined) {
    const local = localBasePath(name, options);
    if (local) return local;
    checkBaseModelName('--base / baseModel', name, options);
    return name;
  }
  const { source } = getModelEntry(id);
  return findModelDir(id, options) ?? (source.kind === 'huggingface' ? source.repo : name);
}

/**
 * The folder of the default SD1.5 base (anything-v5) when on disk, else null. A single-file `.safetensors`
 * base is built with its component configs when the Hugging Face cache has no SD1.5 configs of its own.
 */
export function sd15ConfigDir(options: CacheOptions = {}): string | null {
  const id = registryBaseModelId(DEFAULT_BASE_MODEL);
  return id === undefined ? null : (findModelDir(id, options) ?? null);
}

/** A base model a server job may name, as the web app's Train form offers it. */
export interface BaseModelChoice {
  /** The name to send (`anything-v5`, `tiny`). */
  name: string;
  /** Every name the server reads as this base (the id and its Hugging Face repo). */
  aliases: string[];
  /** Whether the worker can load it on this machine now. */
  present: boolean;
  description: string;
}

/** The bases a server job can name: the registry's (present or not on this machine), then `tiny`. */
export function baseModelChoices(options: CacheOptions = {}): BaseModelChoice[] {
  const registry = registryBaseModelIds().map((id): BaseModelChoice => {
    const { source, description } = getModelEntry(id);
    return {
      name: id,
      aliases: source.kind === 'huggingface' ? [id, source.repo] : [id],
      present: findModelDir(id, options) !== undefined,
      description,
    };
  });
  const tiny: BaseModelChoice = {
    name: TINY,
    aliases: [TINY],
    present: true,
    description: 'a small random-weight SD1.5-shaped model: the flow runs, the images are noise',
  };
  return [...registry, tiny];
}

/**
 * A server job's check before it starts a worker: a registry base must be on this machine's disk, and
 * another Hub id in its Hugging Face cache as a complete SD1.5 layout (a stopped pull's files are not) (a job's name is never a local path: workerBaseModel's
 * `fromApi`). The fix named is the server's: a `toonlora models pull` there, or `tiny`; not the CLI's
 * local paths, which the API refuses.
 * @param field the job field, e.g. `params.training.baseModel`
 * @throws ToonloraError TL_ERR_MODEL_MISSING
 */
export function checkBaseModelOnDisk(field: string, name: string, options: CacheOptions = {}): void {
  const id = registryBaseModelId(name);
  if (id === undefined) {
    if (name !== TINY) hubCacheBaseDir(field, name, options);
    return;
  }
  if (findModelDir(id, options) !== undefined) return;
  throw new ToonloraError(
    'TL_ERR_MODEL_MISSING',
    `${field}: ${name} is not downloaded on the server. Run \`toonlora models pull ${id}\` on the server's machine, or use tiny (a small random-weight model: the flow runs, the images are noise).`,
    { details: { fields: [field], model: id }, fix: { kind: 'pull-model', id } },
  );
}
