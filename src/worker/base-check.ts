// src/worker/base-check.ts — the base model a CLI training run names, checked before anything runs, by the dry run
// and the real run alike: a path that does not exist, a .safetensors that is a LoRA, an image or no SD1.5
// checkpoint, a folder without the diffusers SD1.5 files, a Hub id not in the Hugging Face cache. The words and
// hints are the worker's own (trainer/toonlora_trainer/base_files.py, models.py), which a real run printed only
// once the worker had started. A registry base (anything-v5) not on disk: a dry run needs no weights, so it only
// warns, naming the pull (notPulledBaseWarning); a real run or a generate refuses it (checkBasePulled).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type ErrorFix, FIX_SLOT } from '../error-fix.js';
import { isToonloraError, ToonloraError } from '../errors.js';
import { anImage } from '../vision/image-sniff.js';
import { openSafetensors } from '../lora/safetensors-read.js';
import {
  type BaseModelOptions,
  checkBaseModelName,
  localBasePath,
  registryBaseModelId,
} from '../models/base-model.js';
import { basePullCommand, baseSnapshot, parseHubBase, readHubBase } from '../models/base-revision.js';
import { findModelDir, hubCacheSnapshotDir } from '../models/cache.js';

/** The files of a diffusers SD1.5 folder the worker reads, each as the names any one of which will do (base_files.py). */
const DIFFUSERS_LAYOUT_FILES: ReadonlyArray<readonly string[]> = [
  ['tokenizer/vocab.json', 'tokenizer/tokenizer.json'],
  ['text_encoder/config.json'],
  ['text_encoder/model.safetensors', 'text_encoder/pytorch_model.bin'],
  ['vae/config.json'],
  ['vae/diffusion_pytorch_model.safetensors', 'vae/diffusion_pytorch_model.bin'],
  ['unet/config.json'],
  ['unet/diffusion_pytorch_model.safetensors', 'unet/diffusion_pytorch_model.bin'],
  ['scheduler/scheduler_config.json'],
];

const isFile = (path: string) => existsSync(path) && statSync(path).isFile();

/** The layout files `folder` lacks, as base_files.py missing_layout_files names them. */
export function missingLayoutFiles(folder: string): string[] {
  return DIFFUSERS_LAYOUT_FILES.filter((names) => !names.some((name) => isFile(join(folder, name)))).map(
    ([first, ...others]) =>
      `${first}${others.length > 0 ? ` (or ${others.map((n) => n.split('/').pop()).join(', ')})` : ''}`,
  );
}

/** A --base path that is not there (CLI: "Check the --base path (…)"; web: the Base model field). */
const PATH_FIX: ErrorFix = { kind: 'choose-base', why: 'path' };
const BASE_KINDS =
  '--base takes the SD1.5 model a LoRA is trained on: a single-file checkpoint (.safetensors), a diffusers folder, a Hugging Face id or tiny.';

/**
 * What the tensor names of a single-file base say is wrong with it, or undefined for an SD1.5 checkpoint
 * (its UNet under `model.diffusion_model.`, as diffusers' from_single_file reads it).
 */
export function checkpointRefusal(path: string, names: readonly string[]): string | undefined {
  const lora = names.find((n) => /(^lora_(unet|te\d?)_|\.lora_(down|up|A|B)\.|\.(lokr|hada)_w\d)/.test(n));
  if (lora) return `${path}: this is a LoRA (tensor "${lora}"), not a base model checkpoint. ${BASE_KINDS}`;
  if (names.some((n) => n.startsWith('conditioner.embedders.')))
    return `${path}: this is an SDXL checkpoint; toonlora trains SD1.5-architecture checkpoints. ${BASE_KINDS}`;
  if (!names.some((n) => n.startsWith('model.diffusion_model.')))
    return `${path}: not an SD1.5 checkpoint (none of its ${names.length} tensors is a model.diffusion_model.* UNet weight). ${BASE_KINDS}`;
  return undefined;
}

/** A single-file base: there, a readable safetensors header, an SD1.5 checkpoint's tensors (a .ckpt is not opened). */
async function checkSingleFile(path: string): Promise<void> {
  if (!isFile(path))
    throw new ToonloraError('TL_ERR_INPUT_NOT_FOUND', `${path}: base checkpoint file not found.`, {
      details: { file: path },
      fix: { kind: 'choose-base', why: 'file' },
    });
  if (!/\.safetensors$/i.test(path)) return;
  let names: string[];
  try {
    const reader = await openSafetensors(path);
    await reader.close();
    names = reader.header.tensors.map((t) => t.name);
  } catch (error) {
    if (!isToonloraError(error)) throw error;
    const image = error.details.image;
    const message =
      typeof image === 'string'
        ? `${path}: this is ${anImage(image)}, not a base model checkpoint. ${BASE_KINDS}`
        : `${path}: not a readable .safetensors checkpoint (${error.message.replace(/^[^:]*: /, '')}). The file is truncated or not a model; download it again.`;
    throw new ToonloraError('TL_ERR_INPUT_INVALID', message, { details: { file: path } });
  }
  const refusal = checkpointRefusal(path, names);
  if (refusal) throw new ToonloraError('TL_ERR_INPUT_INVALID', refusal, { details: { file: path } });
}

