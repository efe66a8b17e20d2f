// src/lora/diffusers-copy.ts — the LoRA file to hand the generation worker, which loads a LoRA with
// diffusers' `load_lora_weights` and a LoKr with its own LyCORIS loader (trainer lokr_file.py). Three
// inputs need a converted copy, made once into a cache folder and reused while the input is unchanged:
// - a kohya file with several alphas: diffusers applies only the most common one
//   (DIFFUSERS_KOHYA_ALPHA_NOTE), so some modules would generate at the wrong strength; the copy is in
//   the diffusers format, every module's alpha kept;
// - a PEFT LoRA adapter (a training run's adapter_model.safetensors or its folder): load_lora_weights
//   does not read PEFT keys, and the alpha lives in adapter_config.json; the copy is diffusers format;
// - a PEFT LoKr adapter: the LoKr loader reads LyCORIS (kohya) files; the copy is one.
// Every other file (kohya with one alpha, diffusers, LyCORIS LoKr) is handed over as it is.
import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ToonloraError } from '../errors.js';
import { convertLora } from './convert.js';
import { diffusersMisreadsAlphas, distinctAlphaCount } from './loader-compat.js';
import { type OpenedAdapter, openAdapter } from './open-adapter.js';
import { resolveWeightsPath } from './open-lora.js';

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
  if (model.format === 'peft') {
    return {
      to: 'diffusers',
      why: `${name} is a PEFT adapter, which diffusers' load_lora_weights does not read`,
      usableAsIs: false,
    };
  }
  if (!diffusersMisreadsAlphas(model.format, model.modules)) return undefined;
  return {
    to: 'diffusers',
    why: `${name} has ${distinctAlphaCount(model.modules)} different alphas, and diffusers would apply only the most common one`,
    usableAsIs: true,
  };
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
    .update(`${path}\0${await version(weights)}\0${await version(configPath)}`)
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
  const needed = neededCopy(opened, basename(path));
  if (!needed) return { path };
  const copy = join(cacheFolder, await copyName(path, needed.to));
  const note = `${needed.why}: generating with its ${needed.to}-format copy ${copy} (every module's alpha kept).`;
  try {
    await stat(copy);
    return { path: copy, note };
  } catch {
    // not made yet
  }
  try {
    await mkdir(cacheFolder, { recursive: true });
    await convertLora({ input: path, output: copy, to: needed.to });
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
  return { path: copy, note };
}
