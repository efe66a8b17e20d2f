// src/lora/diffusers-copy.ts — the LoRA file to hand the generation worker, which loads a LoRA with
// diffusers' `load_lora_weights` and a LoKr with its own LyCORIS loader (trainer lokr_file.py). These
// inputs need a converted copy, made once into a cache folder and reused while the input is unchanged:
// - a kohya file with several alphas where diffusers would apply the most common one to a module with
//   another (UNet attention, text-encoder modules, a module without .alpha: DIFFUSERS_KOHYA_ALPHA_NOTE),
//   so it would generate at the wrong strength; the copy is in the diffusers format, every alpha kept;
// - a PEFT LoRA adapter (a training run's adapter_model.safetensors or its folder): load_lora_weights
//   does not read PEFT keys, and the alpha lives in adapter_config.json; the copy is diffusers format;
// - a PEFT LoKr adapter: the LoKr loader reads LyCORIS (kohya) files; the copy is one;
// - a kohya DoRA file: load_lora_weights drops its dora_scale (plain LoRA, no note); the diffusers copy
//   holds PEFT's lora_magnitude_vector, which diffusers 0.42 loads with use_dora and applies;
// - a diffusers attention-processor file saved without the `unet.` prefix (save_attn_procs):
//   load_lora_weights finds no module in it; the copy has `unet.` keys;
// - a kohya file with LDM-style module names (`lora_unet_input_blocks_1_1_proj_in`, as A1111 maps
//   them): diffusers finds no such module; the copy has diffusers names;
// - a kohya file with an `.alpha` and no weights for it: load_lora_weights raises on the leftover key;
//   the copy leaves it out;
// - a diffusers file whose lora_adapter_metadata names `text_model.` text-encoder targets (older
//   toonlora wrote them): transformers 5 has no such module; the copy names them without it.
// - a kohya file with text-encoder q/k/v_proj modules and no out_proj one (a PEFT text-encoder adapter
//   on q_proj + v_proj, converted): diffusers reads such keys in neither of its formats and drops them
//   (or raises), see loader-diffusers.ts diffusersLostTextEncoderModules; the copy has PEFT-style keys.
// - a kohya or diffusers file that stores a 1x1-convolution module's LoRA (proj_in, proj_out,
//   conv_shortcut) as 2-D `[r, in]` / `[out, r]` weights, as some trainers do: diffusers creates Conv2d
//   LoRA layers there and raises a size mismatch; the copy holds them as `[r, in, 1, 1]` / `[out, r, 1, 1]`
//   (convert-plan.ts conv1x1Shapes), as the WebUI reshapes them.
// Every other file (kohya with one alpha, diffusers, LyCORIS LoKr) is handed over as it is. An SDXL
// LoRA is refused by name first (sdxl-check.ts): no copy makes it fit an SD1.5 base. Each copy
// names its original in its metadata (COPY_SOURCE_METADATA_KEY), for the worker's error messages and
// so that making a copy removes the stale ones: an older version's, and those whose original is gone.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ToonloraError } from '../errors.js';
import { ldmModuleNames } from './compvis-names.js';
import { convertLora } from './convert.js';
import { conv1x1Shapes } from './convert-plan.js';
import {
  diffusersLostTextEncoderModules,
  diffusersMisreadAlphas,
  diffusersMissesTextModelTargets,
} from './loader-compat.js';
import { kohyaModuleName } from './lora-keys.js';
import { doraAxis, type LoraModule } from './lora-model.js';
import { type OpenedAdapter, openAdapter } from './open-adapter.js';
import { resolveWeightsPath } from './open-lora.js';
import { openSafetensors } from './safetensors-read.js';
import { assertNotSdxl } from './sdxl-check.js';
import { unknownKeysError } from './unknown-keys.js';

export interface DiffusersLoraChoice {
  /** The file to load: the input itself, or its converted copy. */
  readonly path: string;
  /** Set when the input was replaced by a converted copy (or could not be), saying why. */
  readonly note?: string;
}

interface NeededCopy {
  readonly to: 'diffusers' | 'kohya';
  /** Why, as the start of the note: `<name> is a PEFT adapter, which ...`. */
  readonly why: string;
  /** Whether the input still loads (at some wrong strengths) when the copy cannot be made. */
  readonly usableAsIs: boolean;
}

