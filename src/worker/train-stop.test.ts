// src/worker/train-stop.test.ts — stopping and restarting `train` safely: a run folder holding an earlier run's
// checkpoints is refused without --resume; a second Ctrl-C kills the worker's process group at once and
// the result names the checkpoint on disk and the steps lost; a failed kohya write is TL_ERR_OUTPUT_WRITE.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alive } from '../../test/helpers/processes.js';
import { formatStopped } from '../cli/commands/train-output.js';
import { EXIT_INTERRUPTED, ToonloraError } from '../errors.js';
import { asOutputWriteError } from '../lora/output-checks.js';
import { trainingConfigSchema } from '../schemas/config.js';
import type { WorkerEvent } from './protocol.js';
import type { WorkerSpawn } from './python-worker.js';
import { withStopSignals } from './stop-signals.js';
import { kohyaWriteError } from './kohya-file.js';
import { runTraining, type TrainResult } from './train.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const config = trainingConfigSchema.parse({ baseModel: 'tiny', steps: 30 });

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

function writeDataset(): string {
  const root = tempDir('tl-train-stop-ds-');
  mkdirSync(join(root, '10_sks girl'));
  writeFileSync(join(root, '10_sks girl', 'a.png'), PNG);
  return root;
}

/** A checkpoint folder as checkpoint.py leaves it (complete once training_state.pt is in it). */
function writeCheckpoint(runDir: string, step: number): string {
  const folder = join(runDir, 'checkpoints', `step-${String(step).padStart(6, '0')}`);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'training_state.pt'), 'state');
  return folder;
}

const neverStarted: WorkerSpawn = { command: '/nonexistent/python', args: [], cwd: process.cwd() };

describe('train into a folder holding an earlier run', () => {
  it('refuses its checkpoints without --resume, naming the newest and the fix', async () => {
    const runDir = tempDir('tl-train-stop-run-');
    writeCheckpoint(runDir, 5);
    const newest = writeCheckpoint(runDir, 10);
    mkdirSync(join(runDir, 'checkpoints', '.step-000015.partial')); // not a checkpoint
    const options = { datasetDir: writeDataset(), runDir, config, spawn: neverStarted };
    await expect(runTraining(options)).rejects.toMatchObject({
      code: 'TL_ERR_OUTPUT_EXISTS',
      message: `${runDir}: holds an earlier run's checkpoints (newest: ${newest}, step 10). Add --resume to continue it, or choose another -o.`,
    });
  });
});

describe("train into a folder holding only an earlier run's samples", () => {
  it('moves them aside before the worker starts, with a warning; --resume leaves them', async () => {
    const runDir = tempDir('tl-train-stop-samples-');
    mkdirSync(join(runDir, 'samples'));
    writeFileSync(join(runDir, 'samples', 'step-000002-0-seed42.png'), 'earlier');
    const events: WorkerEvent[] = [];
    const options = { datasetDir: writeDataset(), runDir, config, spawn: neverStarted };
    await expect(runTraining({ ...options, onEvent: (e) => events.push(e) })).rejects.toThrow();
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'log',
        level: 'warn',
        message: expect.stringContaining('samples-earlier'),
      }),
    );
    expect(readFileSync(join(runDir, 'samples-earlier', 'step-000002-0-seed42.png'), 'utf8')).toBe('earlier');
    writeCheckpoint(runDir, 2);
    mkdirSync(join(runDir, 'samples'));
    writeFileSync(join(runDir, 'samples', 'step-000002-0-seed42.png'), 'this run');
    await expect(runTraining({ ...options, resume: true })).rejects.toThrow();
    expect(readFileSync(join(runDir, 'samples', 'step-000002-0-seed42.png'), 'utf8')).toBe('this run');
  });
});

// A train worker that ignores SIGTERM (a long sample render, a slow checkpoint), has started a child of its own,
// and has written the checkpoint of step 2 before finishing step 3.
const STUBBORN = `
const { spawn } = require('node:child_process');
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
process.on('SIGTERM', () => {});
const say = (event) => process.stdout.write(JSON.stringify({ version: 1, ...event }) + '\\n');
let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  const runDir = JSON.parse(input).run_dir;
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const folder = join(runDir, 'checkpoints', 'step-000002');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'training_state.pt'), 'state');
  for (const step of [1, 2]) say({ type: 'progress', step, total: 30, loss: 0.1, lr: 1e-4, it_per_s: 1, eta_s: 1 });
  say({ type: 'checkpoint', step: 2, path: folder });
  say({ type: 'progress', step: 3, total: 30, loss: 0.1, lr: 1e-4, it_per_s: 1, eta_s: 1 });
  say({ type: 'log', level: 'info', message: 'pids ' + process.pid + ' ' + child.pid });
  setInterval(() => {}, 1000);
});`;

