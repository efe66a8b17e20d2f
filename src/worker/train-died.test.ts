// src/worker/train-died.test.ts — a train worker that dies on its own (kill -9, the kernel's out-of-memory killer):
// the error names the newest checkpoint on disk, its step, --resume and the steps lost, and says a SIGKILL toonlora
// did not send is most likely an out-of-memory kill.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inCliWords } from '../error-fix.js';
import { ToonloraError } from '../errors.js';
import { trainingConfigSchema } from '../schemas/config.js';
import { diedTrainingContext, runTraining } from './train.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const config = trainingConfigSchema.parse({ baseModel: 'tiny', steps: 30 });

function writeDataset(): string {
  const root = mkdtempSync(join(tmpdir(), 'tl-train-died-ds-'));
  mkdirSync(join(root, '10_sks girl'));
  writeFileSync(join(root, '10_sks girl', 'a.png'), PNG);
  return root;
}

// A train worker that checkpoints step 4, finishes steps 5 and 6, writes a diffusers-like warning, then is killed by
// SIGKILL that nobody in toonlora sent (as the OOM killer would).
const KILLED = `
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const say = (event) => process.stdout.write(JSON.stringify({ version: 1, ...event }) + '\\n');
let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  const runDir = JSON.parse(input).run_dir;
  const folder = join(runDir, 'checkpoints', 'step-000004');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'training_state.pt'), 'state');
  for (const step of [1, 2, 3, 4]) say({ type: 'progress', step, total: 30, loss: 0.1, lr: 1e-4, it_per_s: 1, eta_s: 1 });
  say({ type: 'checkpoint', step: 4, path: folder });
  for (const step of [5, 6]) say({ type: 'progress', step, total: 30, loss: 0.1, lr: 1e-4, it_per_s: 1, eta_s: 1 });
  process.stderr.write('There are modules in UNet2DConditionModel that should be kept in float32\\n', () => {
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), 100);
  });
});`;

describe('a train worker that dies on its own', () => {
  it('names the checkpoint on disk, --resume, the steps lost and a likely out-of-memory kill', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'tl-train-died-run-'));
    const error = await runTraining({
      datasetDir: writeDataset(),
      runDir,
      config,
      spawn: { command: process.execPath, args: ['-e', KILLED], cwd: process.cwd() },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ToonloraError);
    const { code, message } = error as ToonloraError;
    expect(code).toBe('TL_ERR_WORKER');
    expect(message).toContain('python worker (train) was killed by SIGKILL before finishing.');
    expect(message).toContain(
      "most likely the machine ran out of memory and the kernel's out-of-memory killer ended it",
    );
    expect(message).toContain(
      `It had finished step 6 of 30. The checkpoint at step 4 is on disk (${join(runDir, 'checkpoints', 'step-000004')}): ` +
        'run the same train command with --resume to continue from it; steps 5-6 since the checkpoint at step 4 are lost.',
    );
    expect(message).toContain(
      'Its last stderr lines (written before it was killed; they need not be the cause):',
    );
  });

  it('without a checkpoint on disk says there is nothing to resume', () => {
    const runDir = mkdtempSync(join(tmpdir(), 'tl-train-died-run-'));
    expect(inCliWords(diedTrainingContext(runDir, 1, 30))).toBe(
      'It had finished step 1 of 30. No checkpoint is on disk: nothing to resume; start the run again; step 1 of this run is lost.',
    );
  });
});