/** The copy `opened` needs before the generation worker loads it, or undefined (see the header). */
function neededCopy(opened: OpenedAdapter, name: string): NeededCopy | undefined {
  if (opened.algorithm === 'lokr') {
    if (opened.model.format !== 'peft') return undefined;
    return {
      to: 'kohya',
      why: `${name} is a PEFT LoKr adapter, and toonlora generate loads LoKr from LyCORIS files`,
      usableAsIs: false,
    };
  }
  const { model } = opened;
  const dora = model.modules.filter((m) => m.magnitude);
  if (dora.length > 0 && model.format === 'kohya') {
    refuseUnappliableDora(dora, name);
    return {
      to: 'diffusers',
      why: `${name} is a DoRA LoRA (dora_scale), whose magnitude diffusers' load_lora_weights drops from a kohya file`,
      usableAsIs: false,
    };
  }
  if (model.format === 'diffusers' && diffusersMissesTextModelTargets(opened.reader.header.metadata)) {
    return {
      to: 'diffusers',
      why: `${name} names its text-encoder modules with 'text_model.' in lora_adapter_metadata, which diffusers cannot match with transformers 5 (older toonlora versions wrote such files)`,
      usableAsIs: false,
    };
  }
  if (
    model.format === 'diffusers' &&
    opened.reader.header.tensors.some((t) => !/^(unet|text_encoder)\./.test(t.name))
  ) {
    return {
      to: 'diffusers',
      why: `${name} holds attention-processor keys without the unet. prefix (save_attn_procs), which diffusers' load_lora_weights does not read`,
      usableAsIs: false,
    };
  }
  if (model.format === 'peft') {
    return {
      to: 'diffusers',
      why: `${name} is a PEFT adapter, which diffusers' load_lora_weights does not read`,
      usableAsIs: false,
    };
  }
  const ldm = model.format === 'kohya' ? ldmModuleNames(opened.reader.header.tensors.map((t) => t.name)) : [];
  if (ldm.length > 0) {
    return {
      to: 'diffusers',
      why: `${name} names ${ldm.length} module(s) after the original LDM UNet (e.g. ${ldm[0]}), which diffusers' load_lora_weights does not map`,
      usableAsIs: false,
    };
  }
  const orphans = model.orphanAlphas?.length ?? 0;
  if (model.format === 'kohya' && orphans > 0) {
    return {
      to: 'diffusers',
      why: `${name} has ${orphans} .alpha tensor(s) with no weights beside them, on which diffusers' load_lora_weights raises`,
      usableAsIs: false,
    };
  }
  const lostTe =
    model.format === 'kohya'
      ? diffusersLostTextEncoderModules(opened.reader.header.tensors.map((t) => t.name))
      : undefined;
  if (lostTe) {
    return {
      to: 'diffusers',
      why: `${name} has text-encoder q/k/v_proj modules and no out_proj module, so diffusers' load_lora_weights ${lostTe.raises ? 'cannot read its text-encoder keys' : `drops ${lostTe.modules.length} of them (e.g. ${lostTe.modules[0]})`}`,
      usableAsIs: false,
    };
  }
  const flat = model.modules.filter((m) => conv1x1Shapes(m) !== undefined);
  const firstFlat = flat[0];
  if (firstFlat) {
    const example = kohyaModuleName(firstFlat.component, firstFlat.path);
    return {
      to: 'diffusers',
      why: `${name} stores ${flat.length} 1x1-convolution module(s) (proj_in / proj_out / conv_shortcut, e.g. ${example}) as 2-D weights, on which diffusers' load_lora_weights raises a size mismatch (the copy holds them as 1x1 convolutions, as the WebUI reshapes them)`,
      usableAsIs: false,
    };
  }
  const misread = model.format === 'kohya' ? diffusersMisreadAlphas(model.modules, true) : [];
  const first = misread[0];
  if (!first) return undefined;
  return {
    to: 'diffusers',
    why: `${name} has ${misread.length} module(s) whose alpha diffusers would not apply (e.g. ${first.module}: alpha ${first.alpha}, diffusers would use ${first.applied}, its component's most common one)`,
    usableAsIs: true,
  };
}

/**
 * Version of what the copies hold, part of their cache name: raise it when a fix changes what convert
 * writes for them, so copies an older toonlora made (and that may not load) are made again.
 * 2: text-encoder target_modules without `text_model.` (transformers 5); the original's path in the metadata.
 * 3: 2-D proj_in / proj_out / conv_shortcut weights written as 1x1 convolutions (a mixed-alpha file's copy).
 */
const COPY_VERSION = 3;

/**
 * Metadata key of a copy naming the file it was made from: the generation worker (trainer generate.py)
 * names that file, not the copy, when diffusers cannot load the copy.
 */
export const COPY_SOURCE_METADATA_KEY = 'toonlora.copy_of';

/**
 * A kohya DoRA module whose `dora_scale` is not per output row (LyCORIS wd_on_out=False): PEFT's
 * magnitude, which is what diffusers applies, cannot hold it, so generate would apply plain LoRA.
 * @throws TL_ERR_LORA_FORMAT naming the file and the first such module.
 */
function refuseUnappliableDora(modules: readonly LoraModule[], name: string): void {
  const other = modules.find((m) => doraAxis(m) !== 'output rows');
  if (!other) return;
  const module = kohyaModuleName(other.component, other.path);
  const shape = JSON.stringify(other.magnitude?.shape);
  throw new ToonloraError(
    'TL_ERR_LORA_FORMAT',
    `${name}: module "${module}": its DoRA dora_scale ${shape} is ${doraAxis(other) === 'input columns' ? 'per input column (LyCORIS wd_on_out=False)' : 'of an unknown shape'}, and DoRA is not applied by diffusers that way (only per output row, as PEFT stores it). Use the WebUI / ComfyUI, or train without --dora.`,
    { details: { file: name, module } },
  );
}

