// src/cli/commands/generate-watchdog.test.ts — `toonlora generate --worker-timeout / --worker-load-timeout`
// through the CLI entry: bad values are usage errors (as serve's), and a worker that goes silent
// (test/fixtures/silent-worker.mjs standing in for Python) ends the command with the worker-failure exit code and a
// message naming the flag, instead of waiting forever.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { withCliTestIo } from '../cli-test-io.js';
import { runCli } from '../program.js';
import { expectSilenceFlagsRefused } from './silence-flags-testing.js';

const SILENT = fileURLToPath(new URL('../../../test/fixtures/silent-worker.mjs', import.meta.url));
const plan = vi.hoisted(() => ({ json: '{}' }));

vi.mock('../../env/python-env.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../env/python-env.js')>()),
  ensurePythonEnv: async () => process.execPath,
}));
vi.mock('../../worker/worker-spawn.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../worker/worker-spawn.js')>()),
  defaultWorkerSpawn: () => ({ command: process.execPath, args: [SILENT, plan.json], cwd: process.cwd() }),
}));

const io = withCliTestIo('toonlora-cli-generate-watchdog-');

const generate = (...flags: string[]) =>
  runCli([
    'generate',
    '--base',
    'tiny',
    '--prompt',
    'sks',
    '--seed',
    '1',
    '-o',
    join(io.root, 'out'),
    '--json',
    ...flags,
  ]);

describe('toonlora generate silence flags', () => {
  it('refuses a bad --worker-timeout / --worker-load-timeout as serve does', async () => {
    await expectSilenceFlagsRefused(io, generate, [
      ['--worker-timeout', '0', 300],
      ['--worker-load-timeout', '5m', 900],
    ]);
    io.stdout = '';
    expect(await generate('--worker-timeout', '2147484')).toBe(2);
    expect(io.stdout).toContain('--worker-timeout: at most 2147483 seconds');
  });

  it('stops a worker that goes silent after a step: exit code 1, the message naming --worker-timeout', async () => {
    plan.json = JSON.stringify({ stallAfter: 1 });
    const started = performance.now();
    expect(await generate('--steps', '3', '--worker-timeout', '1')).toBe(1);
    expect(JSON.parse(io.stdout)).toMatchObject({
      error: {
        code: 'TL_ERR_WORKER',
        message: expect.stringContaining(
          'sent nothing for 1 s; it was stopped and no image was written. If the GPU is just slow',
        ),
      },
    });
    expect(io.stdout).toContain('toonlora generate --worker-timeout <s>');
    expect(performance.now() - started).toBeLessThan(20_000);
  }, 30_000);
});