describe('a second Ctrl-C during train', () => {
  const started: number[] = [];
  afterEach(() => {
    for (const pid of started.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL'); // a failed test leaves none behind
  });

  it('kills the worker and its children at once; the result names the checkpoint on disk and the steps lost', async () => {
    const runDir = tempDir('tl-train-stop-run-');
    const pids: number[] = [];
    const notices: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((text: string) => notices.push(String(text)) > 0) as typeof process.stderr.write;
    let result: TrainResult;
    try {
      result = await withStopSignals(
        (signal, kill) =>
          runTraining({
            datasetDir: writeDataset(),
            runDir,
            config,
            signal,
            kill,
            spawn: { command: process.execPath, args: ['-e', STUBBORN], cwd: process.cwd() },
            onEvent: (event) => {
              if (event.type !== 'log' || !event.message.startsWith('pids ')) return;
              pids.push(...event.message.slice(5).split(' ').map(Number));
              started.push(...pids);
              process.emit('SIGINT', 'SIGINT'); // Ctrl-C: SIGTERM, which this worker ignores
              setTimeout(() => process.emit('SIGINT', 'SIGINT'), 200); // Ctrl-C again
            },
          }),
        { killOnSecondSignal: true, firstNotice: 'first', secondNotice: 'second' },
      );
    } finally {
      process.stderr.write = write;
    }
    expect(notices).toEqual(['first\n', 'second\n']);
    expect(result).toMatchObject({
      status: 'cancelled',
      forced: true,
      steps: 3,
      checkpoint: join(runDir, 'checkpoints', 'step-000002'),
      checkpointStep: 2,
    });
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(formatStopped(result)).toBe(
      'stopped at step 3 without saving a checkpoint (the worker was killed): step 3 since the checkpoint at step 2 is lost. ' +
        `Continue from ${join(runDir, 'checkpoints', 'step-000002')} with --resume.`,
    );
    expect(EXIT_INTERRUPTED).toBe(130);
  });

  it('says truthfully that no checkpoint exists when none was written', () => {
    const result: TrainResult = {
      status: 'cancelled',
      forced: true,
      runDir: '/r',
      steps: 4,
      lastLoss: 0.1,
      samples: [],
      checkpoint: null,
      checkpointStep: null,
      stats: {},
    };
    expect(formatStopped(result)).toBe(
      'stopped at step 4 without saving a checkpoint (the worker was killed): steps 1-4 of this run are lost. ' +
        'No checkpoint is on disk: nothing to resume; start the run again.',
    );
    expect(formatStopped({ ...result, killedAfterGraceMs: 60_000 })).toBe(
      'stopped at step 4 without saving a checkpoint (the worker was killed: it did not finish its step and save ' +
        'within 60 s): steps 1-4 of this run are lost. No checkpoint is on disk: nothing to resume; start the run again.',
    );
  });
});

describe('kohyaWriteError', () => {
  it('turns a full disk while writing the kohya file into TL_ERR_OUTPUT_WRITE naming the file and --resume', () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, writev'), { code: 'ENOSPC' });
    expect(kohyaWriteError(enospc, '/r/r.safetensors')).toMatchObject({
      code: 'TL_ERR_OUTPUT_WRITE',
      message:
        '/r/r.safetensors: could not write the WebUI / kohya LoRA file: no space left on the disk (ENOSPC). The training ' +
        'itself finished and its adapter and final checkpoint are saved: free some space on that disk, then run the same ' +
        'train command with --resume to write the file.',
    });
    const bug = new TypeError('x is undefined');
    expect(kohyaWriteError(bug, '/r/r.safetensors')).toBe(bug);
  });

  it("names a full disk the converter's own TL_ERR_OUTPUT_WRITE wraps, with --resume (before: the converter's words, no --resume)", () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, open'), {
      code: 'ENOSPC',
      syscall: 'open',
      path: '/r/.r.safetensors.1.part',
    });
    const converter = asOutputWriteError(enospc, '/r/r.safetensors');
    expect(kohyaWriteError(converter, '/r/r.safetensors')).toMatchObject({
      code: 'TL_ERR_OUTPUT_WRITE',
      message: expect.stringMatching(
        /^\/r\/r\.safetensors: could not write the WebUI \/ kohya LoRA file: no space left on the disk \(ENOSPC at \/r\/\.r\.safetensors\.1\.part\)\. .* --resume to write the file\.$/,
      ),
      details: { errno: 'ENOSPC' },
      fix: { kind: 'resume' },
    });
    const exists = new ToonloraError(
      'TL_ERR_OUTPUT_WRITE',
      '-o /r/r.safetensors: cannot be written (EEXIST)',
    );
    expect(kohyaWriteError(exists, '/r/r.safetensors')).toBe(exists);
  });
});
