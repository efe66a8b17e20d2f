// test/launcher.test.ts — the `toonlora` launcher runs from a checkout whose path holds characters that end
// or bend a file URL (`#`, `%`, `?`, a space, non-ASCII). The checkout is the launcher copied into such a
// folder, beside links to this repo's node_modules and src (the launcher finds its root by its own path).
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/models/cache.js';

const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'tl-launcher-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the toonlora launcher', () => {
  it('runs from a checkout path with # % ? space and unicode', async () => {
    const checkout = join(root, 'c#sharp 100%?ü');
    mkdirSync(checkout);
    copyFileSync(join(PROJECT_ROOT, 'toonlora'), join(checkout, 'toonlora'));
    for (const name of ['node_modules', 'src', 'package.json', 'tsconfig.json']) {
      symlinkSync(join(PROJECT_ROOT, name), join(checkout, name));
    }
    const { stdout } = await run('bash', [join(checkout, 'toonlora'), '--version'], { timeout: 60_000 });
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  }, 60_000);
});
