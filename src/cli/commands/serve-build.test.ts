// Tests of serve-build.ts: when `toonlora serve` rebuilds web/dist (missing, a source newer than it, or React's
// development build) and that its build is a production one under any NODE_ENV (vitest's is test).
import { mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildWebApp,
  fileMtimes,
  isBuildStale,
  webBuildInputs,
  webBuildIsDevelopment,
  webBuildNeed,
  webBuildStale,
} from './serve-build.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const BUILD_TIMEOUT_MS = 240_000; // a vite build, on a machine other test runs share

/** Writes `path` under `root` with its mtime set to `seconds` (epoch). */
function writeAt(root: string, path: string, seconds: number): void {
  const file = join(root, path);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, '');
  utimesSync(file, seconds, seconds);
}

describe('isBuildStale', () => {
  it('is stale without a build, or when a source is newer than it', () => {
    expect(isBuildStale(null, [])).toBe(true);
    expect(isBuildStale(2000, [1000, 1999])).toBe(false);
    expect(isBuildStale(2000, [1000, 2001])).toBe(true);
    expect(isBuildStale(2000, [])).toBe(false);
  });

  it('stops at the first newer source', () => {
    const seen: number[] = [];
    function* mtimes() {
      for (const m of [1, 3000, 2]) {
        seen.push(m);
        yield m;
      }
    }
    expect(isBuildStale(2000, mtimes())).toBe(true);
    expect(seen).toEqual([1, 3000]);
  });
});

describe('webBuildStale', () => {
  const checkout = () => {
    const root = mkdtempSync(join(tmpdir(), 'toonlora-serve-build-'));
    writeAt(root, 'web/src/app.tsx', 1000);
    writeAt(root, 'web/src/pages/upload.tsx', 1000);
    writeAt(root, 'web/index.html', 1000);
    writeAt(root, 'web/vite.config.ts', 1000);
    writeAt(root, 'src/schemas/api.ts', 1000);
    writeAt(root, 'src/jobs/job-state.ts', 1000); // the web app imports pure src/ modules too
    writeAt(root, 'bench/prep-speed.ts', 5000); // not a web source
    return root;
  };

  it('walks web/src, web/index.html, web/vite.config.* and src/', () => {
    const root = checkout();
    const inputs = webBuildInputs(root);
    expect(inputs).toContain(join(root, 'web', 'vite.config.ts'));
    expect([...fileMtimes(inputs)]).toEqual(Array(6).fill(1_000_000));
  });

  it('is stale when web/dist is missing or older than a source, fresh otherwise', () => {
    const root = checkout();
    const dist = join(root, 'web', 'dist');
    expect(webBuildStale(dist, root)).toBe(true);
    writeAt(root, 'web/dist/index.html', 2000);
    expect(webBuildStale(dist, root)).toBe(false);
    writeAt(root, 'web/src/pages/upload.tsx', 3000); // after `git pull`
    expect(webBuildStale(dist, root)).toBe(true);
    writeAt(root, 'web/dist/index.html', 4000);
    writeAt(root, 'src/schemas/config.ts', 4500);
    expect(webBuildStale(dist, root)).toBe(true);
  });
});

describe('webBuildNeed', () => {
  it('says missing, stale, development, or nothing for a current production build', () => {
    const root = mkdtempSync(join(tmpdir(), 'toonlora-serve-build-need-'));
    writeAt(root, 'web/src/app.tsx', 1000);
    const dist = join(root, 'web', 'dist');
    expect(webBuildNeed(dist, root)).toBe('missing');
    writeAt(root, 'web/dist/index.html', 500);
    expect(webBuildNeed(dist, root)).toBe('stale');
    writeAt(root, 'web/dist/index.html', 2000);
    writeAt(root, 'web/dist/assets/index-1.js', 2000);
    expect(webBuildNeed(dist, root)).toBeUndefined();
    writeFileSync(join(dist, 'assets', 'index-1.js'), 'console.info("Download the React DevTools");');
    expect(webBuildNeed(dist, root)).toBe('development');
  });
});

describe('buildWebApp', () => {
  it(
    "builds React's production build under vitest's NODE_ENV=test (a serve a test started built the development one)",
    () => {
      expect(process.env.NODE_ENV).toBe('test');
      const outDir = join(mkdtempSync(join(tmpdir(), 'toonlora-serve-build-out-')), 'dist');
      const build = buildWebApp(ROOT, outDir);
      expect(build).toMatchObject({ ok: true });
      expect(readFileSync(join(outDir, 'index.html'), 'utf8')).toContain('/assets/index-');
      expect(webBuildIsDevelopment(outDir)).toBe(false);
    },
    BUILD_TIMEOUT_MS,
  );
});
