// src/lora/output-checks.ts — checks on convert's output path before anything is written: the
// parent folder exists, a file output is not a folder, and `--overwrite` of a PEFT folder only ever
// replaces a folder that holds nothing but adapter files (never the user's own files).
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ToonloraError } from '../errors.js';

/** Entries a PEFT adapter folder written by convert / the trainer holds; text_encoder/ holds the same files. */
const ADAPTER_FILES = new Set(['adapter_model.safetensors', 'adapter_config.json']);
const TEXT_ENCODER_FOLDER = 'text_encoder';

async function statOrUndefined(path: string) {
  return stat(path).catch(() => undefined);
}

/**
 * Throws TL_ERR_USAGE when the output's parent folder is missing or not a folder, or when a file
 * output (`kind` 'file') names an existing folder.
 */
export async function assertOutputPath(output: string, kind: 'file' | 'folder'): Promise<void> {
  const parent = dirname(resolve(output));
  const parentInfo = await statOrUndefined(parent);
  if (!parentInfo?.isDirectory()) {
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `-o ${output}: the folder ${parent} does not exist; nothing was written. Create it first or choose another -o.`,
      { details: { file: output, folder: parent } },
    );
  }
  if (kind === 'file' && (await statOrUndefined(output))?.isDirectory()) {
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `-o ${output}: is a folder, but this format is written as one .safetensors file; nothing was written. Give a file path (e.g. ${join(output, 'lora.safetensors')}).`,
      { details: { file: output } },
    );
  }
}

/** Entries of `folder` (relative paths) that are not adapter files; text_encoder/ is looked into. */
async function foreignEntries(folder: string): Promise<string[]> {
  const foreign: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    if (entry.isFile() && ADAPTER_FILES.has(entry.name)) continue;
    if (entry.isDirectory() && entry.name === TEXT_ENCODER_FOLDER) {
      for (const inner of await readdir(join(folder, entry.name), { withFileTypes: true })) {
        if (!(inner.isFile() && ADAPTER_FILES.has(inner.name)))
          foreign.push(`${TEXT_ENCODER_FOLDER}/${inner.name}`);
      }
      continue;
    }
    foreign.push(entry.name);
  }
  return foreign.sort();
}

/**
 * Throws TL_ERR_OUTPUT_EXISTS unless `output` is absent or a folder of adapter files only
 * (adapter_model.safetensors, adapter_config.json, text_encoder/ with the same), the only kind of
 * folder `--overwrite` may delete.
 */
export async function assertReplaceableAdapterFolder(output: string): Promise<void> {
  const info = await statOrUndefined(output);
  if (!info) return;
  const foreign = info.isDirectory() ? await foreignEntries(output) : [];
  if (info.isDirectory() && foreign.length === 0) return;
  const what = info.isDirectory()
    ? `holds files that are not adapter files (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? `, and ${foreign.length - 5} more` : ''})`
    : 'is a file, not an adapter folder';
  throw new ToonloraError(
    'TL_ERR_OUTPUT_EXISTS',
    `${output}: ${what}; --overwrite only replaces a folder of adapter files (adapter_model.safetensors, adapter_config.json, text_encoder/), so nothing was written or deleted. Choose another -o or move those files.`,
    { details: { file: output, foreign } },
  );
}
