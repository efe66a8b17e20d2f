// src/models/corrupt-copies.ts — the `<name>.corrupt` copies `models pull` moves bad files aside to
// (file-check.ts moveAside): finding them in a model's folders (for `doctor`), and deleting a file's copies
// once a verified download of that file is in place, so they do not fill the cache forever. A copy that is
// a Hugging Face cache link takes its blob along when no other snapshot link uses that blob.
import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { z } from 'zod';
import type { CacheOptions } from './cache.js';
import { hfHubCacheFor, hfRepoDir, manualModelDir, rembgCacheDir, toonloraHomeFor } from './cache-paths.js';
import { getModelEntry, listModelIds, type ModelEntry } from './registry.js';

export const corruptCopySchema = z.object({
  /** The model the copy belongs to. */
  model: z.string(),
  path: z.string(),
  /** Its size (a cache link's blob's), in bytes; 0 when the link's blob is gone. */
  bytes: z.number().int().nonnegative(),
});
export type CorruptCopy = z.infer<typeof corruptCopySchema>;

const COPY_SUFFIX = /\.corrupt(-\d+)?$/;

/** Whether a file name is a moved-aside copy: `<name>.corrupt` or `<name>.corrupt-<n>`. */
export function isCorruptCopyName(name: string): boolean {
  return COPY_SUFFIX.test(name);
}

/** The path a copy was moved aside from (its suffix removed). */
export function originalPathOf(copyPath: string): string {
  return copyPath.replace(COPY_SUFFIX, '');
}

/** The folders `models pull` may have moved a bad file of `entry` aside in (they need not exist). */
export function corruptCopyFolders(entry: ModelEntry, options: CacheOptions = {}): string[] {
  const env = options.env ?? process.env;
  const homeDir = options.homeDir ?? homedir();
  const folders = [manualModelDir(toonloraHomeFor(env, homeDir), entry.id)];
  const { source } = entry;
  if (source.kind === 'huggingface') {
    folders.push(join(hfRepoDir(hfHubCacheFor(env, homeDir), source.repo), 'snapshots'));
  } else if (source.kind === 'url' && source.urls.some((url) => url.includes('/danielgatis/rembg/'))) {
    folders.push(rembgCacheDir(env, homeDir)); // shared by u2net and isnet-anime: matched by file name below
  }
  return folders;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size; // a link: its blob's size
  } catch {
    return 0;
  }
}

function copiesIn(folder: string): string[] {
  let names: string[];
  try {
    names = readdirSync(folder, { recursive: true, encoding: 'utf8' });
  } catch {
    return []; // no such folder
  }
  return names.filter((name) => isCorruptCopyName(name)).map((name) => join(folder, name));
}

/** Whether a copy at `copyPath` was moved aside from `file` (a repo path such as `unet/model.safetensors`). */
function isCopyOf(copyPath: string, file: string): boolean {
  return originalPathOf(copyPath).endsWith(`${sep}${file.split('/').join(sep)}`);
}

/** The copies of `entry`'s files on disk, with their sizes. */
export function findCorruptCopies(entry: ModelEntry, options: CacheOptions = {}): CorruptCopy[] {
  const files = entry.source.files.map((f) => f.path);
  const snapshotLike = entry.source.kind === 'huggingface' && entry.source.snapshot !== undefined;
  return corruptCopyFolders(entry, options)
    .flatMap(copiesIn)
    .filter((path) => snapshotLike || files.some((file) => isCopyOf(path, file)))
    .map((path) => ({ model: entry.id, path, bytes: sizeOf(path) }));
}

/** Every registry model's copies (what `doctor` lists). */
export function findAllCorruptCopies(options: CacheOptions = {}): CorruptCopy[] {
  return listModelIds().flatMap((id) => findCorruptCopies(getModelEntry(id), options));
}

/** The Hugging Face repo folder above a path in its `snapshots/`, or undefined. */
function repoDirOf(path: string): string | undefined {
  const at = path.lastIndexOf(`${sep}snapshots${sep}`);
  return at < 0 ? undefined : path.slice(0, at);
}

/** Whether any link under the repo's snapshots still points at `blob`. */
function blobInUse(repoDir: string, blob: string): boolean {
  const snapshots = join(repoDir, 'snapshots');
  let names: string[];
  try {
    names = readdirSync(snapshots, { recursive: true, encoding: 'utf8' });
  } catch {
    return false;
  }
  return names.some((name) => {
    const path = join(snapshots, name);
    try {
      return lstatSync(path).isSymbolicLink() && realpathSync(path) === blob;
    } catch {
      return false;
    }
  });
}

/** Deletes one copy (and its blob, when it is a cache link whose blob nothing else uses). */
async function removeCopy(copy: CorruptCopy): Promise<void> {
  const isLink = lstatSync(copy.path).isSymbolicLink();
  let blob: string | undefined;
  try {
    blob = isLink ? realpathSync(copy.path) : undefined;
  } catch {
    blob = undefined; // a dangling link: nothing behind it
  }
  await rm(copy.path, { force: true });
  const repoDir = repoDirOf(copy.path);
  if (
    blob &&
    repoDir &&
    dirname(blob) === join(realpathSync(repoDir), 'blobs') &&
    !blobInUse(repoDir, blob)
  ) {
    await rm(blob, { force: true });
  }
}

/**
 * After a verified download of `file` of `entry` is in place: deletes the `.corrupt` copies of that file and
 * returns them (what was removed, for the pull to say).
 */
export async function removeCorruptCopiesOf(
  entry: ModelEntry,
  file: string,
  options: CacheOptions = {},
): Promise<CorruptCopy[]> {
  const copies = corruptCopyFolders(entry, options)
    .flatMap(copiesIn)
    .filter((path) => isCopyOf(path, file))
    .map((path) => ({ model: entry.id, path, bytes: sizeOf(path) }));
  for (const copy of copies) await removeCopy(copy);
  return copies;
}
