// src/lora/layering.test.ts — the LoRA file code stands below the jobs and the HTTP server: no file under
// src/lora/ imports from src/jobs/ or src/server/ (what both need lives below them, e.g. src/vision/image-sniff.ts).
// Tests are left out: one checks a LoRA's file name against the name the server's download gives it.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const LORA_DIR = import.meta.dirname;

/** Every .ts file under `dir` but the tests, recursively. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('src/lora layering', () => {
  it('imports nothing from src/jobs/ or src/server/', () => {
    const files = tsFiles(LORA_DIR);
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/from '((?:\.\.\/)+(?:jobs|server)\/[^']+)'/g)].map(
        (match) => `${relative(LORA_DIR, file)} imports ${match[1]}`,
      ),
    );
    expect(offenders).toEqual([]);
  });
});
