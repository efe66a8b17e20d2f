// Tests of serve-build.ts: when `toonlora serve` rebuilds web/dist (missing, or a source newer than it).
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileMtimes, isBuildStale, webBuildInputs, webBuildStale } from './serve-build.js';

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