function modelMissing(base: string, message: string, fix?: ErrorFix): ToonloraError {
  return new ToonloraError('TL_ERR_MODEL_MISSING', message, { details: { model: base }, fix });
}

/**
 * Checks the base a CLI training run names as the worker would load it, before any worker starts.
 * @throws ToonloraError TL_ERR_INPUT_NOT_FOUND (a checkpoint file that is not there), TL_ERR_INPUT_INVALID (a
 *   file that is a LoRA, an image, unreadable or no SD1.5 checkpoint), TL_ERR_MODEL_MISSING (no such folder, a
 *   folder without the diffusers SD1.5 files, a Hub id not or only partly in the Hugging Face cache)
 */
export async function checkTrainingBase(name: string, options: BaseModelOptions = {}): Promise<void> {
  if (name === 'tiny' || registryBaseModelId(name) !== undefined) return;
  const local = localBasePath(name, options);
  if (local !== undefined) {
    if (/\.(safetensors|ckpt)$/i.test(local)) return checkSingleFile(local);
    if (!existsSync(local))
      throw modelMissing(name, `${local}: base model not found on this machine. No such folder.`, PATH_FIX);
    if (!statSync(local).isDirectory())
      throw modelMissing(
        name,
        `${local}: cannot load this base model (a file that is no .safetensors or .ckpt checkpoint).`,
        PATH_FIX,
      );
    const missing = missingLayoutFiles(local);
    if (missing.length > 0)
      throw modelMissing(
        name,
        `${local}: cannot load this base model folder: the folder lacks ${missing.join(', ')}. Put the missing files there (a diffusers SD1.5 layout), or pass another folder / .safetensors file.`,
      );
    return;
  }
  checkBaseModelName('--base / baseModel', name, options); // a near miss of a known base: "did you mean"
  readHubBase(name); // `owner/name@` with no valid revision: refused as such, not "not found"
  if (name.split('/').length !== 2 && parseHubBase(name) === undefined)
    // `owner/name@refs/pr/1` is a Hub id
    throw modelMissing(name, `${name}: base model not found on this machine. No such folder.`, PATH_FIX);
  const base = parseHubBase(name) ?? { repo: name, revision: undefined };
  const revisionDir = base.revision === undefined ? undefined : baseSnapshot(base, options)?.dir;
  const snapshot =
    base.revision === undefined
      ? hubCacheSnapshotDir(name, options)
      : revisionDir !== undefined && existsSync(revisionDir)
        ? revisionDir
        : undefined;
  const pull = `Pull it into the Hugging Face cache first (\`${basePullCommand(base)}\`: any diffusers SD1.5 repo), or pass a local folder / .safetensors file.`;
  if (snapshot === undefined)
    throw modelMissing(
      name,
      `${name}: base model not found on this machine (not in the Hugging Face cache). ${pull}`,
      { kind: 'pull-model', id: base.repo },
    );
  const missing = missingLayoutFiles(snapshot);
  if (missing.length > 0)
    throw modelMissing(
      name,
      `${name}: only partly in the Hugging Face cache (${snapshot} lacks ${missing.join(', ')}: a stopped pull, or not an SD1.5 model). ${pull}`,
      { kind: 'pull-model', id: base.repo },
    );
}

/**
 * The warning a dry run prints for a registry base (anything-v5, or its Hub id) not on this machine's disk: the
 * dry run needs no weights, the real run refuses it (checkBasePulled). Undefined for any other base (checkTrainingBase
 * refuses a Hub id not in the cache, or a missing path) and for a registry base on disk.
 */
export function notPulledBaseWarning(name: string, options: BaseModelOptions = {}): string | undefined {
  const id = registryBaseModelId(name);
  if (id === undefined || findModelDir(id, options) !== undefined) return undefined;
  return `the base model ${name} is not downloaded yet: this dry run needs no weights, but a real run refuses to start without it. Run \`toonlora models pull ${id}\` first.`;
}

/**
 * A real training run's or a generate's check of a registry base (anything-v5, or its Hub id): on this machine's
 * disk, or refused before any worker starts (the worker failed to load it only after starting, with the same code).
 * Other bases: checkTrainingBase.
 * @throws ToonloraError TL_ERR_MODEL_MISSING naming `toonlora models pull <id>`
 */
export function checkBasePulled(name: string, options: BaseModelOptions = {}): void {
  const id = registryBaseModelId(name);
  if (id === undefined || findModelDir(id, options) !== undefined) return;
  throw modelMissing(
    name,
    `${name}: base model not found on this machine (not downloaded yet). Run \`toonlora models pull ${id}\` first, or ${FIX_SLOT}`,
    { kind: 'choose-base', why: 'not-pulled', pull: id },
  );
}
