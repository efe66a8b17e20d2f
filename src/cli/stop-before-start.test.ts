// src/cli/stop-before-start.test.ts — a Ctrl-C (or SIGTERM) while `train` / `generate` still check their inputs, the
// base and the Python environment says "stopped before anything was written" and exits as the signal would
// (130 / 143); before, the process ended without a word (its handler came only with the run). One while the Python
// environment is being installed says so and how to finish it (before, it too said nothing was written). The checks'
// base look-up, or the install, is held open by a stand-in, and the handler is called as Node would on the signal.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerGenerate } from './commands/generate.js';
import { registerTrain } from './commands/train.js';
import { stopBeforeStart } from './stop-before-start.js';

const VENV = '/somewhere/trainer/.venv';
/** Which check never ends (the command is still in it when the signal comes), and how often one was reached. */
const held = vi.hoisted(() => ({ calls: 0, at: 'base' as 'base' | 'install' }));

vi.mock('../worker/base-check.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../worker/base-check.js')>();
  const checkTrainingBase = async () => {
    if (held.at !== 'base') return;
    held.calls += 1;
    await new Promise(() => {});
  };
  return { ...real, checkTrainingBase, checkBasePulled: () => {} };
});

vi.mock('../env/python-env.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../env/python-env.js')>();
  // an install under way: it has said it writes the venv, and never ends
  const ensurePythonEnv = async (options: { onInstall?: (venv: string) => void } = {}) => {
    options.onInstall?.(VENV);
    held.calls += 1;
    await new Promise(() => {});
  };
  return { ...real, ensurePythonEnv };
});

vi.mock('../worker/train.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../worker/train.js')>();
  return { ...real, checkTrainingPaths: () => {} };
});

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function listeners() {
  return STOP_SIGNALS.map((name) => process.listeners(name).length);
}

/** Captures stderr and process.exit (which then returns). */
function capture() {
  const written: string[] = [];
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  const codes: unknown[] = [];
  const exit = vi.spyOn(process, 'exit').mockImplementation(((code: unknown) => {
    codes.push(code);
  }) as never);
  return {
    written,
    codes,
    restore: () => {
      stderr.mockRestore();
      exit.mockRestore();
    },
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('stopBeforeStart', () => {
  it('says the command stopped before writing anything and exits as the signal would; removed, it is gone', () => {
    const before = listeners();
    const exits: number[] = [];
    const written = capture();
    const checks = stopBeforeStart('train', (code) => exits.push(code));
    try {
      for (const name of ['SIGINT', 'SIGTERM'] as const) process.listeners(name).at(-1)?.(name);
    } finally {
      written.restore();
      checks.remove();
    }
    expect(exits).toEqual([130, 143]);
    expect(written.written).toEqual([
      'toonlora train: stopped before anything was written\n',
      'toonlora train: stopped before anything was written\n',
    ]);
    expect(listeners()).toEqual(before);
  });

  it('says the Python environment was being installed only between onInstall and the end of the install', async () => {
    const lines: string[] = [];
    const checks = stopBeforeStart('generate', () => {});
    const stopNow = () => {
      const seen = capture();
      try {
        process.listeners('SIGINT').at(-1)?.('SIGINT');
      } finally {
        seen.restore();
      }
      lines.push(...seen.written);
    };
    try {
      await checks.duringPythonEnv(async (onInstall) => {
        stopNow(); // the stamp is being checked: nothing written yet
        onInstall(VENV);
        stopNow();
      });
      stopNow();
      await expect(
        checks.duringPythonEnv(async (onInstall) => {
          onInstall(VENV);
          throw new Error('pip failed');
        }),
      ).rejects.toThrow('pip failed');
      stopNow();
    } finally {
      checks.remove();
    }
    const nothing = 'toonlora generate: stopped before anything was written\n';
    expect(lines).toEqual([
      nothing,
      `toonlora generate: stopped while installing the Python environment in ${VENV}; run the command again (or toonlora setup) to finish it\n`,
      nothing,
      nothing,
    ]);
  });
});

describe.each([
  ['train', (out: string) => ['train', out, '-o', join(out, 'run'), '--base', 'tiny']],
  ['generate', (out: string) => ['generate', '--prompt', 'sks', '-o', out, '--base', 'tiny']],
])('a Ctrl-C during %s checks', (command, args) => {
  it.each([
    ['base', 'stopped before anything was written'],
    [
      'install',
      `stopped while installing the Python environment in ${VENV}; run the command again (or toonlora setup) to finish it`,
    ],
  ] as const)('in the %s check is said, with the exit code of the signal', async (at, said) => {
    held.at = at;
    const program = new Command().exitOverride();
    registerTrain(program);
    registerGenerate(program);
    const out = mkdtempSync(join(tmpdir(), 'toonlora-stop-checks-'));
    const before = process.listeners('SIGINT');
    const calls = held.calls;
    void program.parseAsync(args(out), { from: 'user' });
    await vi.waitFor(() => expect(held.calls).toBe(calls + 1));
    const added = process.listeners('SIGINT').filter((listener) => !before.includes(listener));
    expect(added).toHaveLength(1);
    const seen = capture();
    try {
      added[0]?.('SIGINT');
    } finally {
      seen.restore();
    }
    expect(seen.written).toEqual([`toonlora ${command}: ${said}\n`]);
    expect(seen.codes).toEqual([130]);
    process.off('SIGINT', added[0] as () => void);
    for (const name of ['SIGTERM', 'SIGHUP'] as const)
      for (const listener of process.listeners(name).filter((l) => l.name === 'onSignal'))
        process.off(name, listener);
  });
});
