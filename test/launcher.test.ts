// test/launcher.test.ts — the `toonlora` launcher runs from a checkout whose path holds characters that end
// or bend a file URL (`#`, `%`, a space, non-ASCII), and refuses one with a `?` (the TypeScript loader reads
// it as a query) by name. The checkout is the launcher and src copied into such a folder, beside a link to
// this repo's node_modules (the launcher finds its root by its own path; node runs src/cli/main.ts there).
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/models/cache.js';

const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'tl-launcher-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the toonlora launcher', () => {
  const checkoutAt = (name: string): string => {
    const checkout = join(root, name);
    mkdirSync(checkout);
    for (const file of ['toonlora', 'package.json', 'tsconfig.json']) {
      copyFileSync(join(PROJECT_ROOT, file), join(checkout, file));
    }
    cpSync(join(PROJECT_ROOT, 'src'), join(checkout, 'src'), { recursive: true });
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(checkout, 'node_modules'));
    return checkout;
  };

  it('runs from a checkout path with # % %20 space and unicode', async () => {
    const checkout = checkoutAt('c#sharp 100%20%ü');
    const { stdout } = await run('bash', [join(checkout, 'toonlora'), '--version'], { timeout: 60_000 });
    expect(stdout.trim()).toMatch(/^toonlora \d+\.\d+\.\d+ \(worker protocol \d+, data schema \d+\)$/);
  }, 60_000);

  it("refuses a checkout path with a '?', saying so", async () => {
    const checkout = checkoutAt('q?x');
    const failed = await run('bash', [join(checkout, 'toonlora'), '--version'], { timeout: 60_000 }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain("the checkout's path has a '?' in it");
  }, 60_000);
});
