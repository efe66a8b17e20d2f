// src/lora/diffusers-copy.ts — the LoRA file to hand diffusers' `load_lora_weights`. diffusers applies
// only the most common alpha of a kohya file (DIFFUSERS_KOHYA_ALPHA_NOTE), so a kohya file with
// several alphas would generate at the wrong strength in some modules: such a file is converted once
// to the diffusers format (every module's alpha kept) into a cache folder, and the copy is used.
// LoKr files have no diffusers format: they are handed over as they are (toonlora generate loads them
// with its own LoKr loader, trainer lokr_file.py, which applies every module's alpha).
import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ToonloraError } from '../errors.js';
import { convertLora } from './convert.js';
import { diffusersMisreadsAlphas, distinctAlphaCount } from './loader-compat.js';
import { openAdapter } from './open-adapter.js';

export interface DiffusersLoraChoice {
  /** The file to load: the input itself, or its converted copy. */
  readonly path: string;
  /** Set when the input was replaced by a converted copy (or could not be), saying why. */
  readonly note?: string;
}

/** Cache file name for one version of `path` (its path, size and modification time). */
function copyName(path: string, size: number, mtimeMs: number): string {
  const key = createHash('sha256').update(`${path}\0${size}\0${mtimeMs}`).digest('hex').slice(0, 16);
  return `${basename(path).replace(/\.safetensors$/i, '')}.${key}.diffusers.safetensors`;
}

/**
 * The file diffusers should load for the LoRA at `path`: the file itself, or (kohya with mixed
 * alphas) a diffusers-format copy in `cacheFolder`, made on first use and reused while the input
 * is unchanged. A file that cannot be converted is used as it is, with a note saying why.
 */
export async function loraFileForDiffusers(path: string, cacheFolder: string): Promise<DiffusersLoraChoice> {
  const opened = await openAdapter(path);
  await opened.reader.close();
  if (opened.algorithm === 'lokr') return { path };
  const { model } = opened;
  if (!diffusersMisreadsAlphas(model.format, model.modules)) return { path };
  const alphas = distinctAlphaCount(model.modules);
  const info = await stat(path);
  const copy = join(cacheFolder, copyName(path, info.size, info.mtimeMs));
  const note = `${basename(path)} has ${alphas} different alphas, and diffusers would apply only the most common one: generating with its diffusers-format copy ${copy} (every module's alpha kept).`;
  try {
    await stat(copy);
    return { path: copy, note };
  } catch {
    // not made yet
  }
  try {
    await mkdir(cacheFolder, { recursive: true });
    await convertLora({ input: path, output: copy, to: 'diffusers' });
  } catch (error) {
    // another generation made the copy meanwhile
    if (error instanceof ToonloraError && error.code === 'TL_ERR_OUTPUT_EXISTS') return { path: copy, note };
    const reason = error instanceof Error ? error.message : String(error);
    return {
      path,
      note: `${basename(path)} has ${alphas} different alphas and could not be converted for diffusers (${reason}); some modules may apply at the wrong strength.`,
    };
  }
  return { path: copy, note };
}
