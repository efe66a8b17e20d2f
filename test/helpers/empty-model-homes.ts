// test/helpers/empty-model-homes.ts — a temporary root (removed after the file's tests) and a CLI environment
// whose model homes lie empty inside it: no base (anything-v5) is pulled there, and no HF_HUB_CACHE points
// elsewhere.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A root named `prefix`… and process.env with TOONLORA_HOME and HF_HOME empty inside it, and no colours. */
export function emptyModelHomes(prefix: string): { root: string; env: NodeJS.ProcessEnv } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TOONLORA_HOME: join(root, 'tl-home'),
    HF_HOME: join(root, 'hf-home'),
    NO_COLOR: '1',
  };
  delete env.HF_HUB_CACHE;
  return { root, env };
}
