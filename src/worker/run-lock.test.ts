// src/worker/run-lock.test.ts — one train run at a time per run folder (run-lock.ts): a second run into a folder a
// run is writing is refused at once, naming it; the lock goes when the run ends; a SIGKILLed run's lock does not
// block the next run.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockOwnerPath } from '../host/lock-owner.js';
import { trainingConfigSchema } from '../schemas/config.js';
import type { WorkerEvent } from './protocol.js';
import type { WorkerSpawn } from './python-worker.js';
import { runLockPath } from './run-lock.js';
import { runTraining } from './train.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const config = trainingConfigSchema.parse({ baseModel: 'tiny', steps: 3 });
const neverStarted: WorkerSpawn = { command: '/nonexistent/python', args: [], cwd: process.cwd() };
// A train worker that has read its request and trains on until it is killed.
const TRAINING = `
let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  process.stdout.write(JSON.stringify({ version: 1, type: 'log', level: 'info', message: 'training' }) + '\\n');
  setInterval(() => {}, 1000);
});`;

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

function writeDataset(): string {
  const root = tempDir('tl-run-lock-ds-');
  mkdirSync(join(root, '10_sks girl'));
  writeFileSync(join(root, '10_sks girl', 'a.png'), PNG);
  return root;
}

/** A lock as a run of process `pid` leaves it when killed with SIGKILL (no exit hook ran). */
function leaveLock(runDir: string, pid: number): void {
  mkdirSync(runLockPath(runDir), { recursive: true });
  const owner = { pid, host: hostname(), startedAt: '2026-12-07T01:00:00.000Z' };
  writeFileSync(lockOwnerPath(runLockPath(runDir)), `${JSON.stringify(owner)}\n`);
}

const children: Array<{ kill: () => void }> = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});

describe('two train runs into one run folder', () => {
  it('refuses the second at once, naming the running one; after that run ends the folder is free', async () => {
    const runDir = join(tempDir('tl-run-lock-'), 'run');
    const datasetDir = writeDataset();
    const kill = new AbortController();
    let training!: () => void;
    const started = new Promise<void>((resolve) => {
      training = resolve;
    });
    const first = runTraining({
      datasetDir,
      runDir,
      config,
      kill: kill.signal,
      spawn: { command: process.execPath, args: ['-e', TRAINING], cwd: process.cwd() },
      onEvent: (event) => {
        if (event.type === 'log' && event.message === 'training') training();
      },
    });
    await started;
    const second = await runTraining({
      datasetDir,
      runDir,
      config: { ...config, steps: 5 },
      spawn: neverStarted,
    }).catch((error: unknown) => error);
    expect(second).toMatchObject({ code: 'TL_ERR_CONFLICT', details: { file: runDir, pid: process.pid } });
    expect((second as Error).message).toMatch(
      new RegExp(
        `^${runDir}: a train run is already writing this folder \\(pid ${process.pid}, started \\d{4}-\\d\\d-\\d\\dT[^)]+\\)\\. ` +
          'Wait for it to end or stop it, or choose another -o\\.',
      ),
    );
    const resumed = runTraining({ datasetDir, runDir, config, resume: true, spawn: neverStarted });
    await expect(resumed).rejects.toMatchObject({ code: 'TL_ERR_CONFLICT' }); // --resume too
    expect(existsSync(runLockPath(runDir))).toBe(true); // the refused runs left the first one's lock alone
    kill.abort();
    await expect(first).resolves.toMatchObject({ status: 'cancelled', forced: true });
    expect(existsSync(runLockPath(runDir))).toBe(false);
    expect(existsSync(lockOwnerPath(runLockPath(runDir)))).toBe(false);
    // the folder is free again: the next run gets past the lock (to its worker, which here cannot start)
    await expect(runTraining({ datasetDir, runDir, config, spawn: neverStarted })).rejects.toMatchObject({
      code: 'TL_ERR_PYTHON_ENV',
    });
  }, 30_000);

  it('takes over the lock of a run that was killed (its process is gone) at once', async () => {
    const runDir = tempDir('tl-run-lock-dead-');
    const dead = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.pid))',
    ]).stdout.toString();
    leaveLock(runDir, Number(dead));
    const warnings: string[] = [];
    const onEvent = (event: WorkerEvent) => {
      if (event.type === 'log' && event.level === 'warn') warnings.push(event.message);
    };
    await expect(
      runTraining({ datasetDir: writeDataset(), runDir, config, spawn: neverStarted, onEvent }),
    ).rejects.toMatchObject({ code: 'TL_ERR_PYTHON_ENV' });
    expect(warnings).toEqual([
      `${runDir}: took over the train lock left by pid ${dead} (started 2026-12-07T01:00:00.000Z), which is no ` +
        'longer running (killed?); its checkpoints, if any, are checked as usual',
    ]);
    expect(existsSync(runLockPath(runDir))).toBe(false);
  });

  it('refuses a folder whose lock a live process of another run holds, and leaves its lock', async () => {
    const runDir = tempDir('tl-run-lock-live-');
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.push({ kill: () => other.kill('SIGKILL') });
    leaveLock(runDir, other.pid as number);
    const error = await runTraining({
      datasetDir: writeDataset(),
      runDir,
      config,
      spawn: neverStarted,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'TL_ERR_CONFLICT',
      message:
        `${runDir}: a train run is already writing this folder (pid ${other.pid}, started 2026-12-07T01:00:00.000Z). ` +
        `Wait for it to end or stop it, or choose another -o. (If no train run is writing it, remove ${runLockPath(runDir)}.)`,
    });
    expect(existsSync(lockOwnerPath(runLockPath(runDir)))).toBe(true);
  });

  it('a run refused or failed before writing anything leaves no run folder it made', async () => {
    const runDir = join(tempDir('tl-run-lock-new-'), 'run');
    await expect(
      runTraining({ datasetDir: writeDataset(), runDir, config, spawn: neverStarted }),
    ).rejects.toMatchObject({
      code: 'TL_ERR_PYTHON_ENV',
    });
    expect(existsSync(runDir)).toBe(false);
  });
});
