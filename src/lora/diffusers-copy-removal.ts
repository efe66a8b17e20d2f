// src/lora/diffusers-copy-removal.ts — removing the converted copies diffusers-copy.ts made of one LoRA file from
// its cache folder, when that LoRA is deleted (DELETE /api/loras/:id): each copy names its original in its
// metadata (COPY_SOURCE_METADATA_KEY), which is how a copy is matched to the file it was made from.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { COPY_SOURCE_METADATA_KEY } from './diffusers-copy.js';
import { openSafetensors } from './safetensors-read.js';

/** The original a copy in the cache names, or undefined (not a copy, or it does not read). */
async function copySource(file: string): Promise<string | undefined> {
  try {
    const reader = await openSafetensors(file);
    await reader.close();
    return reader.header.metadata[COPY_SOURCE_METADATA_KEY];
  } catch {
    return undefined;
  }
}

/**
 * Removes every copy in `cacheFolder` made from `original` (an absolute path, as loraFileForDiffusers was given
 * it) and resolves with their paths; other files, and a folder that does not exist, are left alone.
 * @throws the file system's error when a copy cannot be removed
 */
export async function removeCopiesOf(cacheFolder: string, original: string): Promise<string[]> {
  const names = await readdir(cacheFolder).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    if (!name.endsWith('.safetensors')) continue;
    const file = join(cacheFolder, name);
    if ((await copySource(file)) !== original) continue;
    await rm(file, { force: true });
    removed.push(file);
  }
  return removed;
}