/** Cache file name for one version of the input: its path and its weights' and config's size and time. */
async function copyName(path: string, to: NeededCopy['to']): Promise<string> {
  const { weights, configPath } = await resolveWeightsPath(path);
  const version = async (file: string | undefined) =>
    file === undefined
      ? ''
      : stat(file).then(
          (info) => `${info.size}\0${info.mtimeMs}`,
          () => 'none',
        );
  const key = createHash('sha256')
    .update(`${COPY_VERSION}\0${path}\0${await version(weights)}\0${await version(configPath)}`)
    .digest('hex')
    .slice(0, 16);
  return `${basename(path).replace(/\.safetensors$/i, '')}.${key}.${to}.safetensors`;
}

/**
 * The file the generation worker should load for the LoRA at `path` (a .safetensors file or a PEFT
 * adapter folder): the file itself, or a converted copy in `cacheFolder` (see the header), made on
 * first use and reused while the input is unchanged. A mixed-alpha kohya file that cannot be
 * converted is used as it is, with a note saying why.
 * @throws TL_ERR_INPUT_NOT_FOUND, TL_ERR_SAFETENSORS, TL_ERR_LORA_FORMAT naming the file (also for a
 *   PEFT adapter that cannot be converted).
 */
export async function loraFileForDiffusers(path: string, cacheFolder: string): Promise<DiffusersLoraChoice> {
  const opened = await openAdapter(path);
  await opened.reader.close();
  // An SDXL LoRA by name, before its lora_te2_ keys get the unknown-keys advice (convert --drop-unknown,
  // which refuses an SDXL file) or its UNet a size mismatch: an SD1.5 base cannot use it at all.
  assertNotSdxl(
    opened.reader.header.tensors.map((t) => t.name),
    opened.reader.header.metadata,
    path,
    'generate',
  );
  // Tensors toonlora cannot apply (LoCon lora_mid, SDXL's lora_te2_, PEFT modules_to_save, ...): say so in
  // generate's terms, naming `path`, whether or not the file needs a copy. Handed over as it is, diffusers
  // raises "The following keys have not been correctly renamed: " with an empty list (lora_mid), or
  // skips them (lora_te2_). A LyCORIS LoKr file's own loader names its unknown tensors.
  if ((opened.algorithm === 'lora' || opened.model.format === 'peft') && opened.model.unknownKeys.length > 0)
    throw unknownKeysError(path, opened.model.unknownKeys, 'generate');
  const needed = neededCopy(opened, basename(path));
  if (!needed) return { path };
  const copy = join(cacheFolder, await copyName(path, needed.to));
  const dora = opened.algorithm === 'lora' && opened.model.modules.some((m) => m.magnitude);
  const note = `${needed.why}: generating with its ${needed.to}-format copy ${copy} (every module's alpha${dora ? ' and DoRA magnitude' : ''} kept).`;
  try {
    await stat(copy);
    return { path: copy, note };
  } catch {
    // not made yet
  }
  try {
    await mkdir(cacheFolder, { recursive: true });
    await convertLora({
      input: path,
      output: copy,
      to: needed.to,
      extraMetadata: { [COPY_SOURCE_METADATA_KEY]: path },
    });
  } catch (error) {
    // another generation made the copy meanwhile
    if (error instanceof ToonloraError && error.code === 'TL_ERR_OUTPUT_EXISTS') return { path: copy, note };
    if (!needed.usableAsIs) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    return {
      path,
      note: `${needed.why}, and it could not be converted (${reason}); some modules may apply at the wrong strength.`,
    };
  }
  await pruneStaleCopies(cacheFolder, copy, path);
  return { path: copy, note };
}

/**
 * Removes the copies in `cacheFolder` that no longer serve: those of an older version of the same
 * original, and those whose original is gone (a deleted run or character). A copy is matched to its
 * original by its COPY_SOURCE_METADATA_KEY (`keep` was just made from `original`); a file without one,
 * or that does not read, is left alone.
 */
async function pruneStaleCopies(cacheFolder: string, keep: string, original: string): Promise<void> {
  const source = async (file: string) => {
    const reader = await openSafetensors(file);
    await reader.close();
    return reader.header.metadata[COPY_SOURCE_METADATA_KEY];
  };
  const names = await readdir(cacheFolder).catch(() => []);
  for (const name of names) {
    const file = join(cacheFolder, name);
    if (file === keep || !name.endsWith('.safetensors')) continue;
    const copyOf = await source(file).catch(() => undefined);
    if (copyOf === undefined) continue;
    if (copyOf === original || !existsSync(copyOf)) await rm(file, { force: true });
  }
}
