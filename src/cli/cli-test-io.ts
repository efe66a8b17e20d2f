// src/cli/cli-test-io.ts — for tests that run the CLI in process (runCli): a temporary TOONLORA_HOME
// and HF_HOME, an unreachable Hub, and everything written to stdout / stderr captured per test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, vi } from 'vitest';

export interface CliTestIo {
  /** The test's temporary folder (TOONLORA_HOME is `<root>/tl`, HF_HOME `<root>/hf`). */
  root: string;
  stdout: string;
  stderr: string;
}

/** Registers the per-test setup and teardown; the returned object holds the current test's values. */
export function withCliTestIo(prefix: string): CliTestIo {
  const io: CliTestIo = { root: '', stdout: '', stderr: '' };
  const savedEnv = { ...process.env };
  beforeEach(() => {
    io.root = mkdtempSync(join(tmpdir(), prefix));
    process.env.TOONLORA_HOME = join(io.root, 'tl');
    process.env.HF_HOME = join(io.root, 'hf');
    process.env.HF_ENDPOINT = 'http://127.0.0.1:9';
    io.stdout = '';
    io.stderr = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      io.stdout += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      io.stderr += String(chunk);
      return true;
    });
    process.exitCode = undefined;
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.env = { ...savedEnv };
    process.exitCode = undefined;
    rmSync(io.root, { recursive: true, force: true });
  });
  return io;
}
