// src/cli/commands/serve-build.ts — whether `toonlora serve` (and the web tests) must (re)build web/dist: it is
// missing, older than a file it is built from (a stale build after `git pull`; a stat walk that stops at the first
// newer file) or React's development build; and the build itself, always a production one.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
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

/** Text React's development build carries (react-dom's DevTools hint) and its production build never does. */
const REACT_DEVELOPMENT_TEXT = 'Download the React DevTools';

/** True when the build in `webDir` bundles React's development build (its script files carry its hint). */
export function webBuildIsDevelopment(webDir: string): boolean {
  const assets = join(webDir, 'assets');
  if (!existsSync(assets)) return false;
  return readdirSync(assets)
    .filter((name) => name.endsWith('.js'))
    .some((name) => readFileSync(join(assets, name), 'utf8').includes(REACT_DEVELOPMENT_TEXT));
}

/** Why `webDir` must be (re)built from the checkout at `root`, or undefined when its build is current. */
export function webBuildNeed(webDir: string, root: string): 'missing' | 'stale' | 'development' | undefined {
  if (!existsSync(join(webDir, 'index.html'))) return 'missing';
  if (webBuildStale(webDir, root)) return 'stale';
  return webBuildIsDevelopment(webDir) ? 'development' : undefined;
}

/**
 * Runs `npm run build:web` in the checkout at `root` (into `outDir` when given, else web/dist), always as a
 * production build: vite builds React's development build for any NODE_ENV but production (a user's
 * NODE_ENV=development, vitest's NODE_ENV=test), which runs StrictMode's effects twice and is 690 KB, not 439 KB.
 * @returns whether it built, and npm's stderr.
 */
export function buildWebApp(root: string, outDir?: string): { ok: boolean; stderr: string } {
  const args = ['run', 'build:web', '--silent', ...(outDir ? ['--', '--outDir', outDir] : [])];
  const build = spawnSync('npm', args, {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  return { ok: build.status === 0, stderr: build.stderr ?? '' };
}
