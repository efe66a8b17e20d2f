// src/jobs/remote/lora-partials-unreadable.test.ts — the start's sweep of half-received LoRA uploads skips a run
// folder it cannot read, and a file it cannot remove, and goes on: the other folders are swept and its line says
// what was removed. Before, readdirSync's error ended the sweep after files were removed (the "removed N … freed"
// line lost, an internal error logged each start). The tests run as root here, where a mode-000 folder is still
// readable: node:fs's readdirSync / rmSync fail for the paths named below instead, as EACCES would.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { jobRelDir } from '../data-layout.js';
import { removeWorkerLoraPartials } from './lora-upload.js';

const failing = vi.hoisted(() => ({ readdir: new Set<string>(), rm: new Set<string>() }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const denied = (path: string) =>
    Object.assign(new Error(`EACCES: permission denied, '${path}'`), { code: 'EACCES' });
  return {
    ...fs,
    readdirSync: ((path: string, ...rest: unknown[]) => {
      if (failing.readdir.has(String(path))) throw denied(String(path));
      return (fs.readdirSync as (...args: unknown[]) => unknown)(path, ...rest);
    }) as typeof fs.readdirSync,
    rmSync: ((path: string, ...rest: unknown[]) => {
      if (failing.rm.has(String(path))) throw denied(String(path));
      return (fs.rmSync as (...args: unknown[]) => unknown)(path, ...rest);
    }) as typeof fs.rmSync,
  };
});

/** A half-received upload of `bytes` bytes in `runDir`, last written an hour ago: its path. */
function partial(runDir: string, bytes: number): string {
  mkdirSync(runDir, { recursive: true });
  const path = join(runDir, `.worker-lora-${randomUUID()}.partial`);
  writeFileSync(path, Buffer.alloc(bytes, 1));
  const past = new Date(Date.now() - 3_600_000);
  utimesSync(path, past, past);
  return path;
}

describe('removeWorkerLoraPartials with a folder it cannot read', () => {
  it('skips that folder and a file it cannot remove, sweeps the rest and counts what it removed', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'toonlora-lora-partial-unreadable-'));
    const [first, second] = ['job-a', 'job-b'];
    const removedFirst = partial(join(dataDir, jobRelDir(first), 'mina_a'), 1_000);
    const lockedRun = join(dataDir, jobRelDir(second), 'mina_b');
    const inLocked = partial(lockedRun, 10);
    const stuck = partial(join(dataDir, jobRelDir(second), 'mina_c'), 10);
    const removedSecond = partial(join(dataDir, jobRelDir(second), 'mina_d'), 2_000);
    failing.readdir.add(lockedRun);
    failing.rm.add(stuck);

    // before: threw EACCES from readdirSync after job-a's file was removed
    expect(removeWorkerLoraPartials(dataDir, new Set([first, second]), Date.now())).toEqual({
      files: 2,
      bytes: 3_000,
      jobs: 2,
    });
    expect([removedFirst, removedSecond].map(existsSync)).toEqual([false, false]);
    expect([inLocked, stuck].map(existsSync)).toEqual([true, true]);
  });
});
