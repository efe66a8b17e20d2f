// src/worker/train-paths.test.ts — the CLI's early path check (checkTrainingPaths) names a train run that is writing the
// run folder before what that run has written there: a second `train -o SAME` is told a run holds the folder, not
// that the folder holds "an earlier run's checkpoints".
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockOwnerPath } from '../host/lock-owner.js';
import { runLockPath } from './run-lock.js';
import { checkTrainingPaths } from './train-paths.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A dataset, and a run folder with a complete checkpoint at step 10 (as a run writes it). */
function runWithCheckpoint(): { datasetDir: string; runDir: string } {
  const root = mkdtempSync(join(tmpdir(), 'tl-train-paths-'));
  const datasetDir = join(root, 'ds');
  mkdirSync(join(datasetDir, '10_sks girl'), { recursive: true });
  writeFileSync(join(datasetDir, '10_sks girl', 'a.png'), PNG);
  const runDir = join(root, 'run');
  mkdirSync(join(runDir, 'checkpoints', 'step-000010'), { recursive: true });
  writeFileSync(join(runDir, 'checkpoints', 'step-000010', 'training_state.pt'), 'x');
  return { datasetDir, runDir };
}

function lockFor(runDir: string, pid: number): string {
  const lock = runLockPath(runDir);
  mkdirSync(lock);
  const owner = { pid, host: hostname(), startedAt: '2026-12-07T02:00:00.000Z' };
  writeFileSync(lockOwnerPath(lock), `${JSON.stringify(owner)}\n`);
  return lock;
}

const children: Array<{ kill: () => void }> = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});

describe('checkTrainingPaths and the run lock', () => {
  it('names the live run that holds the lock, before the checkpoints it has written', () => {
    const { datasetDir, runDir } = runWithCheckpoint();
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.push(other);
    lockFor(runDir, other.pid as number);
    const error = (() => {
      try {
        checkTrainingPaths({ datasetDir, runDir });
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toMatchObject({ code: 'TL_ERR_CONFLICT', details: { file: runDir, pid: other.pid } });
    expect((error as Error).message).toContain(
      `${runDir}: a train run is already writing this folder (pid ${other.pid}, started 2026-12-07T02:00:00.000Z)`,
    );
  });

  it('passes a lock left by a dead run, or gone stale, on to the folder checks (the run takes such a lock over)', () => {
    const dead = runWithCheckpoint();
    lockFor(dead.runDir, 2 ** 22 + 12345); // above Linux's pid_max default: no such process
    expect(() => checkTrainingPaths(dead)).toThrow(/holds an earlier run's checkpoints/);
    const stale = runWithCheckpoint();
    const lock = runLockPath(stale.runDir);
    mkdirSync(lock); // no owner file: only its age tells
    const old = new Date(Date.now() - 5 * 60_000);
    utimesSync(lock, old, old);
    expect(() => checkTrainingPaths(stale)).toThrow(/holds an earlier run's checkpoints/);
  });

  it('with --resume, a live lock is still refused', () => {
    const { datasetDir, runDir } = runWithCheckpoint();
    lockFor(runDir, process.pid);
    expect(() => checkTrainingPaths({ datasetDir, runDir, resume: true })).toThrow(
      /a train run is already writing this folder/,
    );
  });
});
