// src/lora/temp-dir-testing.ts — for tests: one temp folder per test file, made before its tests run and
// removed with everything in it after they end.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/**
 * Registers the beforeAll / afterAll hooks of a temp folder named `<prefix>XXXXXX` under the OS temp
 * folder; call it at a test file's top level. Returns the folder's path, readable once the tests run
 * (it throws before beforeAll has made the folder).
 */
export function tempDirPerFile(prefix: string): () => string {
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return () => {
    if (!dir) throw new Error('tempDirPerFile: the folder is made in beforeAll; read it inside a test');
    return dir;
  };
}
