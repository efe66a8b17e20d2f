// src/cli/commands/serve-build.ts — whether `toonlora serve` must (re)build web/dist: it is missing, or
// older than a file it is built from (a stale build after `git pull`). A stat walk that stops at the
// first newer file; no hashing, no reading.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What web/dist is built from, relative to the repository root (folders are walked): the web app, its
 * page and vite config, and all of src/ (the web app imports schemas and a few pure modules from it; a
 * hand-kept list of those would go stale, and a rebuild takes seconds).
 */
const WEB_BUILD_INPUTS = ['web/src', 'web/index.html', 'src'];

/** True when there is no build (`distMtimeMs` null) or a source is newer than it. */
export function isBuildStale(distMtimeMs: number | null, sourceMtimesMs: Iterable<number>): boolean {
  if (distMtimeMs === null) return true;
  for (const mtime of sourceMtimesMs) if (mtime > distMtimeMs) return true;
  return false;
}

/** The mtimes of the files at and under `paths`, lazily (folders walked; missing paths skipped). */
export function* fileMtimes(paths: readonly string[]): Generator<number> {
  for (const path of paths) {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) continue;
    if (stat.isDirectory()) yield* fileMtimes(readdirSync(path).map((name) => join(path, name)));
    else yield stat.mtimeMs;
  }
}

/** The files and folders web/dist is built from, in the checkout at `root` (web/vite.config.* any extension). */
export function webBuildInputs(root: string): string[] {
  const web = join(root, 'web');
  const configs = (statSync(web, { throwIfNoEntry: false })?.isDirectory() ? readdirSync(web) : [])
    .filter((name) => name.startsWith('vite.config.'))
    .map((name) => join(web, name));
  return [...WEB_BUILD_INPUTS.map((path) => join(root, path)), ...configs];
}

/** True when `webDir`/index.html is missing or older than a source of the checkout at `root`. */
export function webBuildStale(webDir: string, root: string): boolean {
  const index = statSync(join(webDir, 'index.html'), { throwIfNoEntry: false });
  return isBuildStale(index?.mtimeMs ?? null, fileMtimes(webBuildInputs(root)));
}
