// src/worker/train-resume-finished.test.ts — `train --resume` of a run that finished, its files complete, does nothing:
// no worker, and the adapter and kohya file stay byte for byte (before, the worker loaded the base and the kohya file
// was written again, with new dates and another sha256, and train said "trained 4 steps (all before this --resume:
// it wrote the missing files ...)"). A run with a file missing, or resumed to more steps, still goes to the worker.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatResult } from '../cli/commands/train-output.js';
import { makePeftTensors, writePeftFolder } from '../lora/lora-fixtures.js';
import { sd15AttentionModules } from '../lora/sd15-modules.js';
import { trainingConfigSchema } from '../schemas/config.js';
import { doneWorker } from './done-worker-testing.js';
import { runTraining } from './train.js';

const STEPS = 4;

/** A finished run folder as train leaves it: the final checkpoint, then the adapter and the kohya file. */
async function finishedRunFolder() {
  const root = mkdtempSync(join(tmpdir(), 'tl-resume-finished-'));
  const datasetDir = join(root, 'ds');
  mkdirSync(join(datasetDir, '1_sks girl'), { recursive: true });
  const runDir = join(root, 'run');
  const adapterDir = join(root, 'adapter');
  const modules = sd15AttentionModules().filter((m) => m.startsWith('mid_block.'));
  await writePeftFolder(adapterDir, makePeftTensors({ modules, rank: 4, seed: 1 }), { r: 4, lora_alpha: 4 });
  const marker = join(root, 'worker-ran');
  const spawn = doneWorker(adapterDir, runDir, STEPS, marker);
  const config = trainingConfigSchema.parse({ baseModel: 'tiny', steps: STEPS });
  const first = await runTraining({ datasetDir, runDir, config, spawn });
  rmSync(marker);
  return { datasetDir, runDir, config, spawn, marker, kohyaFile: first.kohyaFile as string };
}

const snapshot = (path: string) => ({ bytes: readFileSync(path), mtimeMs: statSync(path).mtimeMs });
const ran = (marker: string) => {
  try {
    statSync(marker);
    return true;
  } catch {
    return false;
  }
};

describe('train --resume of a finished run', () => {
  it('says it already finished and leaves every file as it is, starting no worker', async () => {
    const run = await finishedRunFolder();
    const adapter = join(run.runDir, 'adapter_model.safetensors');
    const before = [snapshot(adapter), snapshot(run.kohyaFile)];
    const result = await runTraining({ ...run, resume: true });
    expect(ran(run.marker)).toBe(false);
    expect(result).toMatchObject({
      status: 'done',
      alreadyFinished: true,
      steps: STEPS,
      kohyaFile: run.kohyaFile,
    });
    expect([snapshot(adapter), snapshot(run.kohyaFile)]).toEqual(before);
    const text = formatResult(result, 'lora');
    expect(text).toContain(`already finished at step ${STEPS}; nothing to do`);
    expect(text).not.toContain('trained');
  }, 60_000);

  it('still writes a missing kohya file from the last checkpoint, and trains on when asked for more steps', async () => {
    const run = await finishedRunFolder();
    rmSync(run.kohyaFile);
    const rewritten = await runTraining({ ...run, resume: true });
    expect(ran(run.marker)).toBe(true);
    expect(rewritten.alreadyFinished).toBeUndefined();
    expect(statSync(run.kohyaFile).isFile()).toBe(true);
    rmSync(run.marker);
    const config = trainingConfigSchema.parse({ baseModel: 'tiny', steps: STEPS + 4 });
    await runTraining({ ...run, config, resume: true });
    expect(ran(run.marker)).toBe(true);
  }, 60_000);
});
