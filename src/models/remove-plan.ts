// src/models/remove-plan.ts — what `models rm` deletes for one model and the bytes that frees, read from the disk
// without changing it: a registry model's folder under $TOONLORA_HOME/models/<id>/ (and the `.part` files an older
// toonlora kept under downloads/<id>/), its Hugging Face repo folder; a Hub repo's folder, or with a revision only
// that revision's snapshot, the refs naming it and the blobs no other snapshot uses, as huggingface_hub's
// delete_revisions (`huggingface-cli delete-cache`) deletes a revision. Bytes count a file once per inode, and only when every link
// to it goes (a snapshot file hard-linked into another snapshot frees nothing).
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { readHfCommit } from './cache.js';
import { hfPartialDir, hfRepoDir, hfSnapshotDir, manualModelDir } from './cache-paths.js';
import { getModelEntry } from './registry.js';

/** The two roots a removal reads: toonlora's home and the Hugging Face hub cache. */
export interface RemoveRoots {
  toonloraHome: string;
  hfHubCache: string;
}

/** What `models rm` is asked to remove: a registry model, or a Hub repo outside it (at one revision, or whole). */
export type RemoveTarget =
  | { origin: 'registry'; id: string }
  | { origin: 'hub'; id: string; revision?: string };

/** The paths to delete (each whole, folders with what they hold) and the bytes that frees. */
export interface RemovePlan {
  paths: string[];
  freedBytes: number;
}

/** Every entry under `path` (itself included), links not followed; [] when it is missing. */
function entriesUnder(path: string): string[] {
  let stats: ReturnType<typeof lstatSync>;
  try {
    stats = lstatSync(path);
  } catch {
    return [];
  }
  if (!stats.isDirectory()) return [path];
  return [path, ...readdirSync(path).flatMap((name) => entriesUnder(join(path, name)))];
}

/**
 * Bytes freed by deleting `paths`: each regular file's size once per inode, when all its links are among them
 * (nlink): a file hard-linked from a snapshot that stays frees nothing. Symbolic links (a snapshot's links into
 * blobs/) free nothing themselves; the blobs are counted when they are among `paths`.
 */
export function freedBytesOf(paths: readonly string[]): number {
  const inodes = new Map<string, { size: number; links: number; seen: number }>();
  for (const entry of new Set(paths.flatMap(entriesUnder))) {
    const stats = lstatSync(entry);
    if (!stats.isFile()) continue;
    const key = `${stats.dev}:${stats.ino}`;
    const known = inodes.get(key) ?? { size: stats.size, links: stats.nlink, seen: 0 };
    known.seen += 1;
    inodes.set(key, known);
  }
  let bytes = 0;
  for (const inode of inodes.values()) if (inode.seen >= inode.links) bytes += inode.size;
  return bytes;
}

/** The blobs (`<repo>/blobs/<hash>`) the links under `snapshotDir` point at. */
function blobsLinkedFrom(repoDir: string, snapshotDir: string): Set<string> {
  const blobs = join(repoDir, 'blobs') + sep;
  const linked = new Set<string>();
  for (const entry of entriesUnder(snapshotDir)) {
    if (!lstatSync(entry).isSymbolicLink()) continue;
    const target = resolve(dirname(entry), readlinkSync(entry));
    if (target.startsWith(blobs)) linked.add(target);
  }
  return linked;
}

/** Every ref file of `repoDir` (`refs/main`, `refs/pr/1`) whose commit is `commit`. */
function refsNaming(repoDir: string, commit: string): string[] {
  return entriesUnder(join(repoDir, 'refs')).filter((path) => {
    try {
      return lstatSync(path).isFile() && readFileSync(path, 'utf8').trim() === commit;
    } catch {
      return false;
    }
  });
}

function snapshotNames(repoDir: string): string[] {
  try {
    return readdirSync(join(repoDir, 'snapshots'));
  } catch {
    return [];
  }
}

/**
 * What deleting `revision` (a branch, tag or commit sha) of the Hub repo in `repoDir` takes: its snapshot, the refs
 * naming its commit, a stopped pull's `.part` files of that commit, and the blobs only it links to; the whole
 * folder when it is the repo's only snapshot. [] when the revision names no snapshot on disk (a ref alone is not
 * the model).
 */
export function revisionPaths(repoDir: string, revision: string): string[] {
  const commit = readHfCommit(repoDir, revision);
  if (commit === undefined || !existsSync(hfSnapshotDir(repoDir, commit))) return [];
  const others = snapshotNames(repoDir).filter((name) => name !== commit);
  if (others.length === 0) return [repoDir];
  const kept = new Set(others.flatMap((name) => [...blobsLinkedFrom(repoDir, hfSnapshotDir(repoDir, name))]));
  const blobs = [...blobsLinkedFrom(repoDir, hfSnapshotDir(repoDir, commit))].filter(
    (blob) => !kept.has(blob),
  );
  const partial = hfPartialDir(repoDir, commit);
  return [
    hfSnapshotDir(repoDir, commit),
    ...refsNaming(repoDir, commit),
    ...(existsSync(partial) ? [partial] : []),
    ...blobs.filter((blob) => existsSync(blob)),
  ];
}

/** The paths `target` has on disk, whole folders first: [] when nothing of it is there. */
export function removalPaths(target: RemoveTarget, roots: RemoveRoots): string[] {
  if (target.origin === 'hub') {
    const repoDir = hfRepoDir(roots.hfHubCache, target.id);
    if (target.revision !== undefined) return revisionPaths(repoDir, target.revision);
    return existsSync(repoDir) ? [repoDir] : [];
  }
  const { source } = getModelEntry(target.id);
  const candidates = [
    manualModelDir(roots.toonloraHome, target.id),
    join(roots.toonloraHome, 'downloads', target.id), // `.part` files an older toonlora kept there
    ...(source.kind === 'huggingface' ? [hfRepoDir(roots.hfHubCache, source.repo)] : []),
  ];
  return candidates.filter((path) => existsSync(path));
}

/** The plan of `target`: its paths (removalPaths) and the bytes deleting them frees. */
export function planRemoval(target: RemoveTarget, roots: RemoveRoots): RemovePlan {
  const paths = removalPaths(target, roots);
  return { paths, freedBytes: freedBytesOf(paths) };
}
