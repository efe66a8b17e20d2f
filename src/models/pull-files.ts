// src/models/pull-files.ts — the per-file steps every pull shares: a good copy already on disk (a bad one
// moved aside), what a download is checked against, a `.part` from an older version adopted, a verified
// download moved into place, and the `.corrupt` copies it replaces removed.
import { existsSync, statSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { findModelFile } from './cache.js';
import { removeCorruptCopiesOf } from './corrupt-copies.js';
import { commitDownload, type ExpectedContent, partTagPath } from './download.js';
import { checkFileContent, moveAside, needsHashing } from './file-check.js';
import { diskFullError, type WriteRoots } from './not-writable.js';
import type { PullOptions } from './pull-options.js';
import type { ModelEntry, ModelFile } from './registry.js';

/**
 * A good copy of `file` on disk (exact size, sha256 / md5 where the registry has them), or undefined.
 * Each bad copy found is renamed to `<name>.corrupt` and reported, never deleted.
 */
export async function findGoodFile(entry: ModelEntry, file: ModelFile, options: PullOptions) {
  for (let tries = 0; tries < 8; tries += 1) {
    const path = findModelFile(entry.id, file.path, options);
    if (!path) return undefined;
    if (needsHashing(file)) {
      options.onVerifyStart?.({ modelId: entry.id, file: file.path, path, bytes: statSync(path).size });
    }
    const problems = await checkFileContent(path, file, options.signal);
    if (problems.length === 0) return path;
    const movedTo = await moveAside(path);
    options.onCorrupt?.({ modelId: entry.id, file: file.path, path, movedTo, problems });
  }
  return undefined;
}

/** With a verified copy of `file` in place, its `.corrupt` copies (bad files moved aside earlier) go, each said. */
export async function removeOldCopies(entry: ModelEntry, file: string, options: PullOptions): Promise<void> {
  for (const copy of await removeCorruptCopiesOf(entry, file, options)) {
    options.onCorruptRemoved?.({ modelId: entry.id, file, path: copy.path, bytes: copy.bytes });
  }
}

/** Moves a verified download into place; a full disk is named (the part and its tag stay for the next pull). */
export async function commitVerified(partPath: string, destPath: string, roots: WriteRoots): Promise<void> {
  try {
    await commitDownload(partPath, destPath);
  } catch (error) {
    throw diskFullError(error, roots, partPath) ?? error;
  }
}

/**
 * A `.part` file an older version kept in toonlora's home is moved to `part` (beside the HF cache's files) and
 * resumed there; across file systems it is left where it was and the download starts over.
 */
export async function adoptLegacyPart(legacy: string, part: string): Promise<void> {
  if (!existsSync(legacy) || existsSync(part)) return;
  try {
    await mkdir(dirname(part), { recursive: true });
    await rename(legacy, part);
    await rename(partTagPath(legacy), partTagPath(part)).catch(() => undefined);
  } catch {
    // another disk: not copied (it may be gigabytes); the new download starts from byte 0
  }
}

/**
 * What a download of `file` is checked against: the registry's sha256 / md5 and exact size, and, for a file of
 * 1 MB or more whose size is only approximate, at least a tenth of it (applied only when no checksum is known).
 */
export function expectedOf(file: ModelFile): ExpectedContent {
  return {
    sha256: file.sha256,
    md5: file.md5,
    sizeBytes: file.sizeExact ? file.sizeBytes : undefined,
    minBytes: !file.sizeExact && file.sizeBytes >= 1_000_000 ? Math.floor(file.sizeBytes / 10) : undefined,
  };
}

/** Size of the file at `path` in bytes, 0 when there is none (a `.part` not started). */
export function sizeOf(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}
