// src/jobs/layering.test.ts — the store and the jobs stand below the HTTP server: no file under src/jobs/
// imports from src/server/ (what both need lives here, and server/ imports it).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const JOBS_DIR = import.meta.dirname;

/** Every .ts file under `dir`, recursively. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('src/jobs layering', () => {
  it('imports nothing from src/server/', () => {
    const files = tsFiles(JOBS_DIR);
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/from '((?:\.\.\/)+server\/[^']+)'/g)].map(
        (match) => `${relative(JOBS_DIR, file)} imports ${match[1]}`,
      ),
    );
    expect(offenders).toEqual([]);
  });
});
