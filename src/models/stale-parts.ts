// src/models/stale-parts.ts — the `.part` files of `models pull owner/name` that no pull will resume. A Hub pull
// keeps them per commit (`.toonlora-partial/<commit>/`, hub-pull.ts) and records there which revision it was
// pulling; once a pull of that revision succeeds at another commit (its branch moved), the old commit's bytes
// can never be resumed and would stay in the HF cache for good (possibly GBs). Removed only by a pull that holds
// the repo's download lock, so no live pull is writing them.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hfPartialDir } from './cache-paths.js';
import { formatBytes } from '../format-bytes.js';
import { shortCommit } from './hub-revision.js';
import { partBytesUnder } from './part-files.js';

/** The file in a commit's part folder naming the revision (branch, tag, sha) its pull was for. */
const REVISION_FILE = '.revision';

/** `.toonlora-partial/` of a repo folder: one folder per commit a pull left `.part` files of. */
function partialRoot(repoDir: string): string {
  return join(hfPartialDir(repoDir, 'main'), '..');
}

/** The revision recorded for `commit`'s part folder; undefined when none is (a folder of an older toonlora). */
function recordedRevision(repoDir: string, commit: string): string | undefined {
  try {
    return readFileSync(join(hfPartialDir(repoDir, commit), REVISION_FILE), 'utf8');
  } catch {
    return undefined;
  }
}

/** Records, before a download into `commit`'s part folder, that it is a pull of `revision`. */
export async function recordPartRevision(repoDir: string, commit: string, revision: string): Promise<void> {
  const dir = hfPartialDir(repoDir, commit);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, REVISION_FILE), revision);
}

/** Removes `commit`'s part folder when no `.part` file holds a byte (its downloads were committed or refused). */
export async function removeSpentPartFolder(repoDir: string, commit: string): Promise<void> {
  const dir = hfPartialDir(repoDir, commit);
  if (partBytesUnder(dir) === 0) await rm(dir, { recursive: true, force: true });
}

/** What removeStaleParts removed: the bytes and the commits (or older revision-named folders) they were of. */
export interface StalePartsRemoved {
  bytes: number;
  folders: string[];
}

/**
 * After a pull of `revision` succeeded at `commit`: removes the part folders of other commits recorded for the same
 * revision (it moved: their bytes are of files no pull of it fetches again) and those with no record (an older
 * toonlora's: per revision name, or per commit before records), then `commit`'s own once it is spent. Folders
 * recorded for another revision (a stopped `--revision v1.0` pull) are kept: pulling that revision resumes them.
 * Call only while holding the repo's download lock.
 */
export async function removeStaleParts(
  repoDir: string,
  revision: string,
  commit: string,
): Promise<StalePartsRemoved> {
  let names: string[];
  try {
    names = readdirSync(partialRoot(repoDir));
  } catch {
    return { bytes: 0, folders: [] };
  }
  const removed: StalePartsRemoved = { bytes: 0, folders: [] };
  for (const name of names.sort()) {
    if (name === commit) continue;
    const recorded = recordedRevision(repoDir, name);
    if (recorded !== undefined && recorded !== revision) continue;
    const bytes = partBytesUnder(hfPartialDir(repoDir, name));
    await rm(hfPartialDir(repoDir, name), { recursive: true, force: true });
    if (bytes > 0) {
      removed.bytes += bytes;
      removed.folders.push(name);
    }
  }
  await removeSpentPartFolder(repoDir, commit);
  await rmdir(partialRoot(repoDir)).catch(() => undefined); // only when nothing is left in it
  return removed;
}

/** What a pull says after removeStaleParts freed `removed.bytes` (undefined when it freed nothing). */
export function stalePartsText(
  repo: string,
  revision: string,
  commit: string,
  removed: StalePartsRemoved,
): string | undefined {
  if (removed.bytes === 0) return undefined;
  const at = removed.folders.map(shortCommit).join(', ');
  return (
    `${repo}: freed ${formatBytes(removed.bytes)}: removed the .part files stopped pulls left at ${at}, ` +
    `which no pull resumes now that ${revision} is ${shortCommit(commit)}`
  );
}
