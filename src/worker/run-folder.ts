// src/worker/run-folder.ts — the checkpoints a training run folder already holds,
// read the way the trainer writes them (trainer/toonlora_trainer/checkpoint.py), so `train` can refuse to mix a new
// run into an earlier one and a stopped run can name the checkpoint that is really on disk.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ToonloraError } from '../errors.js';

/** checkpoint.py CHECKPOINT_PATTERN: `step-` and the step, zero-padded to 6 digits or more. */
export const CHECKPOINT_FOLDER = /^step-(\d{6,})$/;
/** A checkpoint folder the trainer is still writing (checkpoint.py save_checkpoint), renamed to step-NNNNNN when done. */
export const PARTIAL_CHECKPOINT_FOLDER = /^\.step-\d{6,}\.partial$/;
/**
 * checkpoint.py TRAINING_STATE: the resume-only state (optimizer, scheduler, RNG); a checkpoint folder is
 * complete once this file is in it (it is renamed into place).
 */
export const TRAINING_STATE_FILE = 'training_state.pt';

/** One complete checkpoint folder of a run. */
export interface CheckpointOnDisk {
  readonly step: number;
  /** `<run-dir>/checkpoints/step-000010`. */
  readonly path: string;
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** The highest-step complete checkpoint under `runDir/checkpoints` (checkpoint.py latest_checkpoint), or null. */
export function newestCheckpoint(runDir: string): CheckpointOnDisk | null {
  const root = join(runDir, 'checkpoints');
  if (!isDirectory(root)) return null;
  let newest: CheckpointOnDisk | null = null;
  for (const name of readdirSync(root)) {
    const match = CHECKPOINT_FOLDER.exec(name);
    const path = join(root, name);
    if (!match || !existsSync(join(path, TRAINING_STATE_FILE))) continue;
    const step = Number(match[1]);
    if (!newest || step > newest.step) newest = { step, path };
  }
  return newest;
}

/**
 * Refuses a run folder that holds an earlier run's checkpoints when this run does not `--resume` it: a new run
 * there would overwrite that run's samples and checkpoints of the same step, mix its own checkpoints with the other
 * run's (a later `--resume` would continue whichever is newest), and `--keep-checkpoints` would delete the other
 * run's. Sample images alone (a run that stopped before its first checkpoint) are not refused: a server job's
 * retry starts over in its own folder then (src/jobs/embedded-queue.ts resumes only from a checkpoint).
 * @throws TL_ERR_OUTPUT_EXISTS naming the newest checkpoint and the fix.
 */
export function checkNoEarlierRun(runDir: string): void {
  const checkpoint = newestCheckpoint(runDir);
  if (checkpoint) {
    throw new ToonloraError(
      'TL_ERR_OUTPUT_EXISTS',
      `${runDir}: holds an earlier run's checkpoints (newest: ${checkpoint.path}, step ${checkpoint.step}). ` +
        'Add --resume to continue it, or choose another -o.',
      { details: { checkpoint: checkpoint.path } },
    );
  }
}
