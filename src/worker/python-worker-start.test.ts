// src/worker/python-worker-start.test.ts — a worker that cannot start says why in words (not a bare ENOENT /
// EACCES) and what to do: toonlora setup, or TOONLORA_VENV.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CommandRequest, PROTOCOL_VERSION } from './protocol.js';
import { runWorker } from './python-worker.js';

const request: CommandRequest = {
  version: PROTOCOL_VERSION,
  command: 'lora-count',
  unet: 'tiny',
  lora: { rank: 4, alpha: 4, targetModules: ['to_q'], dora: false, algorithm: 'lora', lokrFactor: -1 },
};

describe('a Python worker that cannot start', () => {
  it('names a missing interpreter in words and the setup command', async () => {
    const spawn = { command: '/nonexistent/python', args: [], cwd: process.cwd() };
    const error = await runWorker({ request, spawn }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TL_ERR_PYTHON_ENV' });
    expect((error as Error).message).toBe(
      '/nonexistent/python: cannot start the Python worker (ENOENT: no such file or folder): the Python worker ' +
        'environment is missing. Run: toonlora setup (or set TOONLORA_VENV to an existing one).',
    );
  });

  it('names an interpreter it may not run in words and the setup command', async () => {
    const python = join(mkdtempSync(join(tmpdir(), 'tl-noexec-')), 'python');
    writeFileSync(python, '#!/bin/sh\n');
    chmodSync(python, 0o644);
    const error = await runWorker({
      request,
      spawn: { command: python, args: [], cwd: process.cwd() },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TL_ERR_PYTHON_ENV' });
    expect((error as Error).message).toBe(
      `${python}: cannot start the Python worker (EACCES: permission denied). Run: toonlora setup to make the ` +
        'Python worker environment again (or set TOONLORA_VENV to a working one).',
    );
  });
});
