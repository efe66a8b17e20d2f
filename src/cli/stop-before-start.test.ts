// src/cli/stop-before-start.test.ts — a Ctrl-C (or SIGTERM) while `train` / `generate` still check their inputs, the
// base and the Python environment says "stopped before anything was written" and exits as the signal would
// (130 / 143); before, the process ended without a word (its handler came only with the run). The checks' base
// look-up is held open by a stand-in, and the handler is called as Node would on the signal.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerGenerate } from './commands/generate.js';
import { registerTrain } from './commands/train.js';
import { stopBeforeStart } from './stop-before-start.js';

const held = vi.hoisted(() => ({ calls: 0 }));

vi.mock('../worker/base-check.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../worker/base-check.js')>();
  // the base check never ends: the command is still in its checks when the signal comes
  const checkTrainingBase = async () => {
    held.calls += 1;
    await new Promise(() => {});
  };
  return { ...real, checkTrainingBase };
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
    const remove = stopBeforeStart('train', (code) => exits.push(code));
    try {
      for (const name of ['SIGINT', 'SIGTERM'] as const) process.listeners(name).at(-1)?.(name);
    } finally {
      written.restore();
      remove();
    }
    expect(exits).toEqual([130, 143]);
    expect(written.written).toEqual([
      'toonlora train: stopped before anything was written\n',
      'toonlora train: stopped before anything was written\n',
    ]);
    expect(listeners()).toEqual(before);
  });
});

describe.each([
  ['train', (out: string) => ['train', out, '-o', join(out, 'run'), '--base', 'tiny']],
  ['generate', (out: string) => ['generate', '--prompt', 'sks', '-o', out, '--base', 'tiny']],
])('a Ctrl-C during %s checks', (command, args) => {
  it('is said, with the exit code of the signal', async () => {
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
    expect(seen.written).toEqual([`toonlora ${command}: stopped before anything was written\n`]);
    expect(seen.codes).toEqual([130]);
    process.off('SIGINT', added[0] as () => void);
    for (const name of ['SIGTERM', 'SIGHUP'] as const)
      for (const listener of process.listeners(name).filter((l) => l.name === 'onSignal'))
        process.off(name, listener);
  });
});
